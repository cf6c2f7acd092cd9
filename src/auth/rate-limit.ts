/**
 * A small in-memory limiter of failed attempts (sliding window), keyed by strings such as
 * `ip:192.168.1.20` or `user:ana`. In memory on purpose: one station process serves the LAN, and
 * a restart forgetting the counts costs an attacker a reboot of the station.
 */
export interface AttemptLimiter {
  /** Milliseconds until `key` may try again, or 0 when it may try now. */
  retryAfterMs(key: string, nowMs: number): number;
  /** Count a failed attempt of `key`. */
  fail(key: string, nowMs: number): void;
  /** Forget `key` (not used for failures of other keys). */
  reset(key: string): void;
}

export interface LimiterOptions {
  /** Failed attempts allowed per window; the next one is refused. */
  max: number;
  windowMs: number;
  /** Keys kept at most (oldest dropped): a flood of made-up user names cannot exhaust memory. */
  maxKeys?: number;
}

export const LOGIN_LIMIT: LimiterOptions = { max: 10, windowMs: 5 * 60 * 1000, maxKeys: 10_000 };

export function createAttemptLimiter(o: LimiterOptions): AttemptLimiter {
  const failures = new Map<string, number[]>();
  const maxKeys = o.maxKeys ?? 10_000;
  const live = (key: string, nowMs: number): number[] => {
    const list = failures.get(key);
    if (!list) return [];
    const kept = list.filter((t) => t > nowMs - o.windowMs);
    if (kept.length === 0) failures.delete(key);
    else if (kept.length !== list.length) failures.set(key, kept);
    return kept;
  };
  return {
    retryAfterMs(key, nowMs) {
      const kept = live(key, nowMs);
      if (kept.length < o.max) return 0;
      // The window frees a slot when the oldest counted failure leaves it.
      return Math.max(1, kept[kept.length - o.max]! + o.windowMs - nowMs);
    },
    fail(key, nowMs) {
      const kept = live(key, nowMs);
      kept.push(nowMs);
      failures.delete(key);
      failures.set(key, kept.slice(-o.max));
      while (failures.size > maxKeys) failures.delete(failures.keys().next().value!);
    },
    reset(key) {
      failures.delete(key);
    },
  };
}
