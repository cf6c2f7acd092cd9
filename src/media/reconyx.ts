/**
 * Reconyx trail cameras (HyperFire, HyperFire 2, UltraFire) keep the capture time, serial
 * number and temperature in their maker note, not in the standard EXIF date tags. Layouts as
 * documented by ExifTool's Reconyx module; all little-endian.
 */

export interface ReconyxFacts {
  model: string;
  /** `YYYY:MM:DD HH:MM:SS`, the camera's naive clock, like EXIF. */
  dateTimeOriginal?: string;
  serialNumber?: string;
  ambientTemperatureC?: number;
  triggerMode?: string;
}

const TRIGGER: Record<string, string> = {
  M: 'motion',
  T: 'time-lapse',
  E: 'external',
  C: 'codeloc-not-entered',
  P: 'point-and-shoot',
};

function startsWith(b: Uint8Array, ascii: string): boolean {
  if (b.length < ascii.length) return false;
  for (let i = 0; i < ascii.length; i++) if (b[i] !== ascii.charCodeAt(i)) return false;
  return true;
}

function u16(b: Uint8Array, off: number): number | undefined {
  return off + 2 <= b.length ? (b[off] as number) | ((b[off + 1] as number) << 8) : undefined;
}

function s16(b: Uint8Array, off: number): number | undefined {
  const v = u16(b, off);
  return v === undefined ? undefined : v >= 0x8000 ? v - 0x10000 : v;
}

function ascii(b: Uint8Array, off: number, len: number): string | undefined {
  if (off + len > b.length) return undefined;
  let s = '';
  for (let i = off; i < off + len && b[i] !== 0; i++) s += String.fromCharCode(b[i] as number);
  s = s.trim();
  return s || undefined;
}

function ucs2(b: Uint8Array, off: number, chars: number): string | undefined {
  if (off + chars * 2 > b.length) return undefined;
  let s = '';
  for (let i = 0; i < chars; i++) {
    const c = u16(b, off + i * 2) as number;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  s = s.trim();
  return s || undefined;
}

function exifDate(y: number, mo: number, d: number, h: number, mi: number, s: number): string | undefined {
  if (y < 1970 || y > 2199 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    return undefined;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${y}:${p(mo)}:${p(d)} ${p(h)}:${p(mi)}:${p(s)}`;
}

function trigger(letter: string | undefined): string | undefined {
  return letter ? (TRIGGER[letter.charAt(0)] ?? letter) : undefined;
}

/** Parse a Reconyx maker note; `undefined` when the bytes are not one. */
export function parseReconyxMakerNote(b: Uint8Array, make?: string): ReconyxFacts | undefined {
  if (startsWith(b, 'RECONYXUF\0')) {
    // UltraFire: byte-addressed fields.
    const y = u16(b, 0x40);
    const date =
      y === undefined
        ? undefined
        : exifDate(y, b[0x3f] ?? 0, b[0x3e] ?? 0, b[0x3d] ?? 0, b[0x3c] ?? 0, b[0x3b] ?? 0);
    return clean({
      model: 'UltraFire',
      dateTimeOriginal: date,
      serialNumber: ascii(b, 0x4b, 15),
      ambientTemperatureC: s16(b, 0x46),
      triggerMode: trigger(ascii(b, 0x34, 1)),
    });
  }
  if (startsWith(b, 'RECONYXH2\0')) {
    // HyperFire 2: int16u[6] seconds..year at 0x3e.
    const a = Array.from({ length: 6 }, (_, i) => u16(b, 0x3e + i * 2) ?? 0);
    return clean({
      model: 'HyperFire 2',
      dateTimeOriginal: exifDate(a[5]!, a[4]!, a[3]!, a[2]!, a[1]!, a[0]!),
      serialNumber: ucs2(b, 0x7e, 15),
      ambientTemperatureC: s16(b, 0x50),
      triggerMode: trigger(ascii(b, 0x34, 2)),
    });
  }
  // HyperFire: starts with version 0xf101; ExifTool also requires a known firmware word or Make.
  const hyperfire =
    b.length >= 4 &&
    b[0] === 0x01 &&
    b[1] === 0xf1 &&
    (((b[2] === 0x02 || b[2] === 0x03) && b[3] === 0x00) || make?.trim().toUpperCase() === 'RECONYX');
  if (!hyperfire) return undefined;
  let a = Array.from({ length: 6 }, (_, i) => u16(b, 0x16 + i * 2) ?? 0);
  // Some firmware writes these words big-endian while the rest is little-endian.
  if (a[0]! & 0xff00 && !(a[0]! & 0xff)) a = a.map((v) => ((v >> 8) | ((v & 0xff) << 8)) & 0xffff);
  return clean({
    model: 'HyperFire',
    // seconds, minutes, hours, month, day, year
    dateTimeOriginal: exifDate(a[5]!, a[3]!, a[4]!, a[2]!, a[1]!, a[0]!),
    serialNumber: ucs2(b, 0x2a, 15),
    ambientTemperatureC: s16(b, 0x28),
    triggerMode: trigger(ascii(b, 0x0c, 2)),
  });
}

function clean(f: { [K in keyof ReconyxFacts]: ReconyxFacts[K] | undefined }): ReconyxFacts {
  const out: ReconyxFacts = { model: f.model as string };
  if (f.dateTimeOriginal) out.dateTimeOriginal = f.dateTimeOriginal;
  if (f.serialNumber) out.serialNumber = f.serialNumber;
  if (f.ambientTemperatureC !== undefined) out.ambientTemperatureC = f.ambientTemperatureC;
  if (f.triggerMode) out.triggerMode = f.triggerMode;
  return out;
}
