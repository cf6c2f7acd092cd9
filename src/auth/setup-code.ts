import { randomInt, timingSafeEqual } from 'node:crypto';

/** Letters and digits nobody mistakes for one another when reading them off a log (no 0/O, 1/I/L). */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/**
 * A one-time code for creating the first user: `XXXX-XXXX` (about 40 bits). The station prints it
 * at start while the library has no users, so only someone who can read the station's console or
 * journal can claim the first editor account, not whoever on the LAN reaches the page first.
 */
export function newSetupCode(pick: (n: number) => number = randomInt): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += ALPHABET[pick(ALPHABET.length)]!;
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

/** Case, spaces and dashes do not matter when typing it in. */
export function normaliseSetupCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

/** Constant-time comparison of a typed code with the expected one. */
export function setupCodeMatches(expected: string, typed: string | undefined): boolean {
  if (typed === undefined) return false;
  const a = Buffer.from(normaliseSetupCode(expected));
  const b = Buffer.from(normaliseSetupCode(typed));
  return a.length === b.length && timingSafeEqual(a, b);
}
