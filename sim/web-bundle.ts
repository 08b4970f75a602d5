/**
 * Bundles the simulator's browser code (sim/web/*.ts) with esbuild, in memory, at server start.
 * The pages reuse host modules as they are: firmware/frames.ts for framing and
 * tools/host/protocol.ts for message layouts (its Node-only HMAC is swapped for a stub that
 * throws: the browser signs with WebCrypto, see sim/web/keycrypto.ts).
 * Not here: serving the files (sim/server.ts), the static offline site (tools/build-web.ts).
 */
import * as esbuild from 'esbuild';
import * as path from 'node:path';

export const WEB_DIR = path.join(__dirname, 'web');
export const ENTRIES = ['vehicle', 'phonekey', 'relay-bench', 'flasher'] as const;

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

/**
 * Firmware modules only declare (constants, tables, functions): a page that takes M_HELLO from
 * firmware/phonekey.ts should not carry the state machine's tables along. Marking them free of side
 * effects lets esbuild drop what the page does not use.
 */
const FIRMWARE_DIR = path.resolve(__dirname, '..', 'firmware') + path.sep;
const firmwareIsPure: esbuild.Plugin = {
  name: 'firmware-is-pure',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, async (args) => {
      if (args.pluginData === 'inner') return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'inner' });
      if (r.errors.length || !r.path.startsWith(FIRMWARE_DIR)) return undefined;
      return { path: r.path, sideEffects: false };
    });
  },
};

/** One browser script from `file`, as an IIFE; `define` replaces identifiers with values (JSON). */
export async function bundleScript(file: string, opts: { sourcemap: boolean; define?: Record<string, string> }): Promise<string> {
  const r = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    sourcemap: opts.sourcemap ? 'inline' : false,
    define: opts.define,
    plugins: [nodeCryptoStub, firmwareIsPure],
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}

/** `<entry>.js` for each page script. */
export async function bundleWeb(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of ENTRIES) out[name + '.js'] = await bundleScript(path.join(WEB_DIR, name + '.ts'), { sourcemap: true });
  return out;
}
