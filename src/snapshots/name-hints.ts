/**
 * What the name a camera gave a snapshot on our FTP server says: its wall-clock time, which
 * firmware family named it, and (where the name tells) why it was taken. Pure: no clock, no I/O.
 * The time is the camera's own clock, so comparing it with the time we received the file measures
 * the camera's drift ({@link clockDriftS}).
 *
 * Naming rules and the sources they were read from (camera manuals and public code that parses
 * these names; checked for the forms below, not for every firmware):
 * - Dahua (and Amcrest, same firmware): `<dir>/YYYY-MM-DD/001/jpg/HH/MM/SS[R][0@0][0].jpg`, older
 *   models `YYYY-MM-DD/pic_001/HH/MM/SS[M][0@0][1].jpg`; the letter is R regular (scheduled),
 *   M motion, A alarm input. Seen in github.com/winroot/GoSunBigData
 *   (Collect/.../DaHuaParser_ZhuaPaiJi.java and DaHuaParser_GongChengJi.java), and Dahua's HE-T
 *   manual §4.4 (schedule vs activation snapshots):
 *   https://azmanual.top/manuals/734923/dahua-technology-he-t-le-s.html?page=48
 * - Hikvision: `<ip or prefix>_<channel>_YYYYMMDDhhmmssmmm_<EVENT>.jpg`, EVENT `TIMING` for the
 *   scheduled capture, `MOTION_DETECTION`, `LINE_CROSSING_DETECTION`, `FACE_DETECTION`…; e.g.
 *   github.com/evilboss/suiteview readme.md (`10.4.100.111_01_20150619045051383_TIMING.jpg`) and
 *   many FTP watchers in public code (`192.168.1.64_01_20190827095800502_MOTION_DETECTION.jpg`).
 * - Vivotek (and OEMs of its firmware, e.g. 4XEM): `<prefix>_YYYYMMDDhhmmss.jpg` for periodic
 *   snapshots, `<prefix>_YYYYMMDDhhmmss_<n>_pre|trg|pos.jpg` around an event:
 *   https://manualsdump.com/en/manuals/vivotek-fd6111v-fd6121v/207412/58 and
 *   https://azmanual.top/manuals/231349/4xem-network-camera.html?page=55
 * - Foscam: `MDAlarm_YYYYMMDD-hhmmss.jpg` (motion) and `Schedule_YYYYMMDD-hhmmss.jpg`, under
 *   `<model>_<mac>/snap/`: github.com/hdaniel/pi_files clean_files.sh; `IOAlarm_` (alarm input)
 *   by analogy, not seen in a source.
 * - GeoVision: `<EVENT>_YYYY-MM-DD-HH-MM-SS-mmm_<idx>.jpg` under `/<mac>/<EVENT>/<date>/<hour>/`,
 *   EVENT MOTION, SENSOR (alarm input), TRIPWIRE, PERIMETER…:
 *   https://manualshive.com/en/manual/geovision/gv-tmeb5800/2216000?page=68
 * - Reolink: `<camera name>_<2-digit channel>_YYYYMMDDhhmmss.jpg` (the trigger is not in the name).
 *   No primary source found; the form is the one the field reports and the brief describe.
 * - Axis: the "add date/time suffix" option, `image<YY-MM-DD_HH-MM-SS-cc>.jpg` (cc hundredths),
 *   and `Snapshot_YYYY-MM-DD_HH-MM-SS.jpg` from a browser snapshot. No primary source found for the
 *   exact forms; both are matched strictly (Axis lets users choose any name, which we cannot read).
 *
 * Order matters: the specific forms (Hikvision's event word, Reolink's channel) are tried before
 * Vivotek's bare `<prefix>_<14 digits>`, which any camera might also write.
 */

import { instantsFromLocal, naiveUtcMs, zoneOffsetMs } from '../core/capture-time.js';

export type SnapshotTrigger = 'scheduled' | 'motion' | 'alarm';

export interface NameHint {
  /** `YYYY-MM-DDTHH:MM:SS` or `…:SS.mmm`: the camera's wall clock, no zone. */
  local: string;
  /** Firmware family: dahua (also Amcrest), hikvision, vivotek, foscam, geovision, reolink, axis. */
  vendor: string;
  /** Why the picture was taken, when the name says. */
  trigger: SnapshotTrigger | undefined;
}

interface Parts {
  y: string;
  mo: string;
  d: string;
  h: string;
  mi: string;
  s: string;
  /** Fraction of a second as written (1–3 digits), or undefined. */
  frac?: string | undefined;
}

const JPG = String.raw`\.jpe?g$`;

const DAHUA_RE = new RegExp(
  String.raw`(?:^|/)(\d{4})-(\d{2})-(\d{2})/(?:[^/]+/){0,3}?(\d{2})/(\d{2})/(\d{2})(?:\.(\d{3}))?\[([A-Z])\]\[\d+@\d+\]\[\d+\]` +
    JPG,
  'i',
);
/** `<ip, serial or prefix>_<channel or serial>_<time>_<EVENT>`: the event word starts with a letter. */
const HIKVISION_RE = new RegExp(String.raw`^.+?_[A-Z0-9]+_(\d{14})(\d{3})?_([A-Z][A-Z0-9_]*)` + JPG, 'i');
const FOSCAM_RE = new RegExp(String.raw`^(MDAlarm|Schedule|IOAlarm)_(\d{8})-(\d{6})` + JPG, 'i');
const GEOVISION_RE = new RegExp(
  String.raw`^([A-Z]+)_(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{3})_\d{3}` + JPG,
);
const REOLINK_RE = new RegExp(String.raw`^.+?_(\d{2})_(\d{14})` + JPG, 'i');
const VIVOTEK_RE = new RegExp(String.raw`^.+?_(\d{14})(\d{3})?(?:_(\d+)_(pre|trg|pos))?` + JPG, 'i');
const AXIS_IMAGE_RE = new RegExp(
  String.raw`^image_?(\d{2}|\d{4})-(\d{2})-(\d{2})_(\d{2})-(\d{2})-(\d{2})(?:-(\d{2,3}))?` + JPG,
  'i',
);
const AXIS_SNAPSHOT_RE = new RegExp(
  String.raw`^Snapshot_(\d{4})-(\d{2})-(\d{2})_(\d{2})-(\d{2})-(\d{2})(?:-(\d{2,3}))?` + JPG,
  'i',
);

const DAHUA_TRIGGERS: Record<string, SnapshotTrigger> = { R: 'scheduled', M: 'motion', A: 'alarm' };

/**
 * Hikvision event words. Video analytics (lines, regions, faces, PIR) are movement in the picture,
 * so they count as motion; an alarm input is a wired sensor.
 */
const HIKVISION_TRIGGERS: Record<string, SnapshotTrigger> = {
  TIMING: 'scheduled',
  MOTION_DETECTION: 'motion',
  LINE_CROSSING_DETECTION: 'motion',
  FIELD_DETECTION: 'motion',
  INTRUSION_DETECTION: 'motion',
  REGION_ENTRANCE: 'motion',
  REGION_ENTRANCE_DETECTION: 'motion',
  REGION_EXITING: 'motion',
  REGION_EXITING_DETECTION: 'motion',
  FACE_DETECTION: 'motion',
  PIR_ALARM: 'motion',
  ALARM_INPUT: 'alarm',
  ALARM: 'alarm',
};

const GEOVISION_TRIGGERS: Record<string, SnapshotTrigger> = {
  MOTION: 'motion',
  TRIPWIRE: 'motion',
  PERIMETER: 'motion',
  AOIENTRY: 'motion',
  AOILEAVE: 'motion',
  SENSOR: 'alarm',
};

/** The camera's wall-clock time and what else its file name says, or undefined. Never throws. */
export function nameHint(relPath: string): NameHint | undefined {
  if (typeof relPath !== 'string' || relPath.length > 4096) return undefined;
  const path = relPath.replace(/\\/g, '/');
  const base = path.slice(path.lastIndexOf('/') + 1);

  let m = DAHUA_RE.exec(path);
  if (m) {
    const [, y, mo, d, h, mi, s, frac, letter] = m as unknown as string[];
    return hint(
      { y: y!, mo: mo!, d: d!, h: h!, mi: mi!, s: s!, frac },
      'dahua',
      DAHUA_TRIGGERS[letter!.toUpperCase()],
    );
  }
  m = HIKVISION_RE.exec(base);
  if (m) {
    return hint(digits14(m[1]!, m[2]), 'hikvision', HIKVISION_TRIGGERS[m[3]!.toUpperCase()]);
  }
  m = FOSCAM_RE.exec(base);
  if (m) {
    const kind = m[1]!.toLowerCase();
    const trigger = kind === 'mdalarm' ? 'motion' : kind === 'schedule' ? 'scheduled' : 'alarm';
    return hint(digits14(m[2]! + m[3]!), 'foscam', trigger);
  }
  m = GEOVISION_RE.exec(base);
  if (m) {
    const [, event, y, mo, d, h, mi, s, frac] = m as unknown as string[];
    return hint(
      { y: y!, mo: mo!, d: d!, h: h!, mi: mi!, s: s!, frac },
      'geovision',
      GEOVISION_TRIGGERS[event!],
    );
  }
  m = AXIS_IMAGE_RE.exec(base) ?? AXIS_SNAPSHOT_RE.exec(base);
  if (m) {
    const [, yy, mo, d, h, mi, s, frac] = m as unknown as string[];
    const y = yy!.length === 2 ? `20${yy}` : yy!;
    return hint({ y, mo: mo!, d: d!, h: h!, mi: mi!, s: s!, frac }, 'axis', undefined);
  }
  m = REOLINK_RE.exec(base);
  if (m) return hint(digits14(m[2]!), 'reolink', undefined);
  m = VIVOTEK_RE.exec(base);
  if (m) {
    // Periodic snapshots carry no sequence; event ones say pre/trg/pos but not which event.
    return hint(digits14(m[1]!, m[2]), 'vivotek', m[4] === undefined ? 'scheduled' : undefined);
  }
  return undefined;
}

function digits14(s: string, frac?: string): Parts {
  return {
    y: s.slice(0, 4),
    mo: s.slice(4, 6),
    d: s.slice(6, 8),
    h: s.slice(8, 10),
    mi: s.slice(10, 12),
    s: s.slice(12, 14),
    frac,
  };
}

function hint(p: Parts, vendor: string, trigger: SnapshotTrigger | undefined): NameHint | undefined {
  const local = localOf(p);
  return local === undefined ? undefined : { local, vendor, trigger };
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The ISO wall-clock string, or undefined for an impossible date or time. */
function localOf(p: Parts): string | undefined {
  const [y, mo, d, h, mi, s] = [p.y, p.mo, p.d, p.h, p.mi, p.s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (y < 1970 || y >= 2200 || mo < 1 || mo > 12 || d < 1) return undefined;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = mo === 2 && leap ? 29 : DAYS[mo - 1]!;
  if (d > days || h > 23 || mi > 59 || s > 59) return undefined;
  const base = `${p.y}-${p.mo}-${p.d}T${p.h}:${p.mi}:${p.s}`;
  return p.frac === undefined ? base : `${base}.${p.frac.padEnd(3, '0')}`;
}

/**
 * The camera's clock minus the time we received its file, seconds (positive: the camera is ahead),
 * reading `hintLocal` as wall time in `timeZone`. A time the zone repeats (clocks going back) or
 * skips (going forward) is read with the offset that puts it nearest to the receipt, which is the
 * camera's most likely meaning. Upload latency makes a right clock read slightly negative.
 */
export function clockDriftS(hintLocal: string, receivedAtMs: number, timeZone: string): number {
  const naive = naiveUtcMs(hintLocal);
  if (naive === undefined) throw new RangeError(`not a wall-clock time: ${hintLocal}`);
  let candidates = instantsFromLocal(hintLocal, timeZone) ?? [];
  if (candidates.length === 0) {
    // In a spring-forward gap: the camera did not change its clock; either offset may be meant.
    candidates = [
      naive - zoneOffsetMs(naive - 86_400_000, timeZone),
      naive - zoneOffsetMs(naive + 86_400_000, timeZone),
    ];
  }
  let best = candidates[0]!;
  for (const c of candidates) if (Math.abs(c - receivedAtMs) < Math.abs(best - receivedAtMs)) best = c;
  return Math.round(best - receivedAtMs) / 1000;
}
