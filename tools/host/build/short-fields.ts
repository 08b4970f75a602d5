/**
 * Short field names in the bundle: the minifier renames these properties of the firmware's own
 * state objects (terser `mangle.properties`) to one or two letters. On Espruino a property's name
 * is a variable of its own; a name of five characters or more needs a second one (13-byte
 * variables, E.dumpVariables), so each field of every such object, resident or made per call,
 * costs a variable more than a short name would. The source keeps its readable names.
 *
 * Only names listed here are renamed, and only names nothing outside the bundle reads: not
 * Espruino's API (options, events, Storage and crypto methods, Math.random), not a setting (they
 * are JSON in flash and in SET_CONFIG), not the board data the build writes into the bundle, not
 * a key of a JSON the benches print. `checkShortFields` fails the build if a listed name is in
 * Espruino's declared API or still appears anywhere in the minified bundle (a quoted key, a
 * string, a computed access), where renaming it would split one field into two.
 *
 * Not here: the minifier's other options (bundle.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SHORT_FIELDS = [
  // Core (firmware/core.ts)
  'configGen', 'relockTimer', 'enrolTimer', 'recoverTimer', 'enrolRole', 'actor', 'reserve', 'urgent', 'compactAt', 'linked',
  // Outputs (firmware/outputs.ts)
  'relayOnAt', 'relayLimit', 'relayTimer', 'driveOnAt', 'driveLimit', 'driveTimer',
  // TrustedClock (firmware/trusted-clock.ts)
  'baseSeconds', 'baseUptime', 'lastSaved', 'savedAtUptime',
  // Site (firmware/site.ts), KeyStore (firmware/keystore.ts)
  'cardMaster', 'setupCode', 'capacity',
  // The phone key's state (firmware/phonekey.ts) and the radio port (firmware/ports.ts Radio)
  'reasm', 'nonce', 'nonceAt', 'spent', 'outSize', 'guard', 'payloadSize', 'linkProtected', 'protect',
  // what HELLO's named key prepared (firmware/phonekey.ts Prepared) and a key's HMAC pads (Site, proofs)
  'pre', 'rec', 'pads',
  // Ports (firmware/ports.ts): filled by hal/espruino/boot.ts, read by the firmware, both in the bundle
  // (not `timers`, nor KeyRecord's `flags` below: Espruino's API has both names)
  'clock', 'storage', 'watchdog', 'button', 'radio', 'cards', 'trusted', 'secret', 'nextSeq',
  // the ports' own methods and fields (firmware/ports.ts) and the board data (firmware/core.ts CoreOptions)
  'activeHigh', 'watch', 'cancel', 'uptimeMs', 'sha256', 'crc32', 'start',
  'logSegments', 'logPerSegment', 'keyCapacity',
  // KeyRecord (firmware/keystore.ts)
  'perms', 'weekdays', 'notBefore', 'notAfter', 'winStart', 'winEnd', 'label',
];

/** For terser's mangle.properties, with `builtins: true` (its list of DOM names holds nonce, storage, button, label). */
export function shortFieldsRegex(): RegExp {
  return new RegExp('^(' + SHORT_FIELDS.join('|') + ')$');
}

/** Why the renaming would break the bundle, one line per name; empty when it is safe. */
export function checkShortFields(minified: string, root: string): string[] {
  const api = fs.readFileSync(path.join(root, 'hal', 'espruino.d.ts'), 'utf8') + fs.readFileSync(path.join(root, 'hal', 'espruino-api.json'), 'utf8');
  const out: string[] = [];
  for (const name of SHORT_FIELDS) {
    const word = new RegExp('(^|[^A-Za-z0-9_$])' + name + '([^A-Za-z0-9_$]|$)');
    if (word.test(api)) out.push('short field ' + name + ': Espruino\'s API has that name (hal/espruino.d.ts or espruino-api.json); take it off tools/host/build/short-fields.ts');
    if (word.test(minified)) out.push('short field ' + name + ': still in the minified bundle (a quoted key, a string or a computed access); take it off tools/host/build/short-fields.ts');
  }
  return out;
}
