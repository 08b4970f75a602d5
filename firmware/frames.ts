/**
 * Framing of protocol messages over BLE GATT: the phone writes packets to one characteristic,
 * the board notifies packets on another; each packet is at most MTU-3 bytes (20 by default).
 * A message is a type byte and its payload; it travels as one or more fragments:
 *
 *   byte 0   header: bit7 first fragment, bit6 last fragment, bits0-5 sequence number mod 64
 *            (0 on the first fragment, +1 on each next one)
 *   1..2     first fragment only: total message length, u16 big-endian (1..maxMessage)
 *   rest     message bytes, at least one per fragment
 *
 * docs/PROTOCOL.md ("Framing") is the reference. What a message means is not decided here.
 * Must not: throw on any packet (peers are hostile), or hold more than one message in progress.
 */

export const FIRST = 0x80;
export const LAST = 0x40;
const SEQ_MASK = 0x3f;
/** The largest message the u16 length can announce. */
export const MAX_MESSAGE = 0xffff;

/**
 * Cuts `message` into packets of at most `mtuPayload` bytes (ATT MTU - 3; 20 by default).
 * Returns [] when there is nothing valid to send: an empty or over-long (> 65535) message, or
 * an mtuPayload below 4 (one header, the length and one byte). mtuPayload above 512 (the
 * largest attribute value) counts as 512.
 */
export function fragment(message: Uint8Array, mtuPayload: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; ; k++) {
    const p = fragmentAt(message, mtuPayload, k);
    if (!p) return out;
    out.push(p);
  }
}

/**
 * The packet `fragment(message, mtuPayload)` would return at `index`, or undefined past the last
 * one (or when there is nothing valid to send): the board sends one fragment at a time, when the
 * phone asks for it (docs/PROTOCOL.md, "Pacing").
 */
export function fragmentAt(message: Uint8Array, mtuPayload: number, index: number): Uint8Array | undefined {
  const total = message ? message.length : 0;
  if (!(total > 0 && total <= MAX_MESSAGE && mtuPayload >= 4 && index >= 0)) return undefined;
  const mtu = mtuPayload > 512 ? 512 : Math.floor(mtuPayload);
  // The first fragment carries mtu - 3 message bytes, each next one mtu - 1.
  const at = index === 0 ? 0 : mtu - 3 + (index - 1) * (mtu - 1);
  if (at >= total) return undefined;
  const head = index === 0 ? 3 : 1;
  let n = total - at;
  if (n > mtu - head) n = mtu - head;
  const p = new Uint8Array(head + n);
  p[0] = (index === 0 ? FIRST : 0) | (at + n === total ? LAST : 0) | (index & SEQ_MASK);
  if (index === 0) {
    p[1] = total >> 8;
    p[2] = total & 255;
  }
  p.set(message.subarray(at, at + n), head);
  return p;
}

/**
 * A PULL packet: one byte, bits 7 and 6 clear, the index (mod 64) of the fragment the phone wants
 * next. No fragment is a single byte, so a PULL is never mistaken for one.
 */
export function isPull(packet: Uint8Array): boolean {
  return packet.length === 1 && (packet[0] & (FIRST | LAST)) === 0;
}

/**
 * What one packet gave: a whole message, an error naming why the message in progress (or this
 * packet) was dropped, both (a new first fragment abandoned a message and completed its own),
 * or neither (more fragments expected).
 */
export interface PushResult {
  message?: Uint8Array;
  error?: string;
}

/** State of one reassembly; one per characteristic and connection. */
export interface Reassembler {
  /** Longest message accepted (at most 65535). */
  max: number;
  /** The message being filled, or null between messages. */
  buf: Uint8Array | null;
  /** Bytes of buf filled so far. */
  got: number;
  /** Sequence number the next fragment must carry. */
  seq: number;
  /** Feeds one received packet. Never throws. */
  push(packet: Uint8Array): PushResult;
  /** Drops any message in progress: call it on disconnect and when the caller's timeout expires. */
  reset(): void;
}

/**
 * Error texts (docs/PROTOCOL.md "Reassembly") on the host and in tests, where the phone side and the
 * tools read them; a board build keeps every condition but says only '?': nothing on the board
 * reads them, and each text costs Storage bytes and is lexed past on every packet.
 */
const WHY = typeof __BOARD__ === 'undefined';

function reset(this: Reassembler): void {
  this.buf = null;
  this.got = 0;
  this.seq = 0;
}

function fail(r: Reassembler, error: string): PushResult {
  r.reset();
  return { error: error };
}

function push(this: Reassembler, packet: Uint8Array): PushResult {
  const r = this;
  const len = packet ? packet.length | 0 : 0;
  const h = len > 0 ? packet[0] & 255 : 0;
  const first = (h & FIRST) !== 0, seq = h & SEQ_MASK;
  const total = len > 3 ? ((packet[1] & 255) << 8) | (packet[2] & 255) : 0;
  // A first fragment drops the message in progress (said even when its own message completes):
  // below, it fails or replaces it.
  const restarted = first && r.buf ? (WHY ? 'new first fragment before the last one; previous message dropped' : '?') : '';
  // Every check in one expression: on a board each says '?', and the minifier makes them one test.
  const why = !(len > 0) ? (WHY ? 'empty packet' : '?')
    : first ? (seq !== 0 ? (WHY ? 'first fragment with sequence ' + seq : '?')
      : len < 4 ? (WHY ? 'first fragment too short' : '?')
      : total === 0 ? (WHY ? 'announced length 0' : '?')
      : !(total <= r.max) ? (WHY ? 'announced length ' + total + ' above ' + r.max : '?') : '')
    : !r.buf ? (WHY ? 'continuation without a first fragment' : '?')
    : seq !== r.seq ? (WHY ? 'sequence ' + seq + ', expected ' + r.seq : '?')
    : len < 2 ? (WHY ? 'fragment without data' : '?') : '';
  if (why) return fail(r, why);
  if (first) {
    r.buf = new Uint8Array(total);
    r.got = 0;
    r.seq = 0;
  }
  const buf = r.buf as Uint8Array;
  const at = first ? 3 : 1, n = len - at;
  if (r.got + n > buf.length) return fail(r, WHY ? 'more bytes than the announced ' + buf.length : '?');
  // Native copy (a per-byte loop costs milliseconds a packet on the board), of any array-like.
  buf.set(new Uint8Array(packet).subarray(at), r.got);
  r.got += n;
  r.seq = (r.seq + 1) & SEQ_MASK;
  // The last fragment, and only it, fills the announced length.
  const full = r.got === buf.length;
  if (full !== ((h & LAST) !== 0)) {
    return fail(r, WHY ? (full ? 'announced length reached without a last fragment' : 'last fragment with ' + r.got + ' of ' + buf.length + ' bytes') : '?');
  }
  const done: PushResult = full ? { message: buf } : {};
  if (full) r.reset();
  if (restarted) done.error = restarted;
  return done;
}

/** A reassembler for messages of at most maxMessage bytes (e.g. 256); see Reassembler. */
export function createReassembler(maxMessage: number): Reassembler {
  return { max: maxMessage, buf: null, got: 0, seq: 0, push: push, reset: reset };
}

/**
 * The phone's side of a paced answer (docs/PROTOCOL.md, "Pacing"): feed it every notification;
 * it returns the message once whole, or the PULL to write for the next fragment. A fragment other
 * than the one wanted (a late copy after a PULL was repeated) is ignored. `again()` is the PULL
 * to repeat when nothing came for a while. Phone side only: the board never builds one.
 */
/** How long a phone waits for the next fragment before it PULLs it again, and how often (docs/PROTOCOL.md "Pacing"). */
export const PULL_RETRY_MS = 1000;
export const PULL_RETRIES = 3;

export interface AnswerReader {
  /** Index of the fragment wanted next (0: the first). */
  wanted: number;
  push(packet: Uint8Array): { message?: Uint8Array; pull?: Uint8Array };
  again(): Uint8Array;
  /** Call before writing a new message, and on disconnect. */
  reset(): void;
}

export function createAnswerReader(maxMessage: number): AnswerReader {
  const r = createReassembler(maxMessage);
  const reader: AnswerReader = {
    wanted: 0,
    push(packet) {
      if (!packet || packet.length < 2) return {};
      const first = (packet[0] & FIRST) !== 0;
      if (first !== (reader.wanted === 0) || (packet[0] & SEQ_MASK) !== (reader.wanted & SEQ_MASK)) return {};
      const out = r.push(packet);
      if (out.message) { reader.wanted = 0; return { message: out.message }; }
      if (out.error) { reader.reset(); return {}; }
      reader.wanted++;
      return { pull: reader.again() };
    },
    again: () => new Uint8Array([reader.wanted & SEQ_MASK]),
    reset() { r.reset(); reader.wanted = 0; },
  };
  return reader;
}
