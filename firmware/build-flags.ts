/**
 * Build switches the firmware's own modules read (tools/host/build/bundle.ts defines them per
 * board from hal/boards/*.ts; globals.d.ts declares them). Read through a constant here, not the
 * global itself, so that firmware code run from source by the host tests (where no define exists)
 * gets every feature, while the minifier removes a switched-off feature's code from a bundle.
 */

/**
 * Protocol v2 (docs/KEYS-THAT-TRAVEL.md: board id in the CHALLENGE, tickets, revocation lists,
 * the time lower bound). Off on boards whose Storage cannot hold its code (hal/boards `travel`: the 40 KB nRF52832 boards).
 */
export const TRAVEL: boolean = typeof __TRAVEL__ === 'undefined' || __TRAVEL__;
