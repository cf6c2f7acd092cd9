/**
 * Pure conversions from raw metadata tags (exifr with `reviveValues: false`, or ExifTool's
 * `-json -n`: both use ExifTool's tag names) to MediaFacts. Camera clocks are naive: dates
 * keep their wall-clock fields, and an offset is kept only when the file states one.
 */
import { isValidLocal, isValidOffset, type CaptureTime } from '../core/capture-time.js';
import type { MediaFacts } from './types.js';
import { parseReconyxMakerNote } from './reconyx.js';

export type RawTags = Record<string, unknown>;

const EXIF_DATE_RE =
  /^(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `+HH:MM` from `+HH:MM`, `+HHMM` or `Z`; undefined for anything else (incl. blank placeholders). */
export function normaliseOffset(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.replace(/\0/g, '').trim();
  if (/^z$/i.test(s)) return '+00:00';
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(s);
  if (!m) return undefined;
  const off = `${m[1]}${m[2]}:${m[3]}`;
  const h = Number(m[2]);
  const mi = Number(m[3]);
  return isValidOffset(off) && h <= 14 && mi < 60 ? off : undefined;
}

/**
 * An EXIF date string (`YYYY:MM:DD HH:MM:SS`, also with `-` separators, a `T`, fractional
 * seconds or a trailing offset as ExifTool/XMP write them) as a naive local time, with no
 * time-zone conversion. Rejects placeholders (`0000:00:00 00:00:00`, blanks) and impossible
 * dates (Feb 30).
 */
export function exifDateToLocal(v: unknown): { local: string; offset?: string } | undefined {
  if (typeof v !== 'string') return undefined;
  const m = EXIF_DATE_RE.exec(v.replace(/\0/g, '').trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '00', off] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
  ];
  const local = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
  if (!isValidLocal(local)) return undefined;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > (DAYS_IN_MONTH[month - 1] as number) || (month === 2 && day === 29 && !leap)) return undefined;
  const offset = off === undefined ? undefined : normaliseOffset(off);
  return offset ? { local, offset } : { local };
}

/** Date tags in order of preference, each with the offset tag that qualifies it. */
const DATE_TAGS: readonly (readonly [string, string])[] = [
  ['DateTimeOriginal', 'OffsetTimeOriginal'],
  ['CreateDate', 'OffsetTimeDigitized'],
  ['DateTimeDigitized', 'OffsetTimeDigitized'],
  ['ModifyDate', 'OffsetTime'],
  ['DateTime', 'OffsetTime'],
];

function captureTimeFrom(dateTag: unknown, offsetTag: unknown): CaptureTime | undefined {
  const d = exifDateToLocal(dateTag);
  if (!d) return undefined;
  const offset = d.offset ?? normaliseOffset(offsetTag);
  return offset ? { local: d.local, offset, source: 'exif' } : { local: d.local, source: 'exif' };
}

/** DateTimeOriginal (+OffsetTimeOriginal), else a maker-note date, else CreateDate, else ModifyDate. */
export function captureTimeFromTags(tags: RawTags, makerNoteDate?: string): CaptureTime | undefined {
  const [first, ...rest] = DATE_TAGS;
  const original = first ? captureTimeFrom(tags[first[0]], tags[first[1]]) : undefined;
  if (original) return original;
  const fromMakerNote = captureTimeFrom(makerNoteDate, undefined);
  if (fromMakerNote) return fromMakerNote;
  for (const [dateTag, offsetTag] of rest) {
    const t = captureTimeFrom(tags[dateTag], tags[offsetTag]);
    if (t) return t;
  }
  return undefined;
}

function finite(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** First element of a short array-like value (exifr returns some SHORT/BYTE tags as arrays). */
function scalar(v: unknown): unknown {
  if (Array.isArray(v)) return v[0];
  if (v instanceof Uint8Array || v instanceof Uint16Array) return v[0];
  return v;
}

/** A string tag up to its first NUL (C strings; some cameras leave junk after it), trimmed. */
function text(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const nul = v.indexOf('\0');
  const s = (nul >= 0 ? v.slice(0, nul) : v).trim();
  return s || undefined;
}

/** Degrees from a number or a [deg, min, sec] triple; sign from the value or the N/S/E/W ref. */
export function gpsCoordinate(value: unknown, ref: unknown): number | undefined {
  let deg: number | undefined;
  if (Array.isArray(value)) {
    const [d, m = 0, s = 0] = value.map(finite);
    if (d === undefined || m === undefined || s === undefined) return undefined;
    deg = Math.abs(d) + m / 60 + s / 3600;
    if (d < 0) deg = -deg;
  } else {
    deg = finite(value);
  }
  if (deg === undefined) return undefined;
  const r = typeof ref === 'string' ? ref.trim().toUpperCase().charAt(0) : '';
  if ((r === 'S' || r === 'W') && deg > 0) deg = -deg;
  return deg;
}

/** Signed decimal degrees; undefined for missing, out-of-range or (0, 0) placeholder positions. */
export function gpsFromTags(tags: RawTags): MediaFacts['gps'] {
  const lat = gpsCoordinate(tags.GPSLatitude, tags.GPSLatitudeRef);
  const lon = gpsCoordinate(tags.GPSLongitude, tags.GPSLongitudeRef);
  if (lat === undefined || lon === undefined) return undefined;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180 || (lat === 0 && lon === 0)) return undefined;
  const gps: NonNullable<MediaFacts['gps']> = { lat: round(lat, 7), lon: round(lon, 7) };
  let alt = finite(scalar(tags.GPSAltitude));
  if (alt !== undefined && Math.abs(alt) < 100_000) {
    const ref = scalar(tags.GPSAltitudeRef);
    if ((ref === 1 || ref === '1') && alt > 0) alt = -alt;
    gps.alt = round(alt, 2);
  }
  return gps;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function positiveInt(v: unknown): number | undefined {
  const n = finite(scalar(v));
  return n !== undefined && Number.isInteger(n) && n > 0 && n < 1_000_000 ? n : undefined;
}

/** ExifImageWidth/Height, else ExifTool's composite ImageSize ('W H' or 'WxH'), else ImageWidth/Height. */
function dimensionsFromTags(tags: RawTags): { width: number; height: number } | undefined {
  const pair = (w: unknown, h: unknown): { width: number; height: number } | undefined => {
    const width = positiveInt(w);
    const height = positiveInt(h);
    return width !== undefined && height !== undefined ? { width, height } : undefined;
  };
  const size = typeof tags.ImageSize === 'string' ? /^(\d+)[x ](\d+)$/.exec(tags.ImageSize.trim()) : null;
  return (
    pair(tags.ExifImageWidth, tags.ExifImageHeight) ??
    (size ? pair(size[1], size[2]) : undefined) ??
    pair(tags.ImageWidth, tags.ImageHeight)
  );
}

/** Everything MediaFacts can take from still-image tags (dimensions: EXIF values only). */
export function factsFromTags(tags: RawTags): MediaFacts {
  const facts: MediaFacts = {};
  const makerNote = tags.makerNote ?? tags.MakerNote;
  const reconyx =
    makerNote instanceof Uint8Array ? parseReconyxMakerNote(makerNote, text(tags.Make)) : undefined;

  const capturedAt = captureTimeFromTags(tags, reconyx?.dateTimeOriginal);
  if (capturedAt) facts.capturedAt = capturedAt;

  const make = text(tags.Make) ?? (reconyx ? 'RECONYX' : undefined);
  const model = text(tags.Model) ?? reconyx?.model;
  if (make) facts.make = make;
  if (model) facts.model = model;

  const orientation = positiveInt(tags.Orientation);
  if (orientation !== undefined && orientation <= 8) facts.orientation = orientation;

  const dims = dimensionsFromTags(tags);
  if (dims) {
    facts.width = dims.width;
    facts.height = dims.height;
  }

  const gps = gpsFromTags(tags);
  if (gps) facts.gps = gps;

  const extra: Record<string, string | number> = {};
  const lens = text(tags.LensModel) ?? text(tags.Lens);
  if (lens) extra.lensModel = lens;
  const iso = finite(scalar(tags.ISO));
  if (iso !== undefined && iso > 0) extra.iso = iso;
  const exposure = finite(tags.ExposureTime);
  if (exposure !== undefined && exposure > 0) extra.exposureTime = round(exposure, 6);
  const fNumber = finite(tags.FNumber);
  if (fNumber !== undefined && fNumber > 0) extra.fNumber = round(fNumber, 2);
  const focal = finite(tags.FocalLength);
  if (focal !== undefined && focal > 0) extra.focalLength = round(focal, 2);
  if (reconyx?.serialNumber) extra.serialNumber = reconyx.serialNumber;
  if (reconyx?.ambientTemperatureC !== undefined) extra.ambientTemperatureC = reconyx.ambientTemperatureC;
  if (reconyx?.triggerMode) extra.triggerMode = reconyx.triggerMode;
  if (Object.keys(extra).length > 0) facts.extra = extra;
  return facts;
}

/** Tags asked of ExifTool when exifr cannot read a file (names match exifr's). */
const EXIFTOOL_TAGS = [
  'DateTimeOriginal',
  'OffsetTimeOriginal',
  'CreateDate',
  'OffsetTimeDigitized',
  'ModifyDate',
  'OffsetTime',
  'Make',
  'Model',
  'Orientation',
  'ImageSize',
  'GPSLatitude',
  'GPSLatitudeRef',
  'GPSLongitude',
  'GPSLongitudeRef',
  'GPSAltitude',
  'GPSAltitudeRef',
  'LensModel',
  'ISO',
  'ExposureTime',
  'FNumber',
  'FocalLength',
];

/** ExifTool command line for the fallback: numeric values, JSON, dates as written. */
export function exiftoolFactsArgs(filePath: string): string[] {
  return ['-json', '-n', ...EXIFTOOL_TAGS.map((t) => `-${t}`), filePath];
}

/** The tag record of ExifTool's `-json` output for one file, or undefined. */
export function parseExiftoolJson(stdout: string): RawTags | undefined {
  try {
    const parsed: unknown = JSON.parse(stdout);
    const first: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
    if (typeof first !== 'object' || first === null) return undefined;
    // ExifTool prints numeric-looking strings as numbers; Make/Model must stay strings.
    const tags: RawTags = { ...(first as RawTags) };
    for (const k of ['Make', 'Model', 'LensModel'])
      if (typeof tags[k] === 'number') tags[k] = String(tags[k]);
    return tags;
  } catch {
    return undefined;
  }
}
