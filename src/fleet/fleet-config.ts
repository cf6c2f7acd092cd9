/**
 * A fleet config (docs/fleet.md): one YAML file for a group of cameras — the group, the session
 * name, defaults, and per camera the station it is on and its settings. Validated at load with
 * every bad key listed; resolved into one CameraPlan per camera (defaults under overrides).
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { describeIssues } from '../core/zod-issues.js';
import { OutpostError, errnoCode } from '../core/errors.js';
import type { CameraPatch } from '../recorder/camera-patch.js';
import { rpicamControlProblems } from '../recorder/rpicam-controls.js';
import {
  NAME_RE,
  OVERLAY_POSITIONS,
  audioSourceSchema,
  cameraPlanSchema,
  motionPlanSchema,
  ttlPlanSchema,
  type CameraPlan,
} from './protocol.js';

const name = z.string().regex(NAME_RE, 'letters, digits, ".", "_" or "-", at most 63');
/** A station: a name, and not `conductor` (that topic level is the conductor's own). */
const stationName = name.refine((v) => v !== 'conductor', '"conductor" is reserved for the conductor');

/** `90`, `90s`, `15m`, `2h`: seconds, more than 0. */
export const duration = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^\d+(\.\d+)?(s|m|h)?$/, 'a duration such as 90s, 15m or 2h')
      .transform((v) => {
        const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(v)!;
        return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
      }),
  ])
  .pipe(z.number().positive('a duration more than 0'));
const durationUpTo = (maxS: number, said: string) => duration.pipe(z.number().max(maxS, `at most ${said}`));

const settings = {
  source: z.string().min(1).max(2000),
  mode: z.enum(['continuous', 'motion']),
  /** `1280x720` */
  resolution: z
    .string()
    .regex(/^\d{2,4}x\d{2,4}$/, { message: 'WIDTHxHEIGHT, e.g. 1280x720', abort: true })
    .refine((v) => v.split('x').every((n) => Number(n) >= 16), 'at least 16x16'),
  fps: z.number().min(0.1).max(240),
  rotation: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]),
  hflip: z.boolean(),
  vflip: z.boolean(),
  segment: durationUpTo(3600, '1h').pipe(z.number().min(1, 'at least 1 s')),
  controls: cameraPlanSchema.shape.controls.unwrap(),
  live: z.boolean(),
  /** `false`, `true`, or where and whether it is burnt in: `{ position: bottom-right, inRecording: true }`. */
  timestamp: z.union([
    z.boolean(),
    z
      .object({ position: z.enum(OVERLAY_POSITIONS), inRecording: z.boolean() })
      .partial()
      .strict(),
  ]),
  motionHighlight: z.boolean(),
  motion: motionPlanSchema,
  rtsp: z.boolean(),
  audio: audioSourceSchema,
  /** `true` (settle 2 s) or how long auto-exposure settles before it is locked, e.g. `3s`. */
  exposureLock: z.union([z.boolean(), durationUpTo(60, '60s').pipe(z.number().min(0.5, 'at least 0.5 s'))]),
  ttl: ttlPlanSchema,
};
const settingsSchema = z.object(settings).partial().strict();

export const fleetConfigSchema = z
  .object({
    group: name,
    session: name.default('session'),
    /** Broker URL (mqtt://, mqtts://); default: the embedded broker of `outpost station`. */
    broker: z
      .object({
        url: z
          .string()
          .regex(/^mqtts?:\/\/[^\s]+$/, 'mqtt://host:port or mqtts://host:port')
          .default('mqtt://127.0.0.1:1883'),
        username: z.string().max(200).optional(),
        password: z.string().max(200).optional(),
        /** CA certificate (PEM file) for mqtts:// with a private CA. */
        ca: z.string().optional(),
        root: z
          .string()
          .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'topic levels of letters, digits, "_", "-"')
          .default('outpost/fleet'),
      })
      .strict()
      .default({ url: 'mqtt://127.0.0.1:1883', root: 'outpost/fleet' }),
    maxDuration: durationUpTo(7 * 24 * 3600, '7 days (168h)'),
    clock: z
      .object({
        maxOffsetMs: z.number().int().positive().default(100),
        /** Past the limit: refuse the start, or start and warn. */
        action: z.enum(['refuse', 'warn']).default('refuse'),
      })
      .strict()
      .default({ maxOffsetMs: 100, action: 'refuse' }),
    /** The conductor silent: stations go on to max duration, or stop after `silence`. */
    onConductorLost: z.enum(['continue', 'stop']).default('continue'),
    silence: durationUpTo(24 * 3600, '24h').default(60),
    /** Seconds ahead the start is scheduled (at least 2). */
    startDelay: z.number().min(2).max(3600).default(3),
    defaults: settingsSchema.default({}),
    cameras: z
      .array(
        z
          .object({ station: stationName, camera: name.default('cam'), ...settings })
          .partial({ ...Object.fromEntries(Object.keys(settings).map((k) => [k, true])), camera: true })
          .strict(),
      )
      .min(1)
      .max(256),
  })
  .strict();
export type FleetConfig = z.infer<typeof fleetConfigSchema>;

/**
 * What the schema cannot see camera by camera: a station/camera pair listed twice, a camera with
 * no source anywhere. Checked on the raw input, so they are reported with every other mistake.
 */
function crossCheck(raw: unknown): string[] {
  const c = (raw ?? {}) as { cameras?: unknown; defaults?: { source?: unknown } };
  if (!Array.isArray(c.cameras)) return [];
  const out: string[] = [];
  const seen = new Set<string>();
  c.cameras.forEach((cam: unknown, i) => {
    if (!cam || typeof cam !== 'object') return;
    const { station, camera, source } = cam as Record<string, unknown>;
    const key = `${String(station)}/${typeof camera === 'string' ? camera : 'cam'}`;
    if (seen.has(key)) out.push(`cameras.${i}: ${key} is listed twice`);
    seen.add(key);
    if (source === undefined && c.defaults?.source === undefined)
      out.push(`cameras.${i}.source: no source (set it here or in defaults)`);
    // Controls and the exposure lock are rpicam-vid's: only for Pi cameras, each checked here.
    const src = source ?? c.defaults?.source;
    const lock = (cam as Record<string, unknown>).exposureLock;
    if (lock !== undefined && lock !== false && typeof src === 'string' && !src.startsWith('rpicam:'))
      out.push(`cameras.${i}.exposureLock: the exposure lock is for Pi cameras (an rpicam: source)`);
    const own = ((cam as Record<string, unknown>).controls as object | undefined) ?? {};
    const controls = {
      ...((c.defaults as { controls?: object } | undefined)?.controls ?? {}),
      ...own,
    } as Record<string, string | number>;
    if (Object.keys(controls).length) {
      // Default controls serve the Pi cameras only; a camera's own controls need a Pi camera.
      if (typeof src === 'string' && !src.startsWith('rpicam:')) {
        if (Object.keys(own).length)
          out.push(`cameras.${i}.controls: camera controls are for Pi cameras (an rpicam: source)`);
      } else {
        // Keys the schema refused already are not told twice.
        const named = Object.fromEntries(
          Object.entries(controls).filter(([k]) => /^[a-z][a-z0-9-]{0,31}$/.test(k)),
        );
        for (const p of rpicamControlProblems(named)) out.push(`cameras.${i}.controls.${p}`);
      }
    }
  });
  return out;
}

export function parseFleetConfig(raw: unknown, source: string): FleetConfig {
  const r = fleetConfigSchema.safeParse(raw ?? {});
  const cross = crossCheck(raw);
  if (!r.success || cross.length) {
    const lines = [...(r.success ? [] : describeIssues(r.error.issues)), ...cross];
    throw new OutpostError('CONFIG_INVALID', `invalid fleet config in ${source}:\n  ${lines.join('\n  ')}`, {
      details: { source, problems: lines },
    });
  }
  return r.data!;
}

export async function loadFleetConfig(path: string): Promise<FleetConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new OutpostError(
      'CONFIG_INVALID',
      `cannot read fleet config ${path}: ${errnoCode(e) ?? (e as Error).message}`,
      {
        hint: 'Give the path of the fleet YAML file.',
      },
    );
  }
  const doc = parseDocument(text);
  if (doc.errors.length)
    throw new OutpostError(
      'CONFIG_INVALID',
      `fleet config ${path} is not valid YAML:\n  ${doc.errors.map((e) => e.message.split('\n')[0]).join('\n  ')}`,
    );
  return parseFleetConfig(doc.toJS(), path);
}

/** Each station's cameras with their settings resolved (camera over defaults). */
export function plansByStation(c: FleetConfig): Map<string, CameraPlan[]> {
  const out = new Map<string, CameraPlan[]>();
  for (const cam of c.cameras) {
    const s = {
      ...c.defaults,
      ...Object.fromEntries(Object.entries(cam).filter(([, v]) => v !== undefined)),
    };
    const [w, h] = s.resolution ? s.resolution.split('x').map(Number) : [undefined, undefined];
    const plan = cameraPlanSchema.parse({
      camera: cam.camera ?? 'cam',
      source: s.source,
      mode: s.mode ?? 'continuous',
      ...(w ? { width: w, height: h } : {}),
      ...(s.fps ? { fps: s.fps } : {}),
      rotation: s.rotation ?? 0,
      hflip: s.hflip ?? false,
      vflip: s.vflip ?? false,
      segmentSeconds: s.segment ?? 10,
      // Default controls are rpicam-vid's: not passed to other sources.
      controls: (s.source?.startsWith('rpicam:') ? s.controls : cam.controls) ?? {},
      ...(s.live !== undefined ? { live: s.live } : {}),
      timestamp:
        typeof s.timestamp === 'object'
          ? { enabled: true, ...s.timestamp }
          : { enabled: s.timestamp ?? true },
      ...(s.motionHighlight !== undefined ? { motionHighlight: s.motionHighlight } : {}),
      ...(s.motion ? { motion: s.motion } : {}),
      ...(s.rtsp !== undefined ? { rtsp: s.rtsp } : {}),
      ...(s.audio ? { audio: s.audio } : {}),
      // Exposure lock is rpicam-vid's too: a default one serves the Pi cameras only.
      ...(s.exposureLock && (s.source?.startsWith('rpicam:') || cam.exposureLock)
        ? { exposureLockS: s.exposureLock === true ? 2 : s.exposureLock }
        : {}),
      ...(s.ttl ? { ttl: s.ttl } : {}),
    });
    out.set(cam.station, [...(out.get(cam.station) ?? []), plan]);
  }
  return out;
}

/**
 * What `config push` sends each station for its own cameras: the picture settings and segment
 * length of the config (the station keeps its own source; a size or rate not given is the
 * source's, null), and the other settings the config states (mode, live view, time and corner,
 * motion highlight and threshold, stream, microphone, Pi camera controls); what it does not
 * state stays as the station has it.
 */
export function patchesByStation(c: FleetConfig): Map<string, Record<string, CameraPatch>> {
  const out = new Map<string, Record<string, CameraPatch>>();
  const stated = (cam: FleetConfig['cameras'][number]) => ({
    ...c.defaults,
    ...Object.fromEntries(Object.entries(cam).filter(([, v]) => v !== undefined)),
  });
  const plans = plansByStation(c);
  const seen = new Map<string, number>();
  for (const cam of c.cameras) {
    const i = seen.get(cam.station) ?? 0;
    seen.set(cam.station, i + 1);
    const p = plans.get(cam.station)![i]!;
    const s = stated(cam) as Partial<FleetConfig['defaults']>;
    const patch: CameraPatch = {
      rotation: p.rotation,
      hflip: p.hflip,
      vflip: p.vflip,
      width: p.width ?? null,
      height: p.height ?? null,
      fps: p.fps ?? null,
      segmentSeconds: p.segmentSeconds,
      ...(s.mode !== undefined ? { mode: p.mode } : {}),
      ...(s.live !== undefined ? { live: p.live } : {}),
      ...(s.timestamp !== undefined
        ? { timestamp: p.timestamp.enabled, timestampPosition: p.timestamp.position }
        : {}),
      ...(s.motionHighlight !== undefined ? { motionHighlight: p.motionHighlight } : {}),
      ...(s.motion?.threshold !== undefined ? { motionThreshold: s.motion.threshold } : {}),
      ...(s.rtsp !== undefined ? { rtsp: p.rtsp } : {}),
      ...(p.audio ? { audio: p.audio } : {}),
      ...(Object.keys(p.controls).length ? { controls: p.controls } : {}),
    };
    out.set(cam.station, { ...out.get(cam.station), [p.camera]: patch });
  }
  return out;
}

/** Seconds a camera with an exposure lock needs before the start: metering, then its pipeline. */
function lockLeads(c: FleetConfig): number[] {
  return [...plansByStation(c).values()]
    .flat()
    .map((p) => (p.exposureLockS !== undefined ? Math.ceil(p.exposureLockS + EXPOSURE_LOCK_LEAD_S) : 0));
}

/** Beyond the settle time: rpicam-vid's own start, then the pipeline's (PREPARE_MS) and a margin. */
export const EXPOSURE_LOCK_LEAD_S = 4;

/** What `Conductor.startSession` takes for a fleet config, with the command's or page's overrides. */
export function sessionStartOf(
  c: FleetConfig,
  o: { name?: string | undefined; durationS?: number | undefined; at?: Date | undefined } = {},
) {
  return {
    group: c.group,
    name: o.name ?? c.session,
    plans: plansByStation(c),
    maxDurationS: o.durationS ?? c.maxDuration,
    ...(o.at ? { at: o.at } : {}),
    // A locked exposure is metered before the pipeline starts: the start waits for it.
    startDelayS: Math.max(c.startDelay, ...lockLeads(c)),
    clock: c.clock,
    onConductorLost: c.onConductorLost,
    silenceS: c.silence,
  };
}
