import type { Clock } from '../adapters/clock.js';

/**
 * Resolve as close after `atMs` (on `clock`) as the event loop allows: a timer to a few ms
 * before, then turns of the loop until the instant (timers alone fire up to a few ms late, more
 * on a busy loop). How a station begins a scheduled recording on time.
 */
export function untilInstant(clock: Clock, atMs: number, earlyMs = 4): Promise<void> {
  return new Promise((resolve) => {
    const spin = (): void => {
      if (clock.now().getTime() >= atMs) resolve();
      else setImmediate(spin);
    };
    const wait = atMs - clock.now().getTime() - earlyMs;
    if (wait > 0) setTimeout(spin, wait);
    else spin();
  });
}
