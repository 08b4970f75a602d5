/** PN532 frame encoding and strict parsing (hal/pn532.ts), with hand-checked checksums. */
import { strict as assert } from 'node:assert';
import { pn532Frame, pn532Parse, pn532Sum } from '../../hal/pn532';

const h = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('nfc: PN532 frames', () => {
  it('encodes GetFirmwareVersion with LEN/LCS and DCS (PN532 manual example)', () => {
    assert.equal(hex(pn532Frame(0x02, new Uint8Array(0), pn532Sum)), '0000ff02fed4022a00');
  });

  it('encodes SAMConfiguration and InListPassiveTarget', () => {
    // D4+14+01+14+00 = 0xFD -> DCS 03; D4+4A+01+00 = 0x11F -> DCS E1
    assert.equal(hex(pn532Frame(0x14, h('011400'), pn532Sum)), '0000ff05fbd4140114000300');
    assert.equal(hex(pn532Frame(0x4a, h('0100'), pn532Sum)), '0000ff04fcd44a0100e100');
  });

  it('encodes a 253-byte payload with LEN 0xFF and LCS 0x01', () => {
    const f = pn532Frame(0x40, new Uint8Array(253).fill(1), pn532Sum);
    assert.equal(f.length, 262);
    assert.equal(f[3], 0xff);
    assert.equal(f[4], 0x01);
    let sum = 0;
    for (let i = 5; i < 5 + 255 + 1; i++) sum += f[i];
    assert.equal(sum & 255, 0);
  });

  const fw = '0000ff06fad50332010607e800';
  it('parses the GetFirmwareVersion answer (IC 0x32, v1.6) at an offset', () => {
    assert.equal(hex(pn532Parse(h('01' + fw) as Uint8Array, 1, 0x02, pn532Sum) as Uint8Array), '32010607');
    assert.equal(hex(pn532Parse(h(fw + '000000'), 0, 0x02, pn532Sum) as Uint8Array), '32010607');
  });

  it('rejects a wrong LCS or DCS as bad-checksum', () => {
    assert.equal(pn532Parse(h('0000ff06fbd50332010607e800'), 0, 0x02, pn532Sum), 'bad-checksum');
    assert.equal(pn532Parse(h('0000ff06fad50332010607e900'), 0, 0x02, pn532Sum), 'bad-checksum');
    assert.equal(pn532Parse(h('0000ff06fad50332010608e800'), 0, 0x02, pn532Sum), 'bad-checksum');
  });

  it('rejects structural errors as protocol', () => {
    const cases: Array<[string, string]> = [
      ['preamble', '0001ff06fad50332010607e800'],
      ['start code', '0000fe06fad50332010607e800'],
      ['postamble', '0000ff06fad50332010607e801'],
      ['truncated', '0000ff06fad50332010607'],
      ['too short for a header', '0000ff'],
      ['answer to another command', '0000ff06fad50532010607e600'],
      ['TFI D4 (host frame echoed)', '0000ff06fad40332010607e900'],
      ['error frame 7F', '0000ff01ff7f8100'],
      ['ACK where an answer was due', '0000ff00ff00'],
      ['extended frame', '0000ffffff0006fad50332010607e800'],
    ];
    for (const [what, frame] of cases) assert.equal(pn532Parse(h(frame), 0, 0x02, pn532Sum), 'protocol', what);
  });

  it('round-trips every length of host frame through a response-style check', () => {
    for (let n = 0; n < 60; n++) {
      const p = new Uint8Array(n).map((_, i) => (i * 37 + n) & 255);
      const f = pn532Frame(0x40, p, pn532Sum);
      // Turn the host frame into a device frame (D5, code+1) and fix DCS: parse must give p back.
      f[5] = 0xd5; f[6] = 0x41;
      let sum = 0;
      for (let i = 5; i < 5 + f[3]; i++) sum += f[i];
      f[5 + f[3]] = (256 - (sum & 255)) & 255;
      assert.equal(hex(pn532Parse(f, 0, 0x40, pn532Sum) as Uint8Array), hex(p));
    }
  });

  it('takes its checksums from the sum it is given (the board passes the native E.sum), over exactly the checksummed bytes', () => {
    const seen: string[] = [];
    const sum = (d: Uint8Array | number[]) => { const b = Uint8Array.from(d); seen.push(hex(b)); return b.reduce((a, x) => a + x, 0); };
    const p = h('01905a000003314b4300');
    assert.equal(hex(pn532Frame(0x40, p, sum)), hex(pn532Frame(0x40, p, pn532Sum)));
    assert.deepEqual(seen, [hex(p)], 'the params only: D4 and the code are added apart');
    seen.length = 0;
    const fw = '0000ff06fad50332010607e800';
    assert.equal(hex(pn532Parse(h('01' + fw), 1, 0x02, sum) as Uint8Array), '32010607');
    assert.deepEqual(seen, ['d50332010607e8'], 'TFI, data and DCS');
    // A sum that disagrees with the bytes is a checksum error: the driver trusts no cached result.
    assert.equal(pn532Parse(h('01' + fw), 1, 0x02, () => 1), 'bad-checksum');
  });
});
