/**
 * The fleet's MQTT protocol (docs/fleet.md "Protocol"). Pure: topic names and the JSON payloads,
 * each parsed with a schema so a malformed or hostile message is one clear refusal, never a crash.
 *
 * MQTT 3.1.1 has no correlation data, reply topics or message expiry: they travel in the payloads
 * (`id`, `replyTo`, `expiresAt`). Every topic is exact: a station subscribes to its own name, never
 * to a prefix, so `cam1` never receives what is meant for `cam10`.
 *
 *   <root>/<station>/status    retained: presence and health (last will: offline)
 *   <root>/<station>/desired   retained: the session this station should be recording, with its
 *                              end; a state, never a one-off command that would replay
 *   <root>/<station>/cmd       commands (ping, start, stop), each with an id and an expiry
 *   <root>/<station>/events    what happened: accepted/refused, started, stopped, segment, gap,
 *                              configured
 *   <root>/<station>/config    retained: camera settings pushed by the conductor (`config push`)
 *   <root>/conductor/status    retained: the conductor's presence (last will: offline)
 */
import { z } from 'zod';
import { cameraPatchSchema } from '../recorder/camera-patch.js';

export const PROTOCOL_VERSION = 1;
export const DEFAULT_ROOT = 'outpost/fleet';

/** Station and camera names: a topic level of their own (no `/`, `+`, `#`), and a folder name. */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const name = z
  .string()
  .regex(NAME_RE, 'letters, digits, ".", "_" or "-" (at most 63), not starting with "." or "-"');
const isoTime = z.iso.datetime({ offset: true });
const id = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'an id of 8–64 letters, digits, "_" or "-"');

export const topics = (root: string) => ({
  status: (station: string) => `${root}/${station}/status`,
  desired: (station: string) => `${root}/${station}/desired`,
  cmd: (station: string) => `${root}/${station}/cmd`,
  events: (station: string) => `${root}/${station}/events`,
  config: (station: string) => `${root}/${station}/config`,
  conductor: `${root}/conductor/status`,
  /** The conductor's subscriptions: `+` is exactly one level, a station's name. */
  allStatus: `${root}/+/status`,
  allEvents: `${root}/+/events`,
  allDesired: `${root}/+/desired`,
});

/** The station a topic is about (`<root>/<station>/<kind>`), or undefined. */
export function stationOfTopic(root: string, topic: string): string | undefined {
  if (!topic.startsWith(`${root}/`)) return undefined;
  const rest = topic.slice(root.length + 1).split('/');
  return rest.length === 2 &&
    NAME_RE.test(rest[0]!) &&
    rest[0] !== 'conductor' &&
    ['status', 'desired', 'cmd', 'events', 'config'].includes(rest[1]!)
    ? rest[0]
    : undefined;
}

/** Where the time is drawn on a picture. */
export const OVERLAY_POSITIONS = ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const;
export const timestampPlanSchema = z
  .object({
    enabled: z.boolean().default(true),
    position: z.enum(OVERLAY_POSITIONS).default('top-left'),
    /** Burn it into the recorded video too (re-encodes). */
    inRecording: z.boolean().default(false),
  })
  .strict();

/** The motion settings a fleet config may set per camera (a subset of the station's `motion:`). */
export const motionPlanSchema = z
  .object({
    /** Grey levels (1–255) a pixel must change by: lower is more sensitive. */
    threshold: z.number().int().min(1).max(255),
    /** Smallest moving area, as a fraction of the frame: lower is more sensitive. */
    minArea: z.number().gt(0).lt(1),
    minFrames: z.number().int().min(1).max(100),
    preRollSeconds: z.number().min(0).max(60),
    postRollSeconds: z.number().min(0).max(300),
  })
  .partial()
  .strict();

/** `alsa:<device>` (ALSA names: `default`, `hw:1,0`, `plughw:CARD=Device,DEV=0`) or `testsrc:` (a tone). */
export const audioSourceSchema = z
  .string()
  .regex(/^(alsa:[A-Za-z0-9_:,=.-]{1,64}|testsrc:)$/, 'alsa:<device> (e.g. alsa:plughw:1,0) or testsrc:');

/** A GPIO chip (`gpiodetect`) and line offsets (libgpiod), as the station's `timing.ttl`. */
const chip = z
  .string()
  .regex(/^[A-Za-z0-9._/-]{1,64}$/, 'a chip name such as gpiochip0')
  .default('gpiochip0');
const gpioLine = z.number().int().min(0).max(1023);

/** TTL synchronisation (docs/frame-timing.md): a pulse per frame or segment, input edges on the frames. */
export const ttlPlanSchema = z
  .object({
    output: z
      .object({
        chip,
        line: gpioLine,
        on: z.enum(['frame', 'segment']).default('frame'),
        pulseMs: z.number().gt(0).max(1000).default(2),
        activeLow: z.boolean().default(false),
      })
      .strict()
      .optional(),
    input: z
      .object({
        chip,
        lines: z.array(gpioLine).min(1).max(64),
        edges: z.enum(['rising', 'falling', 'both']).default('both'),
        activeLow: z.boolean().default(false),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A Pi camera's exposure as metered and locked for a session (`exposureLockS`). */
export const lockedExposureSchema = z
  .object({
    /** `settled`: auto-exposure had settled; `unsettled`: still moving, the last values locked. */
    status: z.enum(['settled', 'unsettled']),
    shutterUs: z.number().nonnegative(),
    analogueGain: z.number().nonnegative(),
    digitalGain: z.number().nonnegative().optional(),
    colourGains: z.tuple([z.number(), z.number()]).optional(),
    lux: z.number().optional(),
    settledAfterMs: z.number().nullable(),
    why: z.string().max(500).optional(),
  })
  .strict();
export type LockedExposure = z.infer<typeof lockedExposureSchema>;

/** What a station applied to a camera beyond its plan, reported with `started`. */
export const appliedSchema = z
  .object({
    exposure: lockedExposureSchema.optional(),
    /** The camera's H.264 stream (`rtsp://<station>:<port>/<camera>`). */
    rtspUrl: z.string().max(300).optional(),
    /** Files beside each recording (per-frame timestamps, TTL pulses and edges). */
    sidecars: z.array(z.string().max(40)).max(8).optional(),
  })
  .strict();
export type AppliedExtras = z.infer<typeof appliedSchema>;

/** What a camera records with in a session (the fleet config's per-camera settings, resolved). */
export const cameraPlanSchema = z
  .object({
    camera: name,
    source: z.string().min(1).max(2000),
    mode: z.enum(['continuous', 'motion']),
    width: z.number().int().min(16).max(8192).optional(),
    height: z.number().int().min(16).max(8192).optional(),
    fps: z.number().min(0.1).max(240).optional(),
    rotation: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]).default(0),
    hflip: z.boolean().default(false),
    vflip: z.boolean().default(false),
    segmentSeconds: z.number().min(1).max(3600).default(10),
    /** Source controls (rpicam-vid's brightness, contrast, shutter, ...): passed on as given. */
    controls: z
      .record(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/), z.union([z.string().max(64), z.number()]))
      .default({}),
    /** Live view (MJPEG) in the station's web app. */
    live: z.boolean().default(true),
    /** The wall-clock time drawn on the live view (and burnt into the recording when `inRecording`). */
    timestamp: timestampPlanSchema.default({ enabled: true, position: 'top-left', inRecording: false }),
    /** Motion mode: the live view shows where motion is (the detector's box). */
    motionHighlight: z.boolean().default(false),
    /** Motion mode: the detector's sensitivity and the event windows (over the station's own). */
    motion: motionPlanSchema.optional(),
    /** H.264 over RTSP/TCP: `rtsp://<station>:<port>/<camera>` for lab tools. */
    rtsp: z.boolean().default(false),
    /** Sound from a microphone: `alsa:<device>` (a USB microphone, e.g. `alsa:plughw:1,0`). */
    audio: audioSourceSchema.optional(),
    /** Pi cameras: let auto-exposure settle this many seconds, then record with it locked. */
    exposureLockS: z.number().min(0.5).max(60).optional(),
    /** TTL synchronisation over GPIO (labs): an output pulse per frame or segment, input edges. */
    ttl: ttlPlanSchema.optional(),
  })
  .strict();
export type CameraPlan = z.infer<typeof cameraPlanSchema>;

/** A session as one station sees it: what to record, when, and for how long at most. */
export const sessionPlanSchema = z
  .object({
    id,
    group: name,
    name,
    /** The scheduled start (every station begins recording at this instant). */
    startAt: isoTime,
    /** Counted from the actual start, on the station, whatever happens to the conductor. */
    maxDurationS: z
      .number()
      .positive()
      .max(7 * 24 * 3600),
    /** When the conductor is silent this long: `continue` to max duration, or stop. */
    onConductorLost: z.enum(['continue', 'stop']).default('continue'),
    silenceS: z
      .number()
      .positive()
      .max(24 * 3600)
      .default(60),
    cameras: z.array(cameraPlanSchema).min(1).max(64),
  })
  .strict();
export type SessionPlan = z.infer<typeof sessionPlanSchema>;

/** End of a session: nobody starts it after this (a late joiner records until then). */
export function sessionEndMs(s: Pick<SessionPlan, 'startAt' | 'maxDurationS'>): number {
  return Date.parse(s.startAt) + s.maxDurationS * 1000;
}

/** Retained on `<station>/desired`: the session to record now (null: none), and until when. */
export const desiredSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    /** The command that set it (acknowledged on the events topic). */
    cmd: id,
    session: sessionPlanSchema.nullable(),
    /** Stop asked for (the session stays known so a late joiner does not start it). */
    stopAt: isoTime.optional(),
    sentAt: isoTime,
  })
  .strict();
export type Desired = z.infer<typeof desiredSchema>;

export const commandSchema = z.discriminatedUnion('kind', [
  z
    .object({
      v: z.literal(PROTOCOL_VERSION),
      kind: z.literal('ping'),
      id,
      sentAt: isoTime,
      expiresAt: isoTime,
    })
    .strict(),
]);
export type Command = z.infer<typeof commandSchema>;

/** Retained on `<station>/config`: settings for the station's own cameras (`outpost fleet config push`). */
export const pushedConfigSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    cmd: id,
    sentAt: isoTime,
    cameras: z
      .record(name, cameraPatchSchema)
      .refine((r) => Object.keys(r).length <= 64, 'at most 64 cameras'),
  })
  .strict();
export type PushedConfig = z.infer<typeof pushedConfigSchema>;

export const REFUSALS = [
  'CAMERA_MISSING',
  'DISK_NEARLY_FULL',
  'CLOCK_OFF',
  'NO_LIBRARY',
  'SESSION_ENDED',
  'EXPIRED',
  'DUPLICATE_STATION',
  'BUSY',
  'INVALID',
] as const;
export type Refusal = (typeof REFUSALS)[number];

const base = { v: z.literal(PROTOCOL_VERSION), station: name, instance: id, at: isoTime };

export const eventSchema = z.discriminatedUnion('kind', [
  /** A command or a desired state taken: what the station will do. */
  z
    .object({ ...base, kind: z.literal('accepted'), cmd: id, session: id.optional(), receivedAt: isoTime })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal('refused'),
      cmd: id,
      session: id.optional(),
      code: z.enum(REFUSALS),
      reason: z.string().max(500),
      receivedAt: isoTime,
    })
    .strict(),
  /** Answer to a ping: the station's clock when it got it (offsets are computed from it). */
  z.object({ ...base, kind: z.literal('pong'), cmd: id, receivedAt: isoTime }).strict(),
  z
    .object({
      ...base,
      kind: z.literal('started'),
      session: id,
      camera: name,
      requestedAt: isoTime,
      /** First frame's time, on the station's clock. */
      actualAt: isoTime,
      late: z.boolean(),
      /** What the station settled beyond the plan (the locked exposure, the stream's address). */
      applied: appliedSchema.optional(),
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal('stopped'),
      session: id,
      camera: name,
      reason: z.enum(['asked', 'max-duration', 'conductor-lost', 'failed', 'shutdown', 'drive-removed']),
      stoppedAt: isoTime,
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal('segment'),
      session: id,
      camera: name,
      path: z.string().max(1000),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      start: isoTime,
      durationS: z.number().nonnegative(),
      bytes: z.number().int().nonnegative(),
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal('gap'),
      session: id,
      camera: name,
      from: isoTime,
      to: isoTime,
      reason: z.string().max(500),
    })
    .strict(),
  z.object({ ...base, kind: z.literal('duplicate'), other: id }).strict(),
  z
    .object({
      ...base,
      kind: z.literal('configured'),
      cmd: id,
      /** Per camera: what it records with now, or why the settings were not applied. */
      cameras: z.record(
        name,
        z.union([
          z.object({ ok: z.literal(true), applied: z.record(z.string(), z.unknown()) }).strict(),
          z.object({ ok: z.literal(false), reason: z.string().max(500) }).strict(),
        ]),
      ),
    })
    .strict(),
]);
export type FleetEvent = z.infer<typeof eventSchema>;
/** An event before the station's own fields are added (the agent adds them). */
export type EventBody = FleetEvent extends infer E
  ? E extends FleetEvent
    ? Omit<E, 'v' | 'station' | 'instance' | 'at'>
    : never
  : never;

export const cameraStatusSchema = z
  .object({
    camera: name,
    state: z.enum(['idle', 'starting', 'recording', 'failed']),
    session: id.nullable(),
    restarts: z.number().int().nonnegative(),
    droppedFrames: z.number().int().nonnegative(),
  })
  .strict();

export const statusSchema = z
  .object({
    ...base,
    state: z.enum(['online', 'offline']),
    startedAt: isoTime,
    cameras: z.array(cameraStatusSchema).max(64),
    health: z
      .object({
        freeBytes: z.number().nonnegative().nullable(),
        /** At the current recording rate; null when not recording. */
        secondsUntilFull: z.number().nonnegative().nullable(),
        temperatureC: z.number().nullable(),
        throttled: z.boolean().nullable(),
        uplinkBacklogBytes: z.number().nonnegative().nullable(),
      })
      .strict(),
  })
  .strict();
export type StationStatus = z.infer<typeof statusSchema>;

/** The last will and a clean goodbye: only who went away. */
export const offlineSchema = z.object({ ...base, state: z.literal('offline') }).strict();

export const conductorStatusSchema = z
  .object({ v: z.literal(PROTOCOL_VERSION), state: z.enum(['online', 'offline']), instance: id, at: isoTime })
  .strict();

/** Largest payload anyone should send; bigger is refused before parsing. */
export const MAX_PAYLOAD = 64 * 1024;

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Parse a payload with a schema: JSON, size and shape; the first problems said in one line. */
export function parsePayload<T>(schema: z.ZodType<T>, payload: Buffer | string): Parsed<T> {
  if (payload.length > MAX_PAYLOAD)
    return { ok: false, problem: `payload of ${payload.length} bytes (max ${MAX_PAYLOAD})` };
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString());
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    problem: r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
      .join('; '),
  };
}
