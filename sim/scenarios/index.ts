/** The shipped scenarios, in the order they tell the story. */
import enrolFirstOwner from './enrol-first-owner';
import guestKeyExpires from './guest-key-expires';
import bruteForce from './brute-force';
import replayAttack from './replay-attack';
import powerCutDuringUpdate from './power-cut-during-update';
import lostCardRevoked from './lost-card-revoked';
import realRadio from './real-radio';
import hostileCarPark from './hostile-car-park';
import threeCarsOneExtracted from './three-cars-one-extracted';
import type { Scenario } from '../scenario';

export const scenarios: Scenario[] = [enrolFirstOwner, guestKeyExpires, bruteForce, replayAttack, powerCutDuringUpdate, lostCardRevoked, realRadio, hostileCarPark, threeCarsOneExtracted];
