/** Human names for the firmware's numeric codes (firmware/codes.ts), for timelines, the CLI and the web view. */
import * as C from '../firmware/codes';

function namesWith(prefix: string): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [k, v] of Object.entries(C)) if (k.startsWith(prefix) && typeof v === 'number') out[v] = k.slice(prefix.length).toLowerCase().replace(/_/g, ' ');
  return out;
}

const EVENTS = { ...namesWith('EV_'), ...namesWith('LOG_') };
const REASONS = namesWith('R_');
const STATES = namesWith('S_');

export const eventName = (n: number) => EVENTS[n] || 'event ' + n;
export const reasonName = (n: number) => REASONS[n] || 'reason ' + n;
export const stateName = (n: number) => STATES[n] || 'state ' + n;
