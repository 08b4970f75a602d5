/**
 * Which Espruino can run our pretokenised bundles, and the check the flash tools make against a
 * board's process.env.VERSION before they write anything.
 *
 * The minimum: raw strings (0xD1/0xD2) are read since 2v20.48 (released in 2v21), raw integers
 * (0xD3-0xD5) since 2v25.396 (ChangeLog "Add pretokenisation of 8/16 bit ints", released in 2v26).
 * An older lexer reads 0xD3-0xD5 as unknown single-character tokens and the bundle fails to parse,
 * so the first release that runs it is 2v26; cutting-edge builds 2v25.396 and later run it too.
 * The lexer reads tokens on every build, SAVE_ON_FLASH ones included (ESPR_NO_PRETOKENISE only
 * removes Espruino's own tokeniser, src/jslex.c).
 */

/** The release named to people, and given to the tokeniser's version logic. */
export const MIN_PRETOKENISED = '2v26';
/** The first build that reads raw integers: 2v25.396. */
const MIN_MAJOR = 25, MIN_BUILD = 396;

/** "2v26", "2v25.396", "2v29.12": [major, build] (a release is build 0); undefined when not a version. */
function parse(v: string): [number, number] | undefined {
  const m = /^2v(\d+)(?:\.(\d+))?/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2] || 0)] : undefined;
}

/** Undefined when `version` runs pretokenised bundles, else the one line that says what to do. */
export function versionRefusal(version: string | undefined, board: string): string | undefined {
  const v = parse(version || '');
  if (v && (v[0] > MIN_MAJOR || (v[0] === MIN_MAJOR && v[1] >= MIN_BUILD))) return undefined;
  return 'this ' + board + ' runs Espruino ' + (version || '(unknown version)') + '; the firmware is pretokenised and needs Espruino ' +
    MIN_PRETOKENISED + ' or later: update the board\'s Espruino first (https://www.espruino.com/Download, docs/HARDWARE.md)';
}
