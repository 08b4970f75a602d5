/**
 * The phone-key tests' board: the core and the phone key over fake ports and a fake radio, started
 * as firmware/app.ts starts them, with the owner (key 1) in the table. Each test adds its own keys,
 * phone steps and probes on top.
 */
import { type Core, coreStart, manageKey } from '../../firmware/core';
import { ksLookup } from '../../firmware/keystore';
import { type PhoneKey, phoneKeyStart } from '../../firmware/phonekey';
import { type Site, keySecret, siteLoad } from '../../firmware/site';
import type { PhoneKeyFile } from '../../tools/host/protocol';
import { type FakeBoard, fakeBoard } from './fake-ports';
import { type FakeRadio, fakeRadio } from './fake-radio';
import { key } from './keys';

export interface PhoneRig { b: FakeBoard; core: Core; radio: FakeRadio; pk: PhoneKey; site: Site }

export function phoneRig(): PhoneRig {
  const b = fakeBoard();
  // The site first, as firmware/app.ts does: a board with other files of ours but no site refuses.
  const site = siteLoad(b.ports.storage, b.ports.crypto, b.ports.random)!;
  const core = coreStart(b.ports, { keyCapacity: 50, logSegments: 3, logPerSegment: 32 });
  const radio = fakeRadio();
  const pk = phoneKeyStart(core, radio, site);
  manageKey(core, undefined, 'add', key(1));
  return { b, core, radio, pk, site };
}

/** The key file a phone holds for key `id` of the rig's table (its secret derived from the site). */
export function keyFileOf(r: PhoneRig, id: number): PhoneKeyFile {
  return { keyId: id, secret: keySecret(r.b.ports.crypto, r.site, id, ksLookup(r.core.ks, id)!.salt) };
}
