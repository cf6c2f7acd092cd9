/**
 * Fixing a wrong camera clock (issue 13 §2): parse an offset such as "+1h30m" or "-2d 3s",
 * derive the offset from "this photo was really taken at …", and shift capture times.
 * Pure: no clock, no I/O. The op that records a correction keeps the camera's original value
 * (`original`) so it can be undone and audited; the corrected time is `corrected`.
 */

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
const OFFSET_RE = /^([+-])?\s*((?:\d+\s*[dhms]\s*)+)$/;
const PART_RE = /(\d+)\s*([dhms])/g;

/** Op field that holds a capture-time correction. */
export const TIME_SHIFT_FIELD = 'timeShift';

/** Value of a `timeShift` op: the offset applied to the camera's original capture time. */
export interface TimeShiftValue {
  offsetMs: number;
}

/**
 * "+1h30m", "-2d", "90s", "1d 2h 3m 4s" → milliseconds (sign defaults to +).
 * Undefined when unreadable; each unit may appear once, in the order d, h, m, s.
 */
export function parseOffset(text: string): number | undefined {
  const m = OFFSET_RE.exec(text.trim());
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  let total = 0;
  let lastRank = -1;
  const order = 'dhms';
  for (const part of (m[2] ?? '').matchAll(PART_RE)) {
    const unit = part[2] as keyof typeof UNIT_MS;
    const rank = order.indexOf(unit);
    if (rank <= lastRank) return undefined;
    lastRank = rank;
    total += Number(part[1]) * UNIT_MS[unit];
  }
  return sign * total;
}

/** Milliseconds → "+1d2h3m4s" / "-30m" / "0s" (inverse of parseOffset, whole seconds). */
export function formatOffset(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  let rest = Math.round(Math.abs(ms) / 1000);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) out += `${n}${unit}`;
  }
  return sign + out;
}

/** "This photo (camera time `cameraMs`) was really taken at `trueMs`" → the offset for all items. */
export function offsetFromAnchor(cameraMs: number, trueMs: number): number {
  return trueMs - cameraMs;
}

/** The corrected capture time: original camera time plus the winning offset (none = unchanged). */
export function correctedTime(originalMs: number, shift: TimeShiftValue | null | undefined): number {
  return shift ? originalMs + shift.offsetMs : originalMs;
}

/**
 * A further shift on top of an existing correction: offsets add up, so shifting by +1h then by
 * -1h returns to the camera's original time (offset 0 = the op value `null`, correction removed).
 */
export function combineShift(
  current: TimeShiftValue | null | undefined,
  byMs: number,
): TimeShiftValue | null {
  const total = (current?.offsetMs ?? 0) + byMs;
  return total === 0 ? null : { offsetMs: total };
}

/** UTC date folder name (YYYY-MM-DD) of a time, as the library's `MONITOR/DATE/` layout uses. */
export function dateFolder(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface ShiftPlanEntry {
  id: string;
  oldMs: number;
  newMs: number;
  /** The date folder changes, so the original, its derivatives and sidecar must be relocated. */
  moves: boolean;
}

/** What a shift would change (for dry-runs and the dialog's preview). */
export function planShift(
  items: readonly { id: string; capturedMs: number }[],
  byMs: number,
  folderOf: (ms: number) => string = dateFolder,
): { entries: ShiftPlanEntry[]; moving: number } {
  const entries = items.map((it) => {
    const newMs = it.capturedMs + byMs;
    return { id: it.id, oldMs: it.capturedMs, newMs, moves: folderOf(it.capturedMs) !== folderOf(newMs) };
  });
  return { entries, moving: entries.filter((e) => e.moves).length };
}

const LOCAL_ISO_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A camera-local time (`YYYY-MM-DDTHH:mm:ss`, maybe with fractions and an offset, as the catalogue
 * keeps capture times) moved by `ms`: the wall-clock part is shifted, the offset kept. Undefined
 * when the text is not such a time. Pure.
 */
export function shiftLocalIso(iso: string, ms: number): string | undefined {
  const m = LOCAL_ISO_RE.exec(iso);
  if (!m) return undefined;
  const t = Date.parse(`${m[1]}Z`);
  if (!Number.isFinite(t)) return undefined;
  const shifted = new Date(t + ms).toISOString().slice(0, 19);
  return `${shifted}${m[2] ?? ''}${m[3] ?? ''}`;
}

/** `YYYYMMDD-HHmmss` of a local time, as the default file-name template writes it. */
function stampOf(local: string): string {
  return local.slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

/**
 * Where an original goes when its capture time moves from `oldLocal` to `newLocal`. Its folder
 * stays (`MONITOR/DATE/` is the day it was downloaded, not taken); a name stamped with the old
 * time (the default template's `YYYYMMDD-HHmmss`) takes the new one. Undefined when the name
 * does not change. Pure.
 */
export function shiftedLibraryPath(path: string, oldLocal: string, newLocal: string): string | undefined {
  const parts = path.split('/');
  if (parts.length !== 4 || parts[0] !== 'library') return undefined;
  const [, monitor, day, name] = parts as [string, string, string, string];
  const oldStamp = stampOf(oldLocal);
  if (!name.includes(oldStamp)) return undefined;
  const next = `library/${monitor}/${day}/${name.replace(oldStamp, stampOf(newLocal))}`;
  return next === path ? undefined : next;
}
