/**
 * The one console link's stream exchange (tools/host/console-link.ts), against a stand-in REPL
 * that answers as Espruino's console does (\r\n line ends, a prompt, output in arbitrary chunks):
 * what a line printed comes back exactly; lines queue; a dead transport and a silent board fail
 * with a message.
 */
import { strict as assert } from 'node:assert';
import { streamLink, type StreamLink } from '../../tools/host/console-link';

/** A REPL that runs `print("x")` calls of a sent line and answers in pieces of `chunk` chars. */
function repl(chunk: number, answer = true): { link: StreamLink; sent: string[] } {
  const sent: string[] = [];
  const link: StreamLink = streamLink({
    write: (text) => {
      sent.push(text);
      if (!answer) return;
      assert.equal(text[0], '\x10', 'echo off for the line');
      let out = '';
      for (const m of text.matchAll(/print\("((?:[^"\\]|\\.)*)"\)/g)) out += m[1].replace(/\\x([0-9a-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))) + '\r\n';
      out += '>';
      setTimeout(() => { for (let i = 0; i < out.length; i += chunk) link.received(out.slice(i, i + chunk)); }, 1);
    },
  }, { timeoutMs: 500, clean: (s) => s.replace(/^>/gm, '') });
  return { link, sent };
}

describe('tools/host/console-link: one line in, what it printed out', () => {
  it('returns exactly what the line printed, whatever the chunking', async () => {
    for (const chunk of [1, 3, 64]) {
      const { link } = repl(chunk);
      assert.equal(await link.run('print("a");print("b c")'), 'a\nb c');
      assert.equal(await link.run('1+1'), '');
    }
  });

  it('runs lines one at a time, in order, each with its own markers', async () => {
    const { link, sent } = repl(2);
    const got = await Promise.all([link.run('print("one")'), link.run('print("two")'), link.run('print("three")')]);
    assert.deepEqual(got, ['one', 'two', 'three']);
    assert.deepEqual(sent.map((s) => /\\x01(\d+)/.exec(s)![1]), ['1', '2', '3']);
  });

  it('a silent board: an error naming the line after the deadline; the next line still runs', async () => {
    const { link } = repl(4, false);
    await assert.rejects(link.run('print("x")', 50), /no answer from the board within 0\.05 s to: print\("x"\)/);
    await assert.rejects(link.run('print("y")', 50), /no answer/);
  });

  it('a transport that ends: pending and later lines fail with its reason', async () => {
    const { link } = repl(4, false);
    const p = link.run('print("x")');
    link.ended('the board disconnected');
    await assert.rejects(p, /the board disconnected/);
    await assert.rejects(link.run('print("y")'), /the board disconnected/);
  });
});
