/**
 * `snapshots:` in the config (docs/snapshots.md): IP cameras' JPEG snapshots taken in by FTP or
 * pulled over HTTP, a timelapse per camera and day, and the retention that keeps a budget
 * without losing what is not yet safe. Parsed once here; the station maps it to the subsystem.
 */
import { z } from 'zod';

/** A snapshot camera's name: a folder (`<camera>/<date>/`) and the card id `snap:<camera>`. */
const cameraName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash, underscore');

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'unknown IANA time zone');

/** `30000-30009` or `{ min, max }`. */
const portRange = z
  .union([
    z.string().regex(/^\d{1,5}-\d{1,5}$/, 'a port range like "30000-30009"'),
    z.strictObject({ min: z.number().int(), max: z.number().int() }),
  ])
  .transform((v) => {
    if (typeof v !== 'string') return v;
    const [min, max] = v.split('-').map(Number) as [number, number];
    return { min, max };
  })
  .refine((r) => r.min >= 1024 && r.max <= 65535 && r.min <= r.max, 'ports 1024–65535, lowest first');

const ftpUser = z.strictObject({
  user: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'letters, digits, ".", "_", "@", "-"'),
  password: z.string().min(8, 'at least 8 characters'),
  /** The camera this login is: its snapshots are that camera's, whatever folder it writes to. */
  camera: cameraName,
});

const ftpSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(2121),
    /** Passive data connections: a fixed range to open in a firewall. */
    passivePorts: portRange.default({ min: 30000, max: 30009 }),
    /** The address cameras must connect to for passive data (the station's on the CCTV subnet). */
    publicAddress: z.string().min(1).optional(),
    users: z.array(ftpUser).default([]),
    /** The cameras' folders (each login's own, empty: the JPEGs go to the library drive). */
    areaDir: z.string().startsWith('/').default('/var/lib/outpost/ftp'),
    /** FTPS (explicit, AUTH TLS) with these PEM files; cameras that cannot do it stay on plain FTP. */
    tls: z.strictObject({ cert: z.string().startsWith('/'), key: z.string().startsWith('/') }).optional(),
    /** A bigger upload is cut off: no camera snapshot is this big. */
    maxFileMB: z.number().positive().max(1024).default(20),
    maxConnections: z.number().int().min(1).max(1000).default(50),
    /** A control or data connection silent this long is closed. */
    idleTimeoutS: z.number().int().min(5).max(3600).default(60),
    /** Wrong passwords per address before logins from it are refused for `loginWindowS`. */
    loginFailures: z.number().int().min(1).max(100).default(5),
    loginWindowS: z.number().int().min(1).max(86_400).default(300),
  })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.users.forEach((u, i) => {
      if (seen.has(u.user))
        ctx.addIssue({
          code: 'custom',
          path: ['users', i, 'user'],
          message: `user "${u.user}" appears twice`,
        });
      seen.add(u.user);
    });
    if (f.enabled && f.users.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['users'],
        message: 'FTP is on but has no users: add one per camera',
      });
  })
  .prefault({});

const httpCamera = z
  .strictObject({
    camera: cameraName,
    /** The snapshot URL, e.g. http://cam/ISAPI/Streaming/channels/101/picture. */
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** Or the camera's ONVIF device service: the snapshot URL is asked for (GetSnapshotUri). */
    onvif: z
      .strictObject({ url: z.url({ protocol: /^https?$/ }), profile: z.string().min(1).optional() })
      .optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    auth: z.enum(['auto', 'basic', 'digest']).default('auto'),
    everyS: z.number().int().min(1).max(86_400).default(60),
    timeoutS: z.number().min(1).max(300).default(10),
    maxMB: z.number().positive().max(1024).default(20),
  })
  .refine((c) => (c.url === undefined) !== (c.onvif === undefined), {
    message: 'give either url or onvif',
    path: ['url'],
  });

/** Retention; per camera over the section's own. */
const retention = {
  /** Keep each day's JPEGs this many days once its timelapse is safe. */
  keepDays: z.number().int().min(0).max(36_500),
  /** At most this many GB of JPEGs per camera (the oldest safe ones go first). */
  maxGB: z.number().positive(),
  /** Keep one still per hour after the day's JPEGs go: true (until maxGB), a number of days, or false. */
  keepOnePerHour: z.union([z.boolean(), z.number().int().min(1).max(36_500)]),
};

const cameraSchema = z.strictObject({
  name: cameraName,
  /** The camera's day (timelapse, folders) in this zone; default `snapshots.timeZone`. */
  timeZone: timeZone.optional(),
  /** The snapshot interval the camera is set to; default: inferred from the day's snapshots. */
  intervalS: z.number().int().min(1).max(86_400).optional(),
  keepDays: retention.keepDays.optional(),
  maxGB: retention.maxGB.optional(),
  keepOnePerHour: retention.keepOnePerHour.optional(),
});

export const snapshotsSchema = z
  .strictObject({
    /** Default zone of the cameras' days; default the config's `timeZone` (or the system's). */
    timeZone: timeZone.optional(),
    ftp: ftpSchema,
    http: z.array(httpCamera).default([]),
    cameras: z.array(cameraSchema).default([]),
    /** What goes off-site: timelapses only, also the JPEGs (after their day's timelapse is confirmed), or nothing. */
    upload: z.enum(['timelapse', 'all', 'none']).default('timelapse'),
    keepDays: retention.keepDays.default(30),
    maxGB: retention.maxGB.optional(),
    keepOnePerHour: retention.keepOnePerHour.default(true),
    timelapse: z
      .strictObject({
        enabled: z.boolean().default(true),
        fps: z.number().min(1).max(60).default(24),
        crf: z.number().int().min(0).max(51).default(24),
        preset: z
          .enum([
            'ultrafast',
            'superfast',
            'veryfast',
            'faster',
            'fast',
            'medium',
            'slow',
            'slower',
            'veryslow',
          ])
          .default('veryfast'),
        maxWidth: z.number().int().min(64).max(7680).default(1920),
        deflicker: z.boolean().default(false),
        /** Local time (camera's zone) after midnight when yesterday's timelapse is made. */
        at: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM')
          .default('00:10'),
        /** Snapshots further apart than this many intervals are a gap (held frame and caption). */
        gapFactor: z.number().min(1.5).max(100).default(2.5),
      })
      .prefault({}),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.cameras.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({
          code: 'custom',
          path: ['cameras', i, 'name'],
          message: `camera "${c.name}" appears twice`,
        });
      seen.add(c.name);
    });
    const pulled = new Set<string>();
    s.http.forEach((c, i) => {
      if (pulled.has(c.camera))
        ctx.addIssue({
          code: 'custom',
          path: ['http', i, 'camera'],
          message: `camera "${c.camera}" is pulled twice`,
        });
      pulled.add(c.camera);
    });
  })
  .prefault({});

export type SnapshotsConfig = z.infer<typeof snapshotsSchema>;

/** Every snapshot camera the config names (FTP logins, HTTP pulls, per-camera settings), sorted. */
export function snapshotCameraNames(s: SnapshotsConfig): string[] {
  const names = new Set<string>([
    ...s.cameras.map((c) => c.name),
    ...(s.ftp.enabled ? s.ftp.users.map((u) => u.camera) : []),
    ...s.http.map((c) => c.camera),
  ]);
  return [...names].sort();
}

/** One camera's effective snapshot settings: its own over the section's. Pure. */
export interface SnapshotCameraSettings {
  name: string;
  timeZone: string;
  intervalS: number | undefined;
  keepDays: number;
  maxBytes: number | undefined;
  /** Days an hourly still is kept after the rest go; Infinity: until the budget needs the room; 0: not kept. */
  keepHourlyDays: number;
}

export function snapshotCameraSettings(
  s: SnapshotsConfig,
  name: string,
  fallbackZone: string,
): SnapshotCameraSettings {
  const c = s.cameras.find((x) => x.name === name);
  const hourly = c?.keepOnePerHour ?? s.keepOnePerHour;
  const maxGB = c?.maxGB ?? s.maxGB;
  return {
    name,
    timeZone: c?.timeZone ?? s.timeZone ?? fallbackZone,
    intervalS: c?.intervalS,
    keepDays: c?.keepDays ?? s.keepDays,
    maxBytes: maxGB === undefined ? undefined : Math.round(maxGB * 1e9),
    keepHourlyDays: hourly === true ? Infinity : hourly === false ? 0 : hourly,
  };
}

/** The snapshot service's settings (src/snapshots/service.ts), in a station or in HQ. */
export function snapshotServiceSettings(
  cfg: SnapshotsConfig,
  ingest: { nameTemplate: string; thumbnailSize: number; previewSize: number },
  timeZone: string,
  /** An uplink is configured: a day is safe only once its timelapse is confirmed there. */
  uplink: boolean,
): {
  cameras: SnapshotCameraSettings[];
  defaultZone: string;
  timelapse: SnapshotsConfig['timelapse'];
  upload: SnapshotsConfig['upload'];
  uplink: boolean;
  nameTemplate: string;
  thumbnailSize: number;
  previewSize: number;
  driftWarnS: number;
} {
  return {
    cameras: snapshotCameraNames(cfg).map((n) => snapshotCameraSettings(cfg, n, timeZone)),
    defaultZone: cfg.timeZone ?? timeZone,
    timelapse: cfg.timelapse,
    upload: cfg.upload,
    uplink,
    nameTemplate: ingest.nameTemplate,
    thumbnailSize: ingest.thumbnailSize,
    previewSize: ingest.previewSize,
    driftWarnS: 120,
  };
}
