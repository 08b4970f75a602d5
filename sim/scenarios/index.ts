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
import shareWhileAway from './share-while-away';
import revocationTravels from './revocation-travels';
import type { Scenario } from '../scenario';

export const scenarios: Scenario[] = [enrolFirstOwner, guestKeyExpires, bruteForce, replayAttack, powerCutDuringUpdate, lostCardRevoked, realRadio, hostileCarPark, threeCarsOneExtracted];

/**
 * Scenarios of protocol v2 that need the board side (HELLO version, CHALLENGE v2, TICKET COMMAND,
 * LIST, GET LIST: docs/KEYS-THAT-TRAVEL.md section 14). test/sim/scenarios-v2.test.ts runs them
 * when the firmware answers a v2 HELLO with a v2 CHALLENGE, and skips them, saying why, otherwise.
 */
export const v2Scenarios: Scenario[] = [shareWhileAway, revocationTravels];
