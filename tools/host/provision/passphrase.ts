/**
 * Where the site file's passphrase comes from: the CARKEY_PASSPHRASE environment variable, or a
 * prompt on the terminal that does not echo what is typed. Nothing here stores or prints it.
 */
import { ProvisionError } from './sitefile';

const PASSPHRASE_ENV = 'CARKEY_PASSPHRASE';
const MIN_NEW_LENGTH = 8;

/** Reads a line from the terminal without echo (raw mode). */
function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) return Promise.reject(new ProvisionError('no passphrase: set ' + PASSPHRASE_ENV + ' or run in a terminal'));
  return new Promise((resolve, reject) => {
    process.stderr.write(question);
    let line = '';
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const done = (err?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err); else resolve(line);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new ProvisionError('cancelled'));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else if (ch >= ' ') line += ch;
      }
    };
    input.on('data', onData);
  });
}

/** The passphrase of an existing site file. */
export async function getPassphrase(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const p = env[PASSPHRASE_ENV];
  if (p !== undefined) {
    if (!p) throw new ProvisionError(PASSPHRASE_ENV + ' is empty');
    return p;
  }
  const typed = await promptHidden('Site passphrase: ');
  if (!typed) throw new ProvisionError('an empty passphrase is not allowed');
  return typed;
}

/** A passphrase for a new site file: typed twice when prompted; at least 8 characters. */
export async function getNewPassphrase(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let p = env[PASSPHRASE_ENV];
  if (p === undefined) {
    p = await promptHidden('New site passphrase: ');
    const again = await promptHidden('Repeat it: ');
    if (again !== p) throw new ProvisionError('the two passphrases differ');
  }
  if (p.length < MIN_NEW_LENGTH) throw new ProvisionError('the passphrase must have at least ' + MIN_NEW_LENGTH + ' characters');
  return p;
}
