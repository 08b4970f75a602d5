/** Clock port on Espruino: getTime() is seconds since boot until setTime() moves it to real time. */
import type { Clock } from '../ports';

export function espruinoClock(): Clock {
  let bootOffset = 0; // getTime() at the moment setTime() last moved it, to keep uptime monotonic
  let lastUptime = 0;
  return {
    uptimeMs: () => {
      const up = (getTime() - bootOffset) * 1000;
      if (up > lastUptime) lastUptime = up;
      return lastUptime;
    },
    rtcSeconds: () => Math.floor(getTime()),
    setRtcSeconds: (seconds) => {
      const before = getTime();
      setTime(seconds);
      bootOffset += getTime() - before;
    },
  };
}
