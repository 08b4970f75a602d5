/**
 * What the web phone key keeps of its key (sim/web/keystore.ts stores it in IndexedDB): the
 * non-extractable CryptoKeys and what the key file said. Types only, no DOM, so Node tests of the
 * page's logic (travel.ts) can name them.
 */

/** One board's part of a v2 key: the board, the key's secret there as a non-extractable CryptoKey, and a ticket's tag there. */
export interface StoredBoard {
  boardId: Uint8Array;
  key: CryptoKey;
  tag?: Uint8Array;
}

/** A ticket an owner's key made on this device (what the page lists for revoking; no secret). */
export interface SharedTicket {
  id: number;
  label?: string;
  role: number;
  notAfter: number;
}

export interface StoredKey {
  keyId: number;
  /** The key's secret (a v2 key: its first board's, shown on the page; `boards` holds them all). */
  key: CryptoKey;
  /** A v2 key (docs/PROTOCOL.md "Key files and links"): one secret per board. */
  boards?: StoredBoard[];
  /** A ticket's 38-byte body. */
  ticket?: Uint8Array;
  /** The newest revocation list this key knows (it hands it to cars, and takes newer ones from them). */
  list?: Uint8Array;
  /** An owner's key: the tickets it made on this device, newest first (sim/web/share-panel.ts). */
  shared?: SharedTicket[];
  label?: string;
  role?: number;
  perms?: number;
  notBefore?: number;
  notAfter?: number;
  importedAt: number;
}
