/**
 * A camera's daily timelapse, planned: which snapshot is shown for how long, where the outages
 * are, and what ffmpeg reads (an ffconcat list and an ffmetadata file of chapters). Pure.
 *
 * The model. Time in the timelapse is linear in real time: one nominal snapshot interval
 * (`intervalS`, given or inferred) is one output frame. A snapshot is shown from the moment it was
 * received until the next one arrived, so an outage is a held frame, never a shorter day; the
 * last snapshot is shown for one interval. Times are the station's receive instants, never the
 * camera's own clock or the names it gives its files (a camera 3 minutes off, or one that never
 * learnt about DST, does not matter). A day is the camera-local calendar day in its IANA zone,
 * [local 00:00, next local 00:00): 23 or 25 hours on DST days, with no special case.
 *
 * Frame-exact. Each snapshot's place in the video is its receive time rounded to a whole
 * interval (`frame`), and its concat duration is the difference of those places, so the video
 * has exactly `frames = round((last − first) / intervalS) + 1` frames whatever the jitter of the
 * receive times. Two snapshots that round to the same frame (a camera that sent twice) keep the
 * one nearer the frame's nominal time.
 */
import { localFromInstant } from '../../core/capture-time.js';
import { OutpostError } from '../../core/errors.js';

/** One snapshot: its file and the instant the station received it (ms since the epoch). */
export interface TimelapseFrame {
  file: string;
  atMs: number;
}

/** A camera's `timelapse:` settings. */
export interface TimelapseSettings {
  /** Frames a second of the video (one frame per snapshot interval). */
  fps: number;
  /** libx264 constant rate factor (0–51; 23 is x264's default). */
  crf: number;
  /** libx264 preset (`veryfast`, `medium`, …). */
  preset: string;
  /** Largest width in pixels; smaller snapshots are not scaled up. The height keeps the aspect. */
  maxWidth: number;
  /** Smooth frame-to-frame brightness changes (auto exposure) with ffmpeg's deflicker filter. */
  deflicker: boolean;
  /** The camera's snapshot interval in seconds; default: inferred from the day's snapshots ({@link inferIntervalS}). */
  intervalS?: number;
  /** Snapshots further apart than this many intervals are an outage (default 2.5). */
  gapFactor?: number;
}

/** An outage: the held frame and its caption/chapter. */
export interface TimelapseGap {
  /** Receive time of the snapshot before the outage (the held one) and of the one after. */
  fromMs: number;
  toMs: number;
  /** The same in camera-local time, `HH:MM`. */
  fromLocal: string;
  toLocal: string;
  /** Where the held frame starts and ends in the video, in frames and in seconds. */
  startFrame: number;
  endFrame: number;
  startS: number;
  endS: number;
}

/** Hours of the day before the first snapshot or after the last (no held frame can show them). */
export interface TimelapseUncovered {
  fromMs: number;
  toMs: number;
  fromLocal: string;
  toLocal: string;
}

export interface TimelapseEntry {
  file: string;
  atMs: number;
  /** First output frame showing it, and how many. */
  frame: number;
  frames: number;
  durationS: number;
}

export interface TimelapsePlan {
  /** `YYYY-MM-DD`, camera-local. */
  date: string;
  timeZone: string;
  dayStartMs: number;
  dayEndMs: number;
  intervalS: number;
  /** True when `intervalS` was inferred from the snapshots rather than given. */
  intervalInferred: boolean;
  fps: number;
  /** Output frames the video must have. */
  frames: number;
  /** `frames / fps`. */
  durationS: number;
  firstAtMs: number;
  lastAtMs: number;
  /** Snapshots of the day (received inside it); `entries` may hold fewer (duplicates dropped). */
  snapshots: number;
  gaps: TimelapseGap[];
  /** No snapshots from the day's start / until its end, for longer than an outage. */
  uncoveredStart?: TimelapseUncovered;
  uncoveredEnd?: TimelapseUncovered;
  entries: TimelapseEntry[];
}

export const DEFAULT_GAP_FACTOR = 2.5;
/** The interval of a day with a single snapshot (nothing to infer it from). */
export const DEFAULT_INTERVAL_S = 60;
/** libx264's presets. */
export const X264_PRESETS = [
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
  'placebo',
] as const;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const HOUR_MS = 3_600_000;

function invalid(message: string): OutpostError {
  return new OutpostError('INVALID_INPUT', message);
}

/** The settings' own limits (the config schema checks them too; this guards other callers). */
export function checkTimelapseSettings(s: TimelapseSettings): void {
  if (!(Number.isFinite(s.fps) && s.fps > 0 && s.fps <= 120))
    throw invalid(`timelapse fps must be in (0, 120], not ${s.fps}`);
  if (!(Number.isInteger(s.crf) && s.crf >= 0 && s.crf <= 51))
    throw invalid(`timelapse crf must be a whole number in 0..51, not ${s.crf}`);
  if (!(X264_PRESETS as readonly string[]).includes(s.preset))
    throw invalid(`timelapse preset must be one of ${X264_PRESETS.join(', ')}, not ${s.preset}`);
  if (!(Number.isInteger(s.maxWidth) && s.maxWidth >= 16 && s.maxWidth <= 8192))
    throw invalid(`timelapse maxWidth must be a whole number of pixels in 16..8192, not ${s.maxWidth}`);
  if (
    s.intervalS !== undefined &&
    !(Number.isFinite(s.intervalS) && s.intervalS >= 1 && s.intervalS <= 86_400)
  )
    throw invalid(`timelapse intervalS must be in 1..86400 seconds, not ${s.intervalS}`);
  if (s.gapFactor !== undefined && !(Number.isFinite(s.gapFactor) && s.gapFactor > 1))
    throw invalid(`timelapse gapFactor must be more than 1, not ${s.gapFactor}`);
}

function checkZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone });
  } catch {
    throw invalid(`unknown time zone ${JSON.stringify(timeZone)}`);
  }
}

function parseDate(date: string): { y: number; m: number; d: number } {
  const m = DATE_RE.exec(date);
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [NaN, NaN, NaN];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (!m || t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d)
    throw invalid(`a timelapse date is YYYY-MM-DD, not ${JSON.stringify(date)}`);
  return { y, m: mo, d };
}

/**
 * The first instant whose local date in `timeZone` is `date` or later: a binary search, since
 * local midnight may not exist (zones that spring forward at 00:00, e.g. America/Santiago) and
 * UTC offsets lie in −12..+14 h.
 */
function firstInstantOf(date: string, timeZone: string): number {
  const { y, m, d } = parseDate(date);
  const base = Date.UTC(y, m - 1, d);
  let lo = base - 15 * HOUR_MS; // local date is before `date` here
  let hi = base + 15 * HOUR_MS; // and `date` or after here
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localFromInstant(mid, timeZone).slice(0, 10) >= date) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The day after `date` (`YYYY-MM-DD`). */
export function nextDate(date: string): string {
  const { y, m, d } = parseDate(date);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** The camera-local day `date` in `timeZone` as instants: [startMs, endMs). 23 h or 25 h on DST days. */
export function dayBounds(date: string, timeZone: string): { startMs: number; endMs: number } {
  checkZone(timeZone);
  return { startMs: firstInstantOf(date, timeZone), endMs: firstInstantOf(nextDate(date), timeZone) };
}

/**
 * The day whose timelapse is due at `nowMs`: the camera-local day before today. The scheduler
 * runs after local midnight and makes it unless it exists.
 */
export function timelapseDateDue(nowMs: number, timeZone: string): string {
  checkZone(timeZone);
  const today = localFromInstant(nowMs, timeZone).slice(0, 10);
  return localFromInstant(firstInstantOf(today, timeZone) - 1, timeZone).slice(0, 10);
}

/** `HH:MM` of an instant in the camera's zone. */
export function localHhMm(ms: number, timeZone: string): string {
  return localFromInstant(ms, timeZone).slice(11, 16);
}

/**
 * The snapshot interval of a day, rounded to a whole second (at least 1): the mean of the gaps
 * between consecutive snapshots that are within half of the median gap. The median alone keeps
 * outages and double sends out but follows a skewed jitter (a sawtooth of 59, 59, …, 68 s has a
 * median of 59); the mean of the ordinary gaps does not.
 */
export function inferIntervalS(sortedAtMs: readonly number[]): number | undefined {
  const diffs: number[] = [];
  for (let i = 1; i < sortedAtMs.length; i++) {
    const dt = sortedAtMs[i]! - sortedAtMs[i - 1]!;
    if (dt > 0) diffs.push(dt);
  }
  if (diffs.length === 0) return undefined;
  const sorted = [...diffs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const ordinary = diffs.filter((d) => d >= median / 2 && d <= median * 1.5);
  const mean = ordinary.reduce((a, b) => a + b, 0) / ordinary.length;
  return Math.max(1, Math.round(mean / 1000));
}

/** The caption and chapter title of an outage. */
export function gapTitle(gap: Pick<TimelapseGap, 'fromLocal' | 'toLocal'>): string {
  return `no snapshots ${gap.fromLocal}–${gap.toLocal}`;
}

/**
 * The plan of the timelapse of `date` (camera-local, in `timeZone`): `frames` may be in any order
 * and from any day; those received inside the day are used. Throws TIMELAPSE_EMPTY when there are
 * none, INVALID_INPUT for a bad date, zone or setting.
 */
export function planTimelapse(
  frames: readonly TimelapseFrame[],
  date: string,
  timeZone: string,
  s: TimelapseSettings,
): TimelapsePlan {
  checkTimelapseSettings(s);
  const { startMs, endMs } = dayBounds(date, timeZone);
  const inDay = frames
    .filter((f) => Number.isFinite(f.atMs) && f.atMs >= startMs && f.atMs < endMs)
    .sort((a, b) => a.atMs - b.atMs || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  if (inDay.length === 0)
    throw new OutpostError('TIMELAPSE_EMPTY', `no snapshots on ${date} (${timeZone}) to make a timelapse of`);
  const inferred = s.intervalS === undefined ? inferIntervalS(inDay.map((f) => f.atMs)) : undefined;
  const intervalS = s.intervalS ?? inferred ?? DEFAULT_INTERVAL_S;
  const intervalMs = intervalS * 1000;
  const firstAtMs = inDay[0]!.atMs;

  // Each snapshot's frame: its receive time rounded to a whole interval after the first.
  const kept: { file: string; atMs: number; frame: number }[] = [];
  for (const f of inDay) {
    const frame = Math.round((f.atMs - firstAtMs) / intervalMs);
    const prev = kept.at(-1);
    if (prev && prev.frame === frame) {
      const nominal = firstAtMs + frame * intervalMs;
      if (Math.abs(f.atMs - nominal) < Math.abs(prev.atMs - nominal)) kept[kept.length - 1] = { ...f, frame };
      continue;
    }
    kept.push({ file: f.file, atMs: f.atMs, frame });
  }
  const last = kept.at(-1)!;
  const total = last.frame + 1;
  const entries: TimelapseEntry[] = kept.map((k, i) => {
    const n = (kept[i + 1]?.frame ?? total) - k.frame;
    return { file: k.file, atMs: k.atMs, frame: k.frame, frames: n, durationS: n / s.fps };
  });

  const gapMs = (s.gapFactor ?? DEFAULT_GAP_FACTOR) * intervalMs;
  const gaps: TimelapseGap[] = [];
  for (let i = 1; i < kept.length; i++) {
    const a = kept[i - 1]!;
    const b = kept[i]!;
    if (b.atMs - a.atMs <= gapMs) continue;
    gaps.push({
      fromMs: a.atMs,
      toMs: b.atMs,
      fromLocal: localHhMm(a.atMs, timeZone),
      toLocal: localHhMm(b.atMs, timeZone),
      startFrame: a.frame,
      endFrame: b.frame,
      startS: a.frame / s.fps,
      endS: b.frame / s.fps,
    });
  }
  const uncovered = (fromMs: number, toMs: number): TimelapseUncovered | undefined =>
    toMs - fromMs > gapMs
      ? {
          fromMs,
          toMs,
          fromLocal: localHhMm(fromMs, timeZone),
          // The day's end is the next local midnight: say 24:00, not 00:00.
          toLocal: toMs === endMs ? '24:00' : localHhMm(toMs, timeZone),
        }
      : undefined;
  const uncoveredStart = uncovered(startMs, firstAtMs);
  const uncoveredEnd = uncovered(last.atMs + intervalMs, endMs);

  return {
    date,
    timeZone,
    dayStartMs: startMs,
    dayEndMs: endMs,
    intervalS,
    intervalInferred: inferred !== undefined,
    fps: s.fps,
    frames: total,
    durationS: total / s.fps,
    firstAtMs,
    lastAtMs: last.atMs,
    snapshots: inDay.length,
    gaps,
    ...(uncoveredStart ? { uncoveredStart } : {}),
    ...(uncoveredEnd ? { uncoveredEnd } : {}),
    entries,
  };
}

/** Microseconds from the video's start to frame `n` (concat durations are parsed to µs). */
function frameUs(n: number, fps: number): number {
  return Math.round((n * 1e6) / fps);
}

function seconds(us: number): string {
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

/**
 * A path as an ffconcat `file` value: the `file:` protocol (a colon in a name is not a protocol,
 * a leading dash not an option) in single quotes, which take every character as is but the quote
 * itself, written `'\''`. Brackets, spaces, `@` (Dahua's `03[R][0@0][0].jpg`) need nothing more.
 */
export function concatQuote(path: string): string {
  if (/[\r\n]/.test(path))
    throw invalid(`a snapshot path with a line break cannot go in a concat list: ${path}`);
  return `'${`file:${path}`.replace(/'/g, "'\\''")}'`;
}

/**
 * The ffconcat list: one `file` per entry with its `duration`. Durations are differences of
 * frame times rounded to µs, so rounding never accumulates. `pattern_type none`: the image2
 * demuxer reads the name as is (a `%` would make it a sequence pattern). The last file is listed
 * twice: the concat demuxer ignores the last `duration`; the repeat carries it to the end (the
 * extra frame it adds is cut by `-frames:v`).
 */
export function concatList(plan: TimelapsePlan): string {
  const lines = ['ffconcat version 1.0'];
  for (const e of plan.entries) {
    lines.push(`file ${concatQuote(e.file)}`, 'option pattern_type none');
    lines.push(`duration ${seconds(frameUs(e.frame + e.frames, plan.fps) - frameUs(e.frame, plan.fps))}`);
  }
  const last = plan.entries.at(-1);
  if (last) lines.push(`file ${concatQuote(last.file)}`, 'option pattern_type none');
  return `${lines.join('\n')}\n`;
}

/** An ffmetadata value: `=`, `;`, `#`, `\` and line breaks get a backslash. */
function metaValue(v: string): string {
  return v.replace(/[=;#\\\n]/g, (c) => `\\${c}`);
}

export interface TimelapseChapter {
  startFrame: number;
  endFrame: number;
  title: string;
}

/**
 * Chapters: one per local hour (titled `HH:00`, or the first snapshot's `HH:MM`) and one per
 * outage (titled {@link gapTitle}), back to back and never overlapping (an hour starting inside
 * an outage belongs to the outage's chapter).
 */
export function timelapseChapters(plan: TimelapsePlan): TimelapseChapter[] {
  const intervalMs = plan.intervalS * 1000;
  const frameOf = (ms: number): number => Math.round((ms - plan.firstAtMs) / intervalMs);
  const starts = new Map<number, string>([[0, localHhMm(plan.firstAtMs, plan.timeZone)]]);
  const inGap = (f: number): boolean => plan.gaps.some((g) => f > g.startFrame && f < g.endFrame);
  // Every zone's offset is a multiple of 15 minutes, so local hours start on UTC quarters.
  const quarter = 15 * 60_000;
  for (let t = Math.ceil(plan.firstAtMs / quarter) * quarter; t <= plan.lastAtMs; t += quarter) {
    const local = localFromInstant(t, plan.timeZone);
    const f = frameOf(t);
    if (local.endsWith(':00:00') && f > 0 && f < plan.frames && !inGap(f)) starts.set(f, local.slice(11, 16));
  }
  for (const g of plan.gaps) {
    starts.set(g.startFrame, gapTitle(g));
    if (g.endFrame < plan.frames && !starts.has(g.endFrame)) starts.set(g.endFrame, g.toLocal);
  }
  const sorted = [...starts.entries()].sort((a, b) => a[0] - b[0]);
  return sorted.map(([startFrame, title], i) => ({
    startFrame,
    endFrame: sorted[i + 1]?.[0] ?? plan.frames,
    title,
  }));
}

/** A short account of the day's coverage, camera-local: the file's `comment`. */
export function coverageText(plan: TimelapsePlan): string {
  const parts = [
    `snapshots ${localHhMm(plan.firstAtMs, plan.timeZone)}–${localHhMm(plan.lastAtMs, plan.timeZone)} ${plan.timeZone}, one frame per ${plan.intervalS} s`,
  ];
  for (const u of [plan.uncoveredStart, ...plan.gaps, plan.uncoveredEnd]) if (u) parts.push(gapTitle(u));
  return parts.join('; ');
}

/** The ffmetadata file ffmpeg reads the chapters (and the title and comment) from. */
export function chaptersMetadata(plan: TimelapsePlan): string {
  const ms = (frame: number): number => Math.round((frame * 1000) / plan.fps);
  const lines = [
    ';FFMETADATA1',
    `title=${metaValue(`Timelapse ${plan.date}`)}`,
    `comment=${metaValue(coverageText(plan))}`,
  ];
  for (const c of timelapseChapters(plan))
    lines.push(
      '',
      '[CHAPTER]',
      'TIMEBASE=1/1000',
      `START=${ms(c.startFrame)}`,
      `END=${ms(c.endFrame)}`,
      `title=${metaValue(c.title)}`,
    );
  return `${lines.join('\n')}\n`;
}
