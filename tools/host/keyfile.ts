/**
 * The phone key file a web phone key imports: JSON `{keyId, secret: hex, label?, role?, perms?,
 * notBefore?, notAfter?}`, or the same as a link fragment `#k=<keyId>.<secret hex>&label=..&role=..
 * &perms=..&nb=..&na=..` (only `k` is required). Shared by the server (demo links) and the page.
 * Not here: where the page keeps the key (sim/web/keystore.ts); the secret is raw bytes here only
 * on its way into WebCrypto.
 */

export interface KeyFile {
  keyId: number;
  /** 16 bytes (or more), hex. */
  secret: string;
  label?: string;
  role?: number;
  perms?: number;
  /** Unix seconds; 0 = no bound. */
  notBefore?: number;
  notAfter?: number;
}

const NUMS: [keyof KeyFile, string][] = [['role', 'role'], ['perms', 'perms'], ['notBefore', 'nb'], ['notAfter', 'na']];

export function keyFragment(f: KeyFile): string {
  let s = '#k=' + f.keyId + '.' + f.secret.toLowerCase();
  if (f.label) s += '&label=' + encodeURIComponent(f.label);
  for (const [k, short] of NUMS) if (f[k] !== undefined) s += '&' + short + '=' + f[k];
  return s;
}

function checked(f: KeyFile): KeyFile {
  if (!(Number.isInteger(f.keyId) && f.keyId > 0 && f.keyId <= 0xffffffff)) throw new Error('the key file has no valid keyId');
  if (typeof f.secret !== 'string' || !/^([0-9a-f]{2}){16,64}$/i.test(f.secret)) throw new Error('the key file has no valid secret (16+ bytes of hex)');
  return f;
}

/** Parses a key file (JSON), a link with a `#k=` fragment, or the fragment alone. Throws with a reason. */
export function parseKeyText(text: string): KeyFile {
  const t = text.trim();
  if (t.startsWith('{')) {
    const j = JSON.parse(t);
    return checked({ keyId: Number(j.keyId), secret: String(j.secret), label: j.label, role: j.role, perms: j.perms, notBefore: j.notBefore, notAfter: j.notAfter });
  }
  const at = t.indexOf('#');
  const params = new URLSearchParams(at >= 0 ? t.slice(at + 1) : t);
  const k = params.get('k');
  if (!k) throw new Error('neither a key file (JSON) nor a key link (#k=<keyId>.<secret hex>)');
  const dot = k.indexOf('.');
  const f: KeyFile = { keyId: Number(k.slice(0, dot)), secret: k.slice(dot + 1) };
  const label = params.get('label');
  if (label) f.label = label;
  for (const [key, short] of NUMS) { const v = params.get(short); if (v !== null && v !== '') (f as any)[key] = Number(v); }
  return checked(f);
}
