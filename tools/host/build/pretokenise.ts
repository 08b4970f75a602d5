/**
 * Pretokenising a bundle with the espruino package's own Pretokenise plugin
 * (node_modules/espruino/plugins/pretokenise.js, what the Web IDE runs before an upload): keywords
 * and operators become one byte >= 0x80, strings raw strings (0xD1/0xD2), integers raw ints
 * (0xD3-0xD5). About 16 % fewer bytes in Storage, fewer variables (a raw string longer than one
 * variable's data stays in flash: jslex.c jslGetRawString) and faster parsing on the board.
 *
 * The plugin expects the Web IDE's globals. `require('espruino').init()` would provide them but
 * also opens the package's serial, Bluetooth and UI layers and sets process-wide globals (require,
 * $, navigator) in every process that builds a bundle, the simulator's tests included. So the
 * plugin file runs here in its own VM context with the four things it reads: `acorn`, the board's
 * version (for its version logic, given as the minimum below), atob (for atob("...") strings) and
 * registration stubs. Its code is used as published, nothing of it copied.
 *
 * The self-check: the tokenised bytes read back as Espruino's lexer reads them (tools/host/pretokens.ts)
 * must parse and tokenise again to the same bytes, else the build fails.
 * Not here: reading tokenised code (tools/host/pretokens.ts), the version gate (tools/host/espruino-version.ts).
 */
import * as fs from 'node:fs';
import * as vm from 'node:vm';
import * as acorn from 'acorn';
import { untokenise } from '../pretokens';
import { MIN_PRETOKENISED } from '../espruino-version';

interface Plugin { tokenise(code: string): string }

let plugin: Plugin | undefined;

function load(): Plugin {
  if (plugin) return plugin;
  const file = require.resolve('espruino/plugins/pretokenise.js');
  const Espruino = {
    Core: {
      Config: { add() { /* the IDE's settings page */ } },
      // PRETOKENISE 1 = "Auto": the plugin picks raw strings (>= 2v20.48) and raw ints (>= 2v26) by version.
      Env: { getBoardData: () => ({ VERSION: MIN_PRETOKENISED }) },
      Utils: { atob: (s: string) => Buffer.from(s, 'base64').toString('latin1') },
    },
    Config: { PRETOKENISE: 1, SAVE_ON_SEND: 1 },
    addProcessor() { /* the IDE's upload pipeline */ },
    Plugins: {} as Record<string, Plugin>,
  };
  vm.runInNewContext(fs.readFileSync(file, 'utf8'), { acorn, Espruino, console }, { filename: file });
  plugin = Espruino.Plugins.Pretokenise;
  if (!plugin || typeof plugin.tokenise !== 'function') throw new Error(file + ' no longer defines Espruino.Plugins.Pretokenise.tokenise');
  return plugin;
}

export class PretokeniseError extends Error {}

/** The bundle as Espruino will hold it: a latin1 string, one character per byte. */
export function pretokenise(code: string, where: string): string {
  const tokens = load().tokenise(code);
  const back = untokenise(tokens, false);
  try {
    acorn.parse(back, { ecmaVersion: 2020 });
  } catch (e) {
    throw new PretokeniseError(where + ': the pretokenised bundle does not read back as JavaScript (' + (e as Error).message + '): Espruino would not run it as written; find the construct near that column in the plain text (' + where + '.map maps it) and write it differently');
  }
  if (load().tokenise(back) !== tokens) {
    throw new PretokeniseError(where + ': the pretokenised bundle, read back, tokenises to different bytes; the tokeniser and tools/host/pretokens.ts disagree');
  }
  return tokens;
}
