import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { OutpostError } from './errors.js';

/**
 * GPX tracks for geotagging (issue 3: "geotag by GPX track"). Pure: text in, points out;
 * positions by linear interpolation between the two points around a moment.
 */

export interface TrackPoint {
  /** Milliseconds since the epoch, UTC. */
  t: number;
  lat: number;
  lon: number;
  ele?: number;
}

export interface Track {
  /** Timed points of every track segment and route, sorted by time. */
  points: TrackPoint[];
}

/** Ten minutes: a logger that stopped longer than this does not say where anyone was. */
export const DEFAULT_MAX_GAP_MS = 10 * 60 * 1000;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => ['trk', 'trkseg', 'trkpt', 'rte', 'rtept'].includes(name),
});

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/** A GPX `<time>` (ISO 8601; GPX times are UTC, so no zone means UTC) → ms, or undefined. */
export function parseGpxTime(s: string): number | undefined {
  const m = ISO_TIME.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const ms = frac ? Math.round(Number(`0${frac}`) * 1000) : 0;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), ms);
  const check = new Date(t);
  if (check.getUTCDate() !== Number(d) || check.getUTCHours() !== Number(h)) return undefined;
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return t;
}

type Raw = Record<string, unknown>;

const asArray = (v: unknown): Raw[] =>
  Array.isArray(v) ? v.filter((x): x is Raw => typeof x === 'object' && x !== null) : [];

function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'object' && v !== null && typeof (v as Raw)['#text'] === 'string')
    return (v as Raw)['#text'] as string;
  return undefined;
}

function invalid(message: string, hint?: string): OutpostError {
  return new OutpostError('INVALID_INPUT', message, hint ? { hint } : {});
}

/**
 * The XML parser's words, shortened: they quote the document (a tag name can be the whole
 * upload), and the error goes back to the sender.
 */
function parserSays(message: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = message.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length > 160 ? `${flat.slice(0, 150)}… (${flat.length - 150} more characters)` : flat;
}

/**
 * The timed points of a GPX document: `trk/trkseg/trkpt` and `rte/rtept`, sorted by time.
 * Points without a `<time>` or with coordinates out of range are left out. Throws INVALID_INPUT
 * for text that is not well-formed GPX, for a DTD (refused: no entity tricks) and when no point
 * has a time.
 */
export function parseGpx(text: string): Track {
  const doc = text.replace(/^[\uFEFF\s]+/, '');
  if (/<!DOCTYPE/i.test(doc)) throw invalid('the GPX file has a DTD (<!DOCTYPE>), which is not allowed');
  const valid = XMLValidator.validate(doc);
  if (valid !== true)
    throw invalid(
      `the GPX file is not well-formed XML: ${parserSays(valid.err.msg)} (line ${valid.err.line})`,
    );
  let root: Raw;
  try {
    root = parser.parse(doc) as Raw;
  } catch (e) {
    throw invalid(`the GPX file could not be read: ${parserSays((e as Error).message)}`);
  }
  const gpx = root.gpx;
  if (typeof gpx !== 'object' || gpx === null) throw invalid('the file is not GPX (no <gpx> root element)');
  const raw: Raw[] = [];
  for (const trk of asArray((gpx as Raw).trk))
    for (const seg of asArray(trk.trkseg)) raw.push(...asArray(seg.trkpt));
  for (const rte of asArray((gpx as Raw).rte)) raw.push(...asArray(rte.rtept));
  const points: TrackPoint[] = [];
  for (const p of raw) {
    const lat = Number(p['@_lat']);
    const lon = Number(p['@_lon']);
    const time = textOf(p.time);
    const t = time === undefined ? undefined : parseGpxTime(time);
    if (t === undefined || !Number.isFinite(lat) || !Number.isFinite(lon)) continue;
    if (Math.abs(lat) > 90 || Math.abs(lon) > 180) continue;
    const eleText = textOf(p.ele);
    const ele = eleText === undefined || eleText.trim() === '' ? NaN : Number(eleText);
    points.push(Number.isFinite(ele) ? { t, lat, lon, ele } : { t, lat, lon });
  }
  if (!points.length)
    throw invalid(
      raw.length
        ? `the GPX file has ${raw.length} point(s) but none with a valid <time>`
        : 'the GPX file has no track or route points',
      'Export the track from the GPS logger with timestamps (a GPX track, not waypoints only).',
    );
  points.sort((a, b) => a.t - b.t);
  return { points };
}

/**
 * Where the track was at `tMs`: linear interpolation between the points just before and just
 * after. Undefined before the first point, after the last, or when those two points are more
 * than `maxGapMs` apart (the logger was off: no guessing).
 */
export function positionAt(
  points: readonly TrackPoint[],
  tMs: number,
  maxGapMs = DEFAULT_MAX_GAP_MS,
): { lat: number; lon: number } | undefined {
  if (!points.length || !Number.isFinite(tMs)) return undefined;
  // First index whose time is >= tMs.
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]!.t < tMs) lo = mid + 1;
    else hi = mid;
  }
  const b = points[lo];
  if (!b) return undefined;
  if (b.t === tMs) return { lat: b.lat, lon: b.lon };
  const a = points[lo - 1];
  if (!a) return undefined;
  if (b.t - a.t > maxGapMs) return undefined;
  const f = (tMs - a.t) / (b.t - a.t);
  let dLon = b.lon - a.lon;
  // Across the antimeridian the short way round.
  if (dLon > 180) dLon -= 360;
  else if (dLon < -180) dLon += 360;
  let lon = a.lon + f * dLon;
  if (lon > 180) lon -= 360;
  else if (lon < -180) lon += 360;
  return { lat: a.lat + f * (b.lat - a.lat), lon };
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/;

/**
 * A camera-local capture time ('YYYY-MM-DDTHH:mm[:ss[.sss]]', no zone, as `items.sort_time`)
 * → UTC ms. `offsetMinutes`: the camera clock's zone, minus UTC (+180 for a camera set to
 * Nairobi time). `driftSeconds`: how far the camera clock was ahead of the true time in that
 * zone (negative when behind). Undefined for text that is not such a time.
 */
export function captureToUtcMs(local: string, offsetMinutes: number, driftSeconds = 0): number | undefined {
  const m = LOCAL_TIME.exec(local);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac] = m;
  const wall = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(sec ?? 0),
    frac ? Math.round(Number(`0${frac}`) * 1000) : 0,
  );
  if (!Number.isFinite(wall)) return undefined;
  return wall - offsetMinutes * 60_000 - driftSeconds * 1000;
}

/**
 * The camera-clock offset (minutes, zone minus UTC) that places the most capture times on the
 * track: every `stepMinutes` step over −14..+14 h. Ties go to the offset nearest `prefer` (the
 * one the user has), so a search never moves away from an offset that already matches as many.
 */
export function bestOffset(
  points: readonly TrackPoint[],
  localTimes: readonly string[],
  opts: { stepMinutes?: number; driftSeconds?: number; maxGapMs?: number; prefer?: number } = {},
): { offsetMinutes: number; matched: number } {
  const step = opts.stepMinutes ?? 15;
  const prefer = opts.prefer ?? 0;
  let best = { offsetMinutes: prefer, matched: -1 };
  for (let off = -14 * 60; off <= 14 * 60; off += step) {
    let n = 0;
    for (const local of localTimes) {
      const t = captureToUtcMs(local, off, opts.driftSeconds ?? 0);
      if (t !== undefined && positionAt(points, t, opts.maxGapMs ?? DEFAULT_MAX_GAP_MS)) n++;
    }
    if (
      n > best.matched ||
      (n === best.matched && Math.abs(off - prefer) < Math.abs(best.offsetMinutes - prefer))
    )
      best = { offsetMinutes: off, matched: n };
  }
  return best;
}
