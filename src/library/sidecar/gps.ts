/**
 * GPS coordinates in XMP. The XMP specification (Part 2, "GPSCoordinate") writes `exif:GPSLatitude`
 * and `exif:GPSLongitude` as text `DDD,MM,SSk` or `DDD,MM.mmk`, where k is N/S or E/W; exiftool
 * writes `DDD,MM.mmmmmmmmk` (8 decimals of minutes). Outpost writes 10 decimals of minutes
 * (about 0.02 mm), so a coordinate set by hand or from a GPX track comes back to within 1e-11°.
 * Pure.
 */

const MINUTE_DECIMALS = 10;
const UNITS_PER_MINUTE = 10 ** MINUTE_DECIMALS;
const UNITS_PER_DEGREE = 60 * UNITS_PER_MINUTE;

export type Axis = 'lat' | 'lon';

/** Signed decimal degrees → `DD,MM.mmmmmmmmmmk`. */
export function formatXmpCoordinate(value: number, axis: Axis): string {
  const ref = axis === 'lat' ? (value < 0 ? 'S' : 'N') : value < 0 ? 'W' : 'E';
  // Integer arithmetic (at most 180·60·1e10 ≈ 1.1e14 < 2^53) so minutes never print as "60.0".
  const units = Math.round(Math.abs(value) * UNITS_PER_DEGREE);
  const minuteUnits = units % UNITS_PER_DEGREE;
  const degrees = (units - minuteUnits) / UNITS_PER_DEGREE;
  const frac = minuteUnits % UNITS_PER_MINUTE;
  const minutes = (minuteUnits - frac) / UNITS_PER_MINUTE;
  return `${degrees},${minutes}.${String(frac).padStart(MINUTE_DECIMALS, '0')}${ref}`;
}

const NUM = String.raw`(\d+(?:\.\d*)?|\.\d+)`;
const COORD_RE = new RegExp(
  String.raw`^\s*([+-]?)${NUM}(?:\s*,\s*${NUM})?(?:\s*,\s*${NUM})?\s*([NSEW]?)\s*$`,
  'i',
);

/**
 * `DDD,MM,SSk`, `DDD,MM.mmk`, or plain (signed) decimal degrees with an optional reference
 * letter → signed decimal degrees; `undefined` when malformed, out of range or the letter
 * belongs to the other axis.
 */
export function parseXmpCoordinate(s: string, axis: Axis): number | undefined {
  const m = COORD_RE.exec(s);
  if (!m) return undefined;
  const [, sign, d, min, sec, refRaw] = m;
  const ref = (refRaw ?? '').toUpperCase();
  if (ref && !(axis === 'lat' ? 'NS' : 'EW').includes(ref)) return undefined;
  if (sign === '-' && ref) return undefined;
  const deg = Number(d);
  const minutes = min === undefined ? 0 : Number(min);
  const seconds = sec === undefined ? 0 : Number(sec);
  if (minutes >= 60 || seconds >= 60) return undefined;
  if ((min !== undefined && !Number.isInteger(deg)) || (sec !== undefined && !Number.isInteger(minutes)))
    return undefined;
  let value = deg + minutes / 60 + seconds / 3600;
  if (value > (axis === 'lat' ? 90 : 180)) return undefined;
  if (sign === '-' || ref === 'S' || ref === 'W') value = -value;
  // Round away the binary noise of the division (1e-12° ≈ 0.1 mm), so 33,52.128S reads as -33.8688.
  return Math.round(value * 1e12) / 1e12 || 0;
}
