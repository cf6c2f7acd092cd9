/**
 * A Raspberry Pi camera's controls (rpicam-vid's options) as a fleet config or a source URL
 * gives them: each checked against what rpicam-vid takes, then turned into its arguments. Pure.
 *
 * | control | rpicam-vid | values |
 * | --- | --- | --- |
 * | brightness | --brightness | -1 … 1 (0: normal) |
 * | contrast, saturation | --contrast, --saturation | 0 … 32 (1: normal; saturation 0: grey) |
 * | sharpness | --sharpness | 0 … 16 (1: normal) |
 * | gain (or iso: gain × 100) | --gain | 1 … 64, analogue gain (fixes it) |
 * | shutter | --shutter | microseconds, 1 … 100 000 000 (fixes it) |
 * | ev | --ev | -10 … 10 |
 * | awb | --awb | auto incandescent tungsten fluorescent indoor daylight cloudy custom |
 * | awbgains | --awbgains | "red,blue", each 0 … 32 (fixes white balance) |
 * | denoise | --denoise | auto off cdn_off cdn_fast cdn_hq |
 * | metering | --metering | centre spot average custom |
 * | exposure | --exposure | normal sport long |
 * | roi (zoom) | --roi | "x,y,w,h", fractions of the sensor 0 … 1 |
 * | sync | --sync | server client (frames in step across Pis, rpicam-apps ≥ 1.5) |
 */
import { OutpostError } from '../core/errors.js';
export type ControlValue = string | number;

const num =
  (min: number, max: number) =>
  (v: ControlValue): string | undefined => {
    const n = typeof v === 'number' ? v : Number(v);
    return Number.isFinite(n) && n >= min && n <= max && String(v).trim() !== '' ? String(n) : undefined;
  };
const oneOf =
  (...values: string[]) =>
  (v: ControlValue): string | undefined =>
    values.includes(String(v)) ? String(v) : undefined;
const list =
  (n: number, min: number, max: number) =>
  (v: ControlValue): string | undefined => {
    const parts = String(v)
      .split(',')
      .map((x) => x.trim());
    if (parts.length !== n) return undefined;
    const nums = parts.map(Number);
    return nums.every((x, i) => parts[i] !== '' && Number.isFinite(x) && x >= min && x <= max)
      ? nums.join(',')
      : undefined;
  };

interface Control {
  flag: string;
  check: (v: ControlValue) => string | undefined;
  says: string;
  /** How the value is passed on (iso is a gain). */
  map?: (v: string) => string;
}

export const RPICAM_CONTROLS: Record<string, Control> = {
  brightness: { flag: '--brightness', check: num(-1, 1), says: 'a number from -1 to 1' },
  contrast: { flag: '--contrast', check: num(0, 32), says: 'a number from 0 to 32 (1 is normal)' },
  saturation: { flag: '--saturation', check: num(0, 32), says: 'a number from 0 to 32 (1 is normal)' },
  sharpness: { flag: '--sharpness', check: num(0, 16), says: 'a number from 0 to 16 (1 is normal)' },
  gain: { flag: '--gain', check: num(1, 64), says: 'an analogue gain from 1 to 64' },
  iso: {
    flag: '--gain',
    check: num(100, 6400),
    says: 'an ISO from 100 to 6400',
    map: (v) => String(Number(v) / 100),
  },
  shutter: { flag: '--shutter', check: num(1, 100_000_000), says: 'microseconds, 1 to 100000000' },
  ev: { flag: '--ev', check: num(-10, 10), says: 'a number from -10 to 10' },
  awb: {
    flag: '--awb',
    check: oneOf('auto', 'incandescent', 'tungsten', 'fluorescent', 'indoor', 'daylight', 'cloudy', 'custom'),
    says: 'auto, incandescent, tungsten, fluorescent, indoor, daylight, cloudy or custom',
  },
  awbgains: { flag: '--awbgains', check: list(2, 0, 32), says: '"red,blue" gains, each 0 to 32' },
  denoise: {
    flag: '--denoise',
    check: oneOf('auto', 'off', 'cdn_off', 'cdn_fast', 'cdn_hq'),
    says: 'auto, off, cdn_off, cdn_fast or cdn_hq',
  },
  metering: {
    flag: '--metering',
    check: oneOf('centre', 'spot', 'average', 'custom'),
    says: 'centre, spot, average or custom',
  },
  exposure: { flag: '--exposure', check: oneOf('normal', 'sport', 'long'), says: 'normal, sport or long' },
  roi: { flag: '--roi', check: list(4, 0, 1), says: '"x,y,w,h", fractions of the sensor from 0 to 1' },
  sync: { flag: '--sync', check: oneOf('server', 'client'), says: 'server or client' },
};

/** Every problem with a set of controls (empty when all are good). */
export function rpicamControlProblems(controls: Record<string, ControlValue>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(controls)) {
    const c = RPICAM_CONTROLS[k];
    if (!c) out.push(`${k}: not a Pi camera control (${Object.keys(RPICAM_CONTROLS).join(', ')})`);
    else if (c.check(v) === undefined) out.push(`${k}: ${JSON.stringify(v)} is not ${c.says}`);
  }
  if ('gain' in controls && 'iso' in controls) out.push('gain and iso: give one (iso is a gain × 100)');
  return out;
}

/** rpicam-vid arguments of valid controls, in a fixed order. */
export function rpicamControlArgs(controls: Record<string, ControlValue>): string[] {
  const args: string[] = [];
  for (const k of Object.keys(RPICAM_CONTROLS)) {
    const v = controls[k];
    if (v === undefined) continue;
    const c = RPICAM_CONTROLS[k]!;
    const checked = c.check(v);
    if (checked === undefined) continue;
    args.push(c.flag, c.map ? c.map(checked) : checked);
  }
  return args;
}

/** A Pi camera source with the controls in its query (they become rpicam-vid options). */
export function withControls(source: string, controls: Record<string, ControlValue>): string {
  const keys = Object.keys(controls);
  if (!keys.length) return source;
  if (!source.startsWith('rpicam:'))
    throw new OutpostError(
      'RECORDER_SOURCE',
      `camera controls (${keys.join(', ')}) are for Pi cameras (rpicam:)`,
      {
        hint: 'Remove the controls, or record from an rpicam: source.',
      },
    );
  const q = new URLSearchParams(source.slice('rpicam:'.length).replace(/^\?/, ''));
  for (const [k, v] of Object.entries(controls)) q.set(k, String(v));
  return `rpicam:?${q.toString()}`;
}

/** The controls in a Pi camera source's query (`rpicam:?width=…&brightness=0.1` → brightness); {} for others. */
export function controlsOf(source: string): Record<string, string> {
  if (!source.startsWith('rpicam:')) return {};
  const q = new URLSearchParams(source.slice('rpicam:'.length).replace(/^\?/, ''));
  return Object.fromEntries([...q].filter(([k]) => k in RPICAM_CONTROLS));
}

/** A Pi camera source without its controls (size, rate, codec and camera kept). */
export function withoutControls(source: string): string {
  if (!source.startsWith('rpicam:')) return source;
  const q = new URLSearchParams(source.slice('rpicam:'.length).replace(/^\?/, ''));
  for (const k of [...q.keys()]) if (k in RPICAM_CONTROLS) q.delete(k);
  const rest = q.toString();
  return rest ? `rpicam:?${rest}` : 'rpicam:';
}
