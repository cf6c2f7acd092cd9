import { isIPv4, isIPv6 } from 'node:net';

/**
 * A small in-memory limiter of attempts (sliding window), keyed by strings such as
 * `login:10.0.0.7|ana` or `login-ip:10.0.0.7`. In memory on purpose: one process serves the LAN
 * (or HQ), and a restart forgetting the counts costs an attacker a reboot of the machine.
 *
 * An attempt is counted when it starts, not when it has failed: the check and the count happen in
 * one synchronous step, so N requests sent at once cannot all pass the check before the first
 * failure is written (each password check takes a scrypt's time, plenty for a burst to slip in).
 * An attempt that turns out right is taken back with {@link Reservation.succeeded}.
 */
export interface AttemptLimiter {
  /**
   * Count one attempt under every key at once, or none when any key is at its limit. Returns the
   * reservation, or how long to wait (milliseconds, > 0) until the fullest key frees a slot.
   */
  attempt(keys: readonly LimitedKey[], nowMs: number): Reservation | { retryAfterMs: number };
}

/** A key and the attempts it may make per window. */
export interface LimitedKey {
  key: string;
  max: number;
}

/** One counted attempt: it stays counted (a failure) unless it {@link succeeded}. */
export interface Reservation {
  /** The attempt was right: it no longer counts against its keys. Idempotent. */
  succeeded(): void;
}

export interface LimiterOptions {
  windowMs: number;
  /** Keys kept at most (oldest dropped): a flood of made-up user names cannot exhaust memory. */
  maxKeys?: number;
}

/**
 * Login and setup limits. A wrong password counts under the client address + user name (so one
 * device typing a name wrong does not lock that user out on the others) and under the address
 * alone, with a larger cap (so one address cannot try names without end), and under the whole
 * server with a far larger one (so many addresses together cannot spray passwords without end).
 */
export const LOGIN_LIMITS = {
  windowMs: 5 * 60 * 1000,
  maxKeys: 10_000,
  /** Failed logins per client address and user name. */
  perAddressAndName: 10,
  /** Failed logins per client address, whatever the names. */
  perAddress: 30,
  /**
   * Failed logins on this server from all addresses together: a guard against password spraying
   * from many addresses (each under its own caps). High enough that a LAN of honest devices never
   * meets it (one failure a second, sustained for five minutes).
   */
  perServer: 300,
  /** Wrong setup codes per client address. */
  setupPerAddress: 10,
} as const;

export function isReservation(r: Reservation | { retryAfterMs: number }): r is Reservation {
  return 'succeeded' in r;
}

export function createAttemptLimiter(o: LimiterOptions): AttemptLimiter {
  // Each key's attempts, oldest first; an attempt is an object so that succeeded() removes
  // exactly its own entry, even when other attempts of the key share its millisecond.
  const attempts = new Map<string, { at: number }[]>();
  const maxKeys = o.maxKeys ?? 10_000;
  const live = (key: string, nowMs: number): { at: number }[] => {
    const list = attempts.get(key);
    if (!list) return [];
    const kept = list.filter((a) => a.at > nowMs - o.windowMs);
    if (kept.length === 0) attempts.delete(key);
    else if (kept.length !== list.length) attempts.set(key, kept);
    return kept;
  };
  return {
    attempt(keys, nowMs) {
      let wait = 0;
      for (const { key, max } of keys) {
        const kept = live(key, nowMs);
        // The window frees a slot when the oldest attempt that fills the limit leaves it.
        if (kept.length >= max) wait = Math.max(wait, 1, kept[kept.length - max]!.at + o.windowMs - nowMs);
      }
      if (wait > 0) return { retryAfterMs: wait };
      const entry = { at: nowMs };
      for (const { key } of keys) {
        const kept = live(key, nowMs);
        kept.push(entry);
        // Re-inserted: the map's order is then least recently attempted first, the eviction order.
        attempts.delete(key);
        attempts.set(key, kept);
      }
      while (attempts.size > maxKeys) attempts.delete(attempts.keys().next().value!);
      let done = false;
      return {
        succeeded() {
          if (done) return;
          done = true;
          for (const { key } of keys) {
            const list = attempts.get(key);
            const i = list ? list.indexOf(entry) : -1;
            if (i < 0) continue;
            list!.splice(i, 1);
            if (list!.length === 0) attempts.delete(key);
          }
        },
      };
    },
  };
}

/**
 * The part of a client address that one client controls: an IPv4 address, or the /64 network
 * of an IPv6 address (a home or cloud host gets a whole /64 and may pick any address in it, so
 * counting per IPv6 address would give an attacker 2^64 fresh counters).
 */
export function clientAddressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const groups = expandIPv6(ip.split('%')[0]!);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, as lower-case hex without leading zeros. */
function expandIPv6(ip: string): string[] {
  let s = ip.toLowerCase();
  // A dotted IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two more groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => parseInt(g, 16).toString(16));
}
