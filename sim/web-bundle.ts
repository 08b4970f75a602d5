/**
 * Bundles the simulator's browser code (sim/web/*.ts) with esbuild, in memory, at server start.
 * The pages reuse host modules as they are: firmware/frames.ts for framing and
 * tools/phonekey/protocol.ts for message layouts (its Node-only HMAC is swapped for a stub that
 * throws: the browser signs with WebCrypto, see sim/web/keycrypto.ts).
 * Not here: serving the files (sim/server.ts).
 */
import * as esbuild from 'esbuild';
import * as path from 'node:path';

export const WEB_DIR = path.join(__dirname, 'web');
export const ENTRIES = ['vehicle', 'phonekey', 'bench'] as const;

const nodeCryptoStub: esbuild.Plugin = {
  name: 'node-crypto-stub',
  setup(b) {
    b.onResolve({ filter: /^(node:)?crypto$/ }, () => ({ path: 'node-crypto-stub', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'export function createHmac() { throw new Error("node:crypto is not in the browser; use WebCrypto"); }',
      loader: 'js',
    }));
  },
};

/** `<entry>.js` for each page script. */
export async function bundleWeb(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of ENTRIES) {
    const r = await esbuild.build({
      entryPoints: [path.join(WEB_DIR, name + '.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      sourcemap: 'inline',
      plugins: [nodeCryptoStub],
      logLevel: 'silent',
    });
    out[name + '.js'] = r.outputFiles[0].text;
  }
  return out;
}
