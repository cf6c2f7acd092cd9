/**
 * A capture time as the camera saw it: wall-clock fields in the camera's local time,
 * plus the UTC offset when the file states one. Naive camera clocks are the norm, so
 * the offset is optional and never invented.
 */
export interface CaptureTime {
  /** `YYYY-MM-DDTHH:mm:ss` in the camera's local time. */
  local: string;
  /** `+HH:MM` / `-HH:MM` when the file records it. */
  offset?: string;
  /** exif/video: the file says; mtime: the file's date; received: when a camera sent it to us (snapshots). */
  source: 'exif' | 'video' | 'mtime' | 'received';
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;
const OFFSET_RE = /^[+-]\d{2}:\d{2}$/;

export function isValidLocal(s: string): boolean {
  const m = LOCAL_RE.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return y >= 1970 && y < 2200 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && se < 61;
}

export function isValidOffset(s: string): boolean {
  return OFFSET_RE.test(s);
}

/** ISO 8601 form, with offset when known. */
export function captureTimeIso(t: CaptureTime): string {
  return t.offset ? `${t.local}${t.offset}` : t.local;
}

/** Wall-clock parts of an instant in a time zone (the station's zone for mtimes and UTC video stamps). */
export function localFromInstant(ms: number, timeZone: string): string {
  const fmt = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  const parts = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

/** `YYYY-MM-DD` of an instant in a time zone: the download-date folder. */
export function dateFolderOf(ms: number, timeZone: string): string {
  return localFromInstant(ms, timeZone).slice(0, 10);
}

/** `+HH:MM` of a zone at an instant (the recorder and the snapshot server know their clock's offset, unlike a camera). */
export function offsetOf(ms: number, timeZone: string): string {
  const local = localFromInstant(ms, timeZone);
  const asUtc = Date.parse(`${local}Z`);
  const mins = Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
  const sign = mins < 0 ? '-' : '+';
  const a = Math.abs(mins);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

const LOCAL_MS_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

/** The zone's offset from UTC at an instant, ms (east of Greenwich positive). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  const m = LOCAL_MS_RE.exec(localFromInstant(whole, timeZone));
  if (!m) throw new RangeError(`cannot read the wall clock of ${timeZone}`);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s) - whole;
}

/**
 * The instants at which the zone's wall clock reads `local` (`YYYY-MM-DDTHH:mm:ss`, optionally
 * `.mmm`), earliest first: one normally, two in the repeated hour when clocks go back, none in the
 * skipped hour when they go forward. Undefined when `local` is not such a string. Callers with a
 * reference instant pick the candidate nearest to it (a camera's wall time says nothing about DST).
 */
export function instantsFromLocal(local: string, timeZone: string): number[] | undefined {
  const naive = naiveUtcMs(local);
  if (naive === undefined) return undefined;
  const out = new Set<number>();
  // Transitions are hours apart and never twice within a day or two, so the offsets in force a
  // day either side (and at the naive instant itself) include every offset that can apply.
  for (const probe of [naive - 86_400_000, naive, naive + 86_400_000]) {
    const t = naive - zoneOffsetMs(probe, timeZone);
    if (localFromInstant(t, timeZone) === local.slice(0, 19)) out.add(t);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * `local` read as if it were UTC (ms), or undefined when it is not a real calendar time: also the
 * candidate offsets' base for a time in a spring-forward gap, which no zone instant matches.
 */
export function naiveUtcMs(local: string): number | undefined {
  const m = LOCAL_MS_RE.exec(local);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const frac = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  const t = Date.UTC(y, mo - 1, d, h, mi, s, frac);
  const back = new Date(t);
  if (
    y < 1970 ||
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    back.getUTCHours() !== h ||
    back.getUTCMinutes() !== mi ||
    back.getUTCSeconds() !== s
  )
    return undefined;
  return t;
}
