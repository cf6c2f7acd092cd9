/**
 * Exposure lock for a Raspberry Pi camera: read rpicam-vid's per-frame metadata, decide when
 * auto-exposure and auto-white-balance have settled, and turn the settled values into the
 * controls (shutter, gain, awbgains) that fix them for a recording. Pure.
 *
 * rpicam-vid's `--metadata <file|-> --metadata-format json` (rpicam-apps output/output.cpp)
 * writes, per frame, `{` then one `    "Name": value` line per libcamera control, then `}`,
 * frames separated by `,`; `[` opens the array only when writing to a file (not on stdout) and
 * `]` closes it when rpicam-vid exits. Values are libcamera's ControlValue::toString(): numbers,
 * `true`/`false`, arrays as `[ a, b ]`; strings are quoted only when they hold a `/` (ScalerCrop),
 * so some values (a Size, `nan`) are not JSON: the parser reads line by line and keeps those as
 * text. Keys used: ExposureTime (µs), AnalogueGain, DigitalGain, ColourGains [red, blue], Lux,
 * SensorTimestamp (ns), FrameDuration (µs), and AeLocked (bool, libcamera < 0.4) or AeState
 * (0 idle, 1 searching, 2 converged; libcamera ≥ 0.4).
 */

/** One frame's metadata: control name → value (JSON when it parses, else the text as written). */
export type RpicamFrame = Record<string, unknown>;

const KEY_LINE = /^\s*"([^"]+)"\s*:\s*(.*?)\s*$/;

function value(text: string): unknown {
  const t = text.replace(/,$/, '').trim();
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return t;
  }
}

function isFrame(v: unknown): v is RpicamFrame {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The frames of rpicam-vid's JSON metadata, whole or cut off mid-write (the process stopped):
 * complete frames only; an unfinished last frame, lines outside frames and unreadable values'
 * neighbours are skipped, never thrown on.
 */
export function parseRpicamMetadata(text: string): RpicamFrame[] {
  try {
    const whole = JSON.parse(text) as unknown;
    if (Array.isArray(whole)) return whole.filter(isFrame);
  } catch {
    // Streamed, cut off, or not quite JSON: read it line by line.
  }
  const frames: RpicamFrame[] = [];
  let open: RpicamFrame | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^[[,]\s*/, '');
    if (line.startsWith('{') && line.replace(/,$/, '').endsWith('}')) {
      // A frame on one line (compact JSON).
      const v = value(line);
      if (isFrame(v)) frames.push(v);
      open = undefined;
    } else if (line.startsWith('{')) {
      open = {};
    } else if (line.startsWith('}')) {
      if (open) frames.push(open);
      open = undefined;
    } else if (open) {
      const m = KEY_LINE.exec(line);
      if (m) open[m[1]!] = value(m[2]!);
    }
  }
  return frames;
}

/** What a frame says about exposure (undefined when it lacks ExposureTime or AnalogueGain). */
interface ExposureSample {
  exposureUs: number;
  analogueGain: number;
  digitalGain?: number;
  colourGains?: [number, number];
  lux?: number;
  /** True/false when the frame reports AE state (AeLocked, or AeState searching/converged). */
  aeLocked?: boolean;
  sensorTimestampNs?: number;
  frameDurationUs?: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function sample(f: RpicamFrame): ExposureSample | undefined {
  const exposureUs = num(f.ExposureTime);
  const analogueGain = num(f.AnalogueGain);
  if (exposureUs === undefined || analogueGain === undefined || exposureUs <= 0 || analogueGain <= 0)
    return undefined;
  const s: ExposureSample = { exposureUs, analogueGain };
  const dg = num(f.DigitalGain);
  if (dg !== undefined && dg > 0) s.digitalGain = dg;
  const cg = f.ColourGains;
  if (Array.isArray(cg) && cg.length === 2 && cg.every((x) => num(x) !== undefined && (x as number) > 0))
    s.colourGains = [cg[0] as number, cg[1] as number];
  const lux = num(f.Lux);
  if (lux !== undefined) s.lux = lux;
  if (typeof f.AeLocked === 'boolean') s.aeLocked = f.AeLocked;
  // AeState 0 is "idle" (AE not running: both fixed by hand), which says nothing about settling.
  else if (f.AeState === 1 || f.AeState === 2) s.aeLocked = f.AeState === 2;
  const ts = num(f.SensorTimestamp);
  if (ts !== undefined) s.sensorTimestampNs = ts;
  const fd = num(f.FrameDuration);
  if (fd !== undefined && fd > 0) s.frameDurationUs = fd;
  return s;
}

/** Options for {@link settledExposure}. */
export interface SettleOptions {
  /** Frames that must agree (exposure × gain, and colour gains) for "settled". Default 10. */
  window?: number;
  /** Largest relative spread (max / min − 1) across those frames. Default 0.03 (3 %). */
  tolerance?: number;
  /** Frame rate, for times when frames carry neither SensorTimestamp nor FrameDuration. Default 30. */
  fps?: number;
}

/** The exposure a camera arrived at. */
export interface ExposureValues {
  /** Exposure time, microseconds (whole). */
  shutterUs: number;
  analogueGain: number;
  /** The ISP's digital gain (near 1: it makes up the sensor's quantisation); recorded, not locked. */
  digitalGain?: number;
  /** White-balance gains [red, blue]; absent for a monochrome sensor. */
  colourGains?: [number, number];
  /** The scene's estimated light level, as the camera reported it. */
  lux?: number;
  /** Frames with exposure metadata that were read. */
  frames: number;
  /** From the first of those frames to the last, milliseconds. */
  meteredMs: number;
}

export type ExposureOutcome =
  | (ExposureValues & {
      status: 'settled';
      /** From the first frame to the first frame of the settled run, milliseconds. */
      settledAfterMs: number;
      /** How settling was seen: the camera's own AE lock, or stable values. */
      by: 'ae-locked' | 'stable';
    })
  /** AE/AWB were still moving at the end: the values are the last frame's, and `why` says so. */
  | (ExposureValues & { status: 'unsettled'; settledAfterMs: null; why: string })
  | { status: 'no-frames'; frames: number; why: string };

/** Index from which every value to the end lies within `tolerance` of the others. */
function stableFrom(values: number[], tolerance: number): number {
  let i = values.length - 1;
  let lo = values[i]!;
  let hi = lo;
  while (i > 0) {
    const v = values[i - 1]!;
    const nlo = Math.min(lo, v);
    const nhi = Math.max(hi, v);
    if (nlo <= 0 || nhi / nlo - 1 > tolerance) break;
    lo = nlo;
    hi = nhi;
    i--;
  }
  return i;
}

function timesMs(xs: ExposureSample[], fps: number): number[] {
  if (xs.every((x) => x.sensorTimestampNs !== undefined))
    return xs.map((x) => (x.sensorTimestampNs! - xs[0]!.sensorTimestampNs!) / 1e6);
  if (xs.every((x) => x.frameDurationUs !== undefined)) {
    let t = 0;
    return xs.map((x, i) => (i === 0 ? 0 : (t += xs[i - 1]!.frameDurationUs! / 1000)));
  }
  return xs.map((_, i) => (i * 1000) / fps);
}

const spread = (values: number[]): number => Math.max(...values) / Math.min(...values) - 1;
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

/**
 * When auto-exposure (and auto-white-balance) settled, and at what. AE is settled from the start
 * of the final run of frames the camera reports as AE-locked; without that report (or when the
 * last frame is not locked), from where exposure × analogue × digital gain stays within
 * `tolerance` over at least `window` frames to the end. Colour gains must hold as steady.
 * The values are the last frame's.
 */
export function settledExposure(frames: readonly RpicamFrame[], opts: SettleOptions = {}): ExposureOutcome {
  const window = Math.max(1, Math.floor(opts.window ?? 10));
  const tolerance = opts.tolerance ?? 0.03;
  const xs = frames.map(sample).filter((x): x is ExposureSample => x !== undefined);
  if (xs.length === 0)
    return {
      status: 'no-frames',
      frames: frames.length,
      why:
        frames.length === 0
          ? 'no frame metadata'
          : `${frames.length} frames of metadata, none with ExposureTime and AnalogueGain`,
    };
  const n = xs.length;
  const last = xs[n - 1]!;
  const t = timesMs(xs, opts.fps ?? 30);
  const values: ExposureValues = {
    shutterUs: Math.round(last.exposureUs),
    analogueGain: last.analogueGain,
    ...(last.digitalGain !== undefined ? { digitalGain: last.digitalGain } : {}),
    ...(last.colourGains ? { colourGains: last.colourGains } : {}),
    ...(last.lux !== undefined ? { lux: last.lux } : {}),
    frames: n,
    meteredMs: Math.round(t[n - 1]!),
  };

  let aeFrom: number | undefined;
  let by: 'ae-locked' | 'stable' = 'stable';
  if (last.aeLocked === true) {
    aeFrom = n - 1;
    while (aeFrom > 0 && xs[aeFrom - 1]!.aeLocked === true) aeFrom--;
    by = 'ae-locked';
  } else {
    const from = stableFrom(
      xs.map((x) => x.exposureUs * x.analogueGain * (x.digitalGain ?? 1)),
      tolerance,
    );
    if (n - from >= window) aeFrom = from;
  }
  const tail = xs.slice(-Math.min(window, n));
  if (aeFrom === undefined) {
    const why =
      n < window
        ? `only ${n} frames of metadata (${window} needed to see the exposure settle)`
        : `auto-exposure still moving: exposure × gain spread ${pct(spread(tail.map((x) => x.exposureUs * x.analogueGain * (x.digitalGain ?? 1))))} over the last ${window} frames`;
    return { ...values, status: 'unsettled', settledAfterMs: null, why };
  }

  let awbFrom = 0;
  if (xs.some((x) => x.colourGains)) {
    if (!xs.every((x) => x.colourGains)) awbFrom = xs.findLastIndex((x) => !x.colourGains) + 1;
    const cg = xs.slice(awbFrom).map((x) => x.colourGains!);
    if (cg.length)
      awbFrom += Math.max(
        stableFrom(
          cg.map((g) => g[0]),
          tolerance,
        ),
        stableFrom(
          cg.map((g) => g[1]),
          tolerance,
        ),
      );
    if (n - awbFrom < window) {
      const g = tail.filter((x) => x.colourGains).map((x) => x.colourGains!);
      const s = g.length ? Math.max(spread(g.map((x) => x[0])), spread(g.map((x) => x[1]))) : 0;
      return {
        ...values,
        status: 'unsettled',
        settledAfterMs: null,
        why: `auto-white-balance still moving: colour gains spread ${pct(s)} over the last ${window} frames`,
      };
    }
  }
  const from = Math.max(aeFrom, awbFrom);
  return { ...values, status: 'settled', settledAfterMs: Math.round(t[from]!), by };
}

/** The rpicam controls (rpicam-controls.ts) that fix these values: `--shutter --gain --awbgains`. */
export function lockedControls(x: Pick<ExposureValues, 'shutterUs' | 'analogueGain' | 'colourGains'>): {
  shutter: string;
  gain: string;
  awbgains?: string;
} {
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
  const round = (v: number, places: number): number => Number(v.toFixed(places));
  const out: { shutter: string; gain: string; awbgains?: string } = {
    shutter: String(clamp(Math.round(x.shutterUs), 1, 100_000_000)),
    gain: String(clamp(round(x.analogueGain, 3), 1, 64)),
  };
  if (x.colourGains) out.awbgains = x.colourGains.map((g) => String(clamp(round(g, 4), 0, 32))).join(',');
  return out;
}

/** Keys a lock replaces: the values it fixes, and the automatic modes they override. */
const REPLACED = new Set(['shutter', 'gain', 'iso', 'awbgains', 'awb']);

/**
 * An `rpicam:` source URL with its exposure locked: shutter, gain and awbgains set to these
 * values (replacing shutter, gain, iso, awb and awbgains); every other key kept as written.
 */
export function withLockedControls(
  source: string,
  x: Pick<ExposureValues, 'shutterUs' | 'analogueGain' | 'colourGains'>,
): string {
  const q = source.slice('rpicam:'.length).replace(/^\?/, '');
  const kept = q.split('&').filter((pair) => {
    if (pair === '') return false;
    const key = decodeURIComponent(pair.split('=')[0]!.replace(/\+/g, ' '));
    return !REPLACED.has(key);
  });
  const locked = Object.entries(lockedControls(x)).map(([k, v]) => `${k}=${v}`);
  return `rpicam:?${[...kept, ...locked].join('&')}`;
}
