/**
 * The times a person types for a range of video (`outpost export --from … --to …`, pure):
 * ISO 8601 with an offset or Z (an instant), a date and time without one (the station's wall
 * clock), or a bare time (`14:37`, `14:37:05.5`: the day of --from, or today for --from). Seconds,
 * fractions (milliseconds) and a space instead of the T are accepted. A bare end before its start
 * is the next day (`--from 23:50 --to 00:10`).
 */
import { OutpostError } from './errors.js';
import { instantsFromLocal, localFromInstant } from './capture-time.js';

const WITH_OFFSET = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})$/i;
const LOCAL_DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)$/;
const BARE_TIME = /^(\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)$/;

/** `HH:MM[:SS[.fff…]]` → `HH:MM:SS[.fff]` (milliseconds at most). */
function normalTime(t: string): string {
  const [hms, frac] = t.split('.');
  const parts = hms!.split(':');
  const [h, m, s = '00'] = parts;
  const ms = frac ? `.${frac.slice(0, 3)}` : '';
  return `${h!.padStart(2, '0')}:${m}:${s}${ms}`;
}

function localInstant(day: string, time: string, zone: string, what: string): number {
  const all = instantsFromLocal(`${day}T${normalTime(time)}`, zone);
  if (!all || all.length === 0)
    throw new OutpostError(
      'USAGE',
      `${what} ${day} ${time}: no such time in ${zone} (a date that does not exist, or a DST gap)`,
    );
  // A wall-clock time that happens twice (DST ends) is its first occurrence.
  return Math.min(...all);
}

export function parseTimeRange(
  from: string,
  to: string,
  zone: string,
  nowMs: number,
): { fromMs: number; toMs: number } {
  const one = (v: string, what: string, day: string): { ms: number; bare: boolean } => {
    const s = v.trim();
    let m = WITH_OFFSET.exec(s);
    if (m) {
      const off = m[3]!.toUpperCase() === 'Z' ? 'Z' : m[3]!.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
      const ms = Date.parse(`${m[1]}T${normalTime(m[2]!)}${off}`);
      if (Number.isNaN(ms)) throw new OutpostError('USAGE', `${what} ${v}: not a time`);
      return { ms, bare: false };
    }
    m = LOCAL_DATE_TIME.exec(s);
    if (m) return { ms: localInstant(m[1]!, m[2]!, zone, what), bare: false };
    m = BARE_TIME.exec(s);
    if (m) return { ms: localInstant(day, m[1]!, zone, what), bare: true };
    throw new OutpostError(
      'USAGE',
      `${what} ${v}: give a time like 2026-11-21T14:02, 14:37, 14:37:05.5 or 2026-11-21T14:02:00-05:00`,
    );
  };
  const today = localFromInstant(nowMs, zone).slice(0, 10);
  const a = one(from, '--from', today);
  const fromDay = localFromInstant(a.ms, zone).slice(0, 10);
  let b = one(to, '--to', fromDay);
  if (b.bare && b.ms <= a.ms) {
    const next = localFromInstant(a.ms + 86_400_000, zone).slice(0, 10);
    b = one(to, '--to', next);
  }
  if (!(b.ms > a.ms)) throw new OutpostError('USAGE', `--to ${to} is not after --from ${from}`);
  return { fromMs: a.ms, toMs: b.ms };
}
