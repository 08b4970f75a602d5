/**
 * The web phone key's v2 side (docs/PROTOCOL.md "Protocol v2"), without the DOM: a v2 key imported
 * as one non-extractable CryptoKey per board (the bytes wiped), the credential for the board whose
 * CHALLENGE came (tools/host/visit.ts pickBoard: the same rule as the CLI and the simulator's phone),
 * and the revocation-list exchange after a command over an `ask` function (send a message, get the
 * board's answer). Runs in browsers and in Node (tests).
 * Not here: the page (phonekey.ts), storage (keystore.ts), links (transport.ts).
 */
import { type Answer, OP, listMessage } from '../../tools/host/protocol';
import type { TravelKey } from '../../tools/host/travelkey';
import { listAction, listVersion, pickBoard, takeBoardList } from '../../tools/host/visit';
import { ticketParse } from '../../firmware/ticket';
import { type WebCredential, importSecret, readAnswer, signedRequest } from './keycrypto';
import type { StoredKey } from './storedkey';

/** A v2 key as the page keeps it: each board's secret imported non-extractable (and wiped), a ticket's limits read from its body. */
export async function importTravelKey(k: TravelKey): Promise<StoredKey> {
  const boards = [];
  for (const b of k.boards) boards.push({ boardId: b.boardId.slice(), key: await importSecret(b.secret), tag: b.tag && b.tag.slice() });
  const s: StoredKey = { keyId: k.keyId, key: boards[0].key, boards, label: k.label, importedAt: Date.now() };
  if (k.ticket) {
    s.ticket = k.ticket.slice();
    const t = ticketParse(k.ticket);
    if (typeof t !== 'number') { s.role = t.role; s.perms = t.perms; s.notBefore = t.notBefore; s.notAfter = t.notAfter; }
  }
  if (k.list) s.list = k.list.slice();
  return s;
}

/** The stored key's credential at the board whose CHALLENGE is `c`; throws one clear line (pickBoard). */
export function webCredential(k: StoredKey, c: Answer): WebCredential {
  if (!k.boards) return { keyId: k.keyId, key: k.key };
  const p = pickBoard(k.boards, !!k.ticket, c);
  return { keyId: k.keyId, key: p.key, ticket: k.ticket, tag: p.tag };
}

/**
 * After an authentic answer to our command on this link: hands the key's newer list to the board
 * (LIST), or fetches the board's newer one (GET LIST) and keeps it in `k` when the answer is
 * authentic and the list newer. `nonce`: the one the last answer brought. Returns words for the
 * page, whether `k` changed (save it), and the next nonce.
 */
export async function exchangeLists(k: StoredKey, c: Answer, cred: WebCredential, nonce: Uint8Array, ask: (m: Uint8Array) => Promise<Uint8Array>): Promise<{ said?: string; changed: boolean; nonce?: Uint8Array }> {
  if (!k.boards) return { changed: false, nonce };
  const what = listAction(k.list, c);
  if (what === 'send') {
    const a = await readAnswer(cred.key, await ask(listMessage(k.list!)));
    if (a.type !== 'listed') return { said: 'revocation list: the car did not answer LIST', changed: false };
    return { said: 'revocation list version ' + listVersion(k.list) + ' handed to the car: ' + (a.status === 0 ? 'adopted' : a.reason), changed: false, nonce };
  }
  if (what === 'get') {
    const a: Answer = await readAnswer(cred.key, await ask(await signedRequest(cred, nonce, OP.GET_LIST)), nonce);
    const changed = takeBoardList(k, a);
    return { said: changed ? 'revocation list version ' + listVersion(k.list) + ' taken from the car' : 'revocation list: the car\u2019s was not taken (' + (a.authentic ? a.reason : 'answer not authentic') + ')', changed, nonce: a.nonce };
  }
  return { changed: false, nonce };
}
