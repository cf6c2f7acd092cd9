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
