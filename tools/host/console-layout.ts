/**
 * The transport of a relayout (tools/host/relayout.ts) over a board's JavaScript console (the one
 * ConsoleLink: the espruino package for `npm run flash`, Web Bluetooth or the simulator's socket for
 * the browser flasher, the simulated board in process for tests):
 * - the header chain, walked on the board with require("Flash").read from
 *   process.memory().flash_code_start (where Storage starts), as src/jsflash.c walks it;
 * - a page erase: require("Flash").erasePage(address), one line per page;
 * - a file write: console-upload.ts writePlainFile (pre-sized, in chunks, CRC32 read back);
 * - raw bytes back at an address: require("Flash").write in chunks, CRC32 read back.
 * `stopFirmware` first: reset() stops the running firmware (it must not write a log tile while
 * its pages are erased, nor run from a bundle being erased); load() boots the new one after.
 * Browser-safe: nothing here imports Node.
 */
import type { ConsoleLink } from './console-link';
import { READ_CHUNK, WRITE_CHUNK, byteLiteral, readRemoteFile, remoteCrc, writePlainFile } from './console-upload';
import { crc32 } from './bytes';
import { RelayoutError, type BoardStorage, type LayoutTarget, type Step } from './relayout';

/** Board-side walk of the header chain: prints {start, total, chain: [[at, size, name|""], ...]}. */
export const CHAIN_EXPR = '(function(){var F=require("Flash"),b=process.memory().flash_code_start,T=require("Storage").getStats().totalBytes,o=[],a=0,h,w,s,i,m;'
  + 'function hd(x){if(x+32>T)return 0;h=F.read(32,b+x);w=h[0]|h[1]<<8|h[2]<<16|h[3]<<24;return w!=-1&&w!=0&&x+32+(w&16777215)<=T;}'
  + 'if(hd(0))for(;;){s=w&16777215;m="";for(i=4;i<32&&h[i];i++)m+=String.fromCharCode(h[i]);o.push([a,s,(h[4]|h[5]|h[6]|h[7])?m:""]);'
  + 'a=(a+32+s+3)&~3;if(!hd(a)){a=a-a%4096+4096;if(a>=T||!hd(a))break;}}'
  + 'print(JSON.stringify({start:b,total:T,chain:o}));})()';

export interface ConsoleLayoutTarget extends LayoutTarget {
  /** Where Storage starts in the board's address space (known after storage()). */
  start?: number;
}

export function consoleLayoutTarget(link: ConsoleLink): ConsoleLayoutTarget {
  const t: ConsoleLayoutTarget = {
    async storage(): Promise<BoardStorage> {
      const out = (await link.run(CHAIN_EXPR)).trim();
      let v: { start: number; total: number; chain: [number, number, string][] };
      try { v = JSON.parse(out); } catch (e) { throw new RelayoutError('the board did not list its Storage (no require("Flash")?): ' + JSON.stringify(out.slice(0, 200))); }
      if (typeof v.start !== 'number' || typeof v.total !== 'number') throw new RelayoutError('the board did not say where its Storage is: ' + JSON.stringify(out.slice(0, 200)));
      t.start = v.start;
      return { total: v.total, chain: v.chain.map(([at, size, name]) => ({ at, size, name })) };
    },
    read: (name, length) => readRemoteFile(link, name, length),
    async readRaw(at: number, length: number): Promise<string> {
      if (t.start === undefined) await t.storage();
      let out = '';
      for (let off = 0; off < length; off += READ_CHUNK) {
        const b64 = (await link.run(`print(btoa(require("Flash").read(${Math.min(READ_CHUNK, length - off)},${t.start! + at + off})))`)).trim();
        if (!/^[A-Za-z0-9+/=]*$/.test(b64)) throw new RelayoutError('unexpected answer reading flash at ' + (at + off) + ': ' + JSON.stringify(b64.slice(0, 200)));
        out += atob(b64);
      }
      if (out.length !== length) throw new RelayoutError('read ' + out.length + ' bytes of flash at ' + at + ', expected ' + length);
      return out;
    },
    crc: (name) => remoteCrc(link, name),
    async run(steps: Step[], progress?: (done: number, total: number) => void): Promise<void> {
      if (t.start === undefined) await t.storage();
      let done = 0;
      for (const s of steps) {
        if (s.op === 'erase') {
          const out = (await link.run(`require("Flash").erasePage(${t.start! + s.page});print("ok")`)).trim();
          if (out !== 'ok') throw new RelayoutError('erasing the page at ' + s.page + ' failed on the board: ' + JSON.stringify(out.slice(0, 200)));
        } else if (s.op === 'program') {
          await programRaw(link, t.start! + s.at, s.data);
        } else {
          await writePlainFile(link, s.file.name, s.file.data);
        }
        if (progress) progress(++done, steps.length);
      }
    },
  };
  return t;
}

/** Programs raw bytes at a flash address (require("Flash").write), chunks of nothing but 0xFF skipped; verified by CRC32 read back. */
async function programRaw(link: ConsoleLink, addr: number, data: string): Promise<void> {
  for (let off = 0; off < data.length; off += WRITE_CHUNK) {
    const raw = data.slice(off, off + WRITE_CHUNK);
    if (/^\xff*$/.test(raw)) continue;
    const out = (await link.run(`require("Flash").write(${byteLiteral(raw)},${addr + off});print("ok")`)).trim();
    if (out !== 'ok') throw new RelayoutError('programming flash at ' + (addr + off) + ' failed on the board: ' + JSON.stringify(out.slice(0, 200)));
  }
  const back = (await link.run(`print(E.CRC32(require("Flash").read(${data.length},${addr})))`)).trim();
  if ((Number(back) >>> 0) !== crc32(data)) throw new RelayoutError('the flash at ' + addr + ' reads back wrong after programming (CRC ' + back + ', expected ' + crc32(data) + ')');
}

/** Board-side: the key slot file's capacity and slots used (firmware/slotfile.ts slotOpen's count), {} when absent. */
const KEY_SLOTS_EXPR = '(function(){var s=require("Storage").read("ck.keys"),r,c,m,t,u;if(!s||s.substr(0,3)!="CKS"){print("{}");return;}'
  + 'm=s.charCodeAt(3)-48;r=s.charCodeAt(4)<<8|s.charCodeAt(5);c=s.charCodeAt(6)<<8|s.charCodeAt(7);t=r+2+m;u=c;'
  + 'while(u>0&&/^\\xff*$/.test(s.substr(8+(u-1)*t,t)))u--;print(JSON.stringify({cap:c,used:u}));})()';

/** The board's key slots (capacity, used), counted on the board; undefined when it has no key slot file. */
export async function keySlotsOnBoard(link: ConsoleLink): Promise<{ cap: number; used: number } | undefined> {
  const out = (await link.run(KEY_SLOTS_EXPR)).trim();
  let v: { cap?: number; used?: number };
  try { v = JSON.parse(out); } catch (e) { throw new RelayoutError('unexpected answer counting key slots: ' + JSON.stringify(out.slice(0, 200))); }
  return typeof v.cap === 'number' && typeof v.used === 'number' ? { cap: v.cap, used: v.used } : undefined;
}

/**
 * Stops the running firmware (reset(): Espruino without the saved code) so nothing writes Storage
 * meanwhile. The firmware's hardware watchdog keeps counting through reset() and nothing would kick
 * it any more (the firmware kicks it itself, E.enableWatchdog(s, false)): a watchdog reset would cut
 * every update after its first seconds. E.enableWatchdog(60, true) turns on Espruino's auto-kick
 * from its idle loop; on a running nRF52 watchdog that is all it changes (its timeout is locked until
 * a power-on), and on a board without one it starts one with the longest timeout the firmware allows.
 */
export async function stopFirmware(link: ConsoleLink): Promise<void> {
  await link.run('reset()');
  await link.run('E.enableWatchdog(60,true)');
  const out = (await link.run('print("ok")')).trim();
  if (out !== 'ok') throw new RelayoutError('the board did not come back after reset(): ' + JSON.stringify(out.slice(0, 200)));
}
