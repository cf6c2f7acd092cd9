/**
 * Bandwidth timetables in rclone's `--bwlimit` syntax, e.g.
 * `"08:00,512k 12:00,10M 13:00,512k 18:00,30M 23:00,off"` or `"Mon-00:00,512 Fri-23:59,10M:100k"`.
 *
 * - A single value without time (`"1M"`, `"10M:100k"`, `"off"`) applies always.
 * - Otherwise entries `[Day-]HH:MM,BANDWIDTH` separated by spaces (or `;`, as rclone ≥ 1.68).
 *   An entry without a day applies every day; days are `Mon`/`Monday` … `Sun`/`Sunday`,
 *   any case.
 * - An entry holds from its time until the next entry in the week; the last one of the week
 *   wraps round to the first, so `"08:00,256k 18:00,off"` is 256 KiB/s all day and no limit
 *   all night. (rclone's own lookup falls back to the last entry *as written*, which differs
 *   only for tables not written in time order; this takes the latest entry *in the week*.)
 * - Bandwidths as in `bandwidth.ts`; the upload side of a pair is used.
 *
 * Every problem is reported, each with its position (0-based character offset) in the text.
 */
import { OutpostError } from './errors.js';
import { parseBandwidth, type BandwidthParseOptions } from './bandwidth.js';

export interface TimetableSlot {
  /** 0 = Sunday … 6 = Saturday. */
  day: number;
  /** Minutes after midnight, 0–1439. */
  minute: number;
  /** Bytes/s: 0 = paused, Infinity = no limit. */
  rateBps: number;
}

export interface Timetable {
  /** Sorted by time in the week; entries at the same time keep their written order (last wins). */
  readonly slots: readonly TimetableSlot[];
  /** The text it was parsed from. */
  readonly text: string;
}

export interface TimetableIssue {
  /** 0-based character offset of the offending entry (or part of it) in the text. */
  position: number;
  /** The offending text. */
  token: string;
  message: string;
}

export type TimetableParseResult =
  { ok: true; timetable: Timetable } | { ok: false; issues: TimetableIssue[] };

const DAYS: Record<string, number> = {
  sun: 0,
  sunday: 0,
  mon: 1,
  monday: 1,
  tue: 2,
  tuesday: 2,
  wed: 3,
  wednesday: 3,
  thu: 4,
  thursday: 4,
  fri: 5,
  friday: 5,
  sat: 6,
  saturday: 6,
};

const MINUTES_PER_DAY = 24 * 60;

export function parseTimetable(text: string, opts: BandwidthParseOptions = {}): TimetableParseResult {
  const issues: TimetableIssue[] = [];
  const trimmed = text.trim();
  if (trimmed === '')
    return { ok: false, issues: [{ position: 0, token: text, message: 'empty timetable' }] };
  const lead = text.indexOf(trimmed);

  // A lone value (no separators, no comma) is a constant limit.
  if (!/[\s;,]/.test(trimmed)) {
    const bw = parseBandwidth(trimmed, opts);
    if (!bw.ok) return { ok: false, issues: [{ position: lead, token: trimmed, message: bw.message }] };
    return { ok: true, timetable: { slots: [{ day: 0, minute: 0, rateBps: bw.bps }], text } };
  }

  const entries: (TimetableSlot & { order: number })[] = [];
  const tokenRe = /[^\s;]+/g;
  let m: RegExpExecArray | null;
  let order = 0;
  while ((m = tokenRe.exec(text)) !== null) {
    const tok = m[0];
    const at = m.index;
    const comma = tok.indexOf(',');
    if (comma < 0 || tok.indexOf(',', comma + 1) >= 0) {
      issues.push({ position: at, token: tok, message: `expected "[Day-]HH:MM,BANDWIDTH", got "${tok}"` });
      continue;
    }
    const when = tok.slice(0, comma);
    const bwText = tok.slice(comma + 1);
    let days: number[] = [0, 1, 2, 3, 4, 5, 6];
    let hhmm = when;
    let hhmmAt = at;
    const dash = when.indexOf('-');
    if (dash >= 0) {
      const dayName = when.slice(0, dash);
      const day = DAYS[dayName.toLowerCase()];
      if (day === undefined)
        issues.push({ position: at, token: dayName, message: `unknown day "${dayName}" (use Mon … Sun)` });
      else days = [day];
      hhmm = when.slice(dash + 1);
      hhmmAt = at + dash + 1;
    }
    const minute = parseHhmm(hhmm);
    if (typeof minute === 'string') issues.push({ position: hhmmAt, token: hhmm, message: minute });
    const bw = parseBandwidth(bwText, opts);
    if (!bw.ok) issues.push({ position: at + comma + 1, token: bwText, message: bw.message });
    if (typeof minute === 'number' && bw.ok) {
      for (const day of days) entries.push({ day, minute, rateBps: bw.bps, order: order++ });
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  entries.sort((a, b) => weekMinute(a) - weekMinute(b) || a.order - b.order);
  const slots = entries.map(({ day, minute, rateBps }) => ({ day, minute, rateBps }));
  return { ok: true, timetable: { slots, text } };
}

/** Parse, or throw a `CONFIG_INVALID` error listing every issue (for config loading). */
export function parseTimetableOrThrow(
  text: string,
  opts: BandwidthParseOptions = {},
  key = 'bwlimit',
): Timetable {
  const r = parseTimetable(text, opts);
  if (r.ok) return r.timetable;
  throw new OutpostError('CONFIG_INVALID', formatTimetableIssues(text, r.issues, key), {
    hint: 'Write it like rclone --bwlimit: "08:00,512k 18:00,off" or "Mon-08:00,2M Sat-00:00,off" or "1M".',
    details: r.issues,
  });
}

/** One line per issue: `bwlimit at 6 ("25:00"): hour must be 00–23`. */
export function formatTimetableIssues(
  text: string,
  issues: readonly TimetableIssue[],
  key = 'bwlimit',
): string {
  const lines = issues.map((i) => `${key} at ${i.position} ("${i.token}"): ${i.message}`);
  return `invalid ${key} "${text}":\n  ${lines.join('\n  ')}`;
}

/**
 * The limit in force at `date`, in bytes/s (0 = paused, Infinity = no limit). Wall-clock
 * times are read in `timeZone` (IANA name) or, without one, in the process's local zone.
 */
export function rateAt(tt: Timetable, date: Date, timeZone?: string): number {
  const { slots } = tt;
  if (slots.length === 0) return Infinity;
  const now = weekMinuteOf(date, timeZone);
  // Last slot at or before now; before the week's first slot, the week's last slot still holds.
  let lo = 0;
  let hi = slots.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (weekMinute(slots[mid] as TimetableSlot) <= now) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const slot = found >= 0 ? slots[found] : slots[slots.length - 1];
  return (slot as TimetableSlot).rateBps;
}

function parseHhmm(s: string): number | string {
  const m = /^(\d\d):(\d\d)$/.exec(s);
  if (!m) return `invalid time "${s}": expected HH:MM (e.g. 08:00)`;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23) return `invalid hour in "${s}": must be 00–23`;
  if (min > 59) return `invalid minute in "${s}": must be 00–59`;
  return h * 60 + min;
}

function weekMinute(s: { day: number; minute: number }): number {
  return s.day * MINUTES_PER_DAY + s.minute;
}

const WEEKDAY: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function weekMinuteOf(date: Date, timeZone: string | undefined): number {
  if (timeZone === undefined)
    return weekMinute({ day: date.getDay(), minute: date.getHours() * 60 + date.getMinutes() });
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  let day = 0;
  let h = 0;
  let min = 0;
  for (const p of f.formatToParts(date)) {
    if (p.type === 'weekday') day = WEEKDAY[p.value] ?? 0;
    else if (p.type === 'hour') h = Number(p.value) % 24;
    else if (p.type === 'minute') min = Number(p.value);
  }
  return weekMinute({ day, minute: h * 60 + min });
}
