/**
 * A construct Espruino lacks, written into a board-side file, must fail our build or type-check
 * with the file's name, never reach the board. These tests put such files next to a temporary
 * copy of the real config and run the same checks `npm test` runs.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, bundleFirmware, checkBoardSources, DialectError } from '../../tools/host/build/bundle';
import { boards } from '../../hal/boards/index';

const CASES: Array<[name: string, source: string, rule: string]> = [
  ['uses-map', 'export function g(): unknown { return new Map(); }', 'missing-global'],
  ['default-param', 'export function f(a = 1): number { return a + 1; }', 'default-parameter'],
  ['spread', 'export function f(xs: number[]): number[] { return [...xs, 1]; }', 'spread'],
  ['destructure', 'export function f(o: { a: number }): number { const { a } = o; return a; }', 'destructuring'],
];

function tempFirmwareFile(name: string, source: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-probe-'));
  const file = path.join(dir, name + '.ts');
  fs.writeFileSync(file, source);
  return file;
}

function typeCheck(config: string, file: string): { status: number | null; out: string } {
  const dir = path.dirname(file);
  const tsconfig = path.join(dir, 'tsconfig.json');
  // The temporary file stands where firmware/ files stand: with our board-side built-in declarations.
  fs.writeFileSync(tsconfig, JSON.stringify({ extends: path.join(ROOT, config), include: [], files: [file, path.join(ROOT, 'firmware', 'espruino-builtins.d.ts')] }));
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', tsconfig], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('board-side code that Espruino cannot run fails the build', function () {
  this.timeout(60000);

  for (const [name, source, rule] of CASES) {
    it(`the source guard names ${name}.ts and the rule ${rule}`, async () => {
      const file = tempFirmwareFile(name, source);
      const errors = await checkBoardSources([file]);
      assert.ok(errors.length > 0, 'expected an error');
      assert.ok(errors.some((e) => e.includes(name + '.ts:') && e.includes(rule)), errors.join('\n'));
    });

    it(`a bundle importing ${name}.ts fails, naming the file through the source map`, async () => {
      const file = tempFirmwareFile(name, source);
      const entry = `import * as m from ${JSON.stringify(file)}; print(m);`;
      await assert.rejects(bundleFirmware(boards[0], { entry }), (e: unknown) => {
        assert.ok(e instanceof DialectError);
        assert.ok(e.lines.some((l) => l.includes(name + '.ts:') && l.includes(rule)), e.lines.join('\n'));
        return true;
      });
    });
  }

  it('new Map() in a firmware file is a type error naming the file', () => {
    const file = tempFirmwareFile('typed-map', 'export const m = new Map<string, number>();\n');
    const r = typeCheck('tsconfig.firmware.json', file);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /typed-map\.ts\(1,\d+\): error TS\d+: Cannot find name 'Map'/);
  });

  it('Uint8Array.slice in board code is typed as the plain Array Espruino returns', () => {
    const file = tempFirmwareFile('u8-slice', 'export function f(b: Uint8Array): Uint8Array { return b.slice(0, 2); }\n');
    const r = typeCheck('tsconfig.firmware.json', file);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /u8-slice\.ts\(1,\d+\): error TS\d+: Type 'number\[\]' is missing the following properties from type 'Uint8Array/);
  });

  it('an Espruino global in firmware/ is a type error (firmware sees hardware only through ports)', () => {
    const file = tempFirmwareFile('touches-e', 'export function r(): number { return E.hwRand(); }\n');
    const r = typeCheck('tsconfig.firmware.json', file);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /touches-e\.ts\(1,\d+\): error TS\d+: Cannot find name 'E'/);
  });

  it('a Node API in board code is a type error', () => {
    const file = tempFirmwareFile('uses-buffer', 'export const b = Buffer.from("x");\n');
    const r = typeCheck('tsconfig.board.json', file);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /uses-buffer\.ts\(1,\d+\): error TS\d+: Cannot find name 'Buffer'/);
  });

  it('the real sources pass the guard and every board bundle builds clean', async () => {
    assert.deepEqual(await checkBoardSources(), []);
    for (const board of boards) {
      const b = await bundleFirmware(board);
      assert.ok(b.bytes > 500, board.id + ' bundle is not empty');
    }
  });
});
