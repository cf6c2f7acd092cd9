import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_DRIVE_HEALTH } from '../core/drive-health.js';
import { DEFAULT_NAME_TEMPLATE, templateProblems } from '../core/naming.js';
import { parseEvery } from '../core/durations.js';
import { parseStationKey } from '../core/station-key.js';
import { parseTimetable, type Timetable } from '../core/timetable.js';
import { fleetSchema } from './fleet.js';
import { DEFAULT_GPIO_LEDS, DEFAULT_SYSFS_LEDS } from './leds.js';
import { timingConfigSchema } from './timing.js';
import { motionConfigSchema } from './motion.js';
import { snapshotsSchema } from './snapshots.js';
import { azureStoreSchema, s3StoreSchema } from './stores.js';

/** An LED: a directory name under /sys/class/leds (sysfs) or a GPIO number or line name (gpiod). */
const ledName = z
  .string()
  .regex(/^[^/\s]+$/, 'an LED name: no slashes or spaces')
  .refine((n) => n !== '.' && n !== '..', 'an LED name: no slashes or spaces');
const indicatorLeds = z.strictObject({ green: ledName, red: ledName });

const uplinkSchema = z
  .strictObject({
    /** Send to HQ whenever there is a link (the station runs the uplink; `outpost uplink` too). */
    enabled: z.boolean().default(false),
    /**
     * Where the media goes: `hq` (HQ over tus, `uplink.hq`), or straight to an S3 bucket
     * (`{ kind: s3, endpoint, region, bucket, prefix, accessKeyId, secretAccessKey }`) or an Azure
     * container (`{ kind: azure, connectionString | accountUrl + sasToken, container, prefix }`).
     */
    target: z
      .discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('hq') }),
        s3StoreSchema,
        azureStoreSchema,
      ])
      .default({ kind: 'hq' }),
    hq: z
      .strictObject({
        /** HQ's base URL, e.g. https://hq.example.org */
        url: z.url({ protocol: /^https?$/ }).optional(),
        /** The key `outpost hq keys add <station>` printed (its station name must be this node's). */
        key: z
          .string()
          .refine((k) => parseStationKey(k) !== undefined, 'a station key as `outpost hq keys add` prints it')
          .optional(),
      })
      .prefault({}),
    /**
     * Bandwidth timetable in rclone's --bwlimit syntax, e.g. "Mon-08:00,256k 18:00,off"; empty: no
     * limit. Parsed here, once: the uplink gets the Timetable (undefined: no limit).
     */
    bwlimit: z
      .string()
      .default('')
      .transform((text, ctx): Timetable | undefined => {
        if (!text.trim()) return undefined;
        const r = parseTimetable(text);
        if (r.ok) return r.timetable;
        for (const i of r.issues)
          ctx.addIssue({ code: 'custom', message: `at ${i.position} "${i.token}": ${i.message}` });
        return z.NEVER;
      }),
    /** Back off when the link's delay rises (LEDBAT-like), so the office's own traffic goes first. */
    adaptive: z.boolean().default(false),
    /** Minimum share of the link for video originals, so they still move under a flood of photos. */
    videoShare: z.number().min(0).max(1).default(0.2),
    /** Wanted duration of one chunk on the link, seconds. */
    chunkSeconds: z.number().min(2).max(120).default(15),
    /** A request with no progress for this long is given up and resumed. */
    stallTimeoutSeconds: z.number().min(5).max(3600).default(60),
    /**
     * Remove the local original once HQ confirmed its hash: `recordings` (camera recordings,
     * hat-cam style: card id `cam:…`), `all`, or `never`. Ingested card media stays by default.
     */
    deleteAfterUpload: z.enum(['never', 'recordings', 'all']).default('recordings'),
    /** Also require the second (mirror) drive to hold the item before removing it. */
    deleteRequiresMirror: z.boolean().default(false),
  })
  .superRefine((u, ctx) => {
    if (u.target.kind !== 'hq') return;
    if (u.enabled && !u.hq.url)
      ctx.addIssue({ code: 'custom', path: ['hq', 'url'], message: 'required when the uplink is enabled' });
    if (u.enabled && !u.hq.key)
      ctx.addIssue({ code: 'custom', path: ['hq', 'key'], message: 'required when the uplink is enabled' });
  })
  .prefault({});

const indicatorsSchema = z
  .strictObject({
    /** sysfs: /sys/class/leds (gpio-led overlay); gpiod: libgpiod tools; virtual: web app only; none: off. */
    driver: z.enum(['sysfs', 'gpiod', 'virtual', 'none']).default('virtual'),
    /** The LED class directory (tests use a fake tree). */
    sysfsRoot: z.string().startsWith('/').default('/sys/class/leds'),
    /** GPIO chip for the gpiod driver (`gpiodetect` lists them). */
    gpiochip: z.string().min(1).default('gpiochip0'),
    /** Flash half-period: on this long, off this long. */
    flashMs: z.number().int().min(50).max(5000).default(500),
    /** Green and red LED of each indicator; unset ones take the driver's defaults (README, Hardware). */
    leds: z
      .strictObject({
        CARD: indicatorLeds.optional(),
        DRIVE_A: indicatorLeds.optional(),
        DRIVE_B: indicatorLeds.optional(),
        BACKUP: indicatorLeds.optional(),
        UPLINK: indicatorLeds.optional(),
      })
      .prefault({}),
  })
  .transform((ind) => {
    const d = ind.driver === 'gpiod' ? DEFAULT_GPIO_LEDS : DEFAULT_SYSFS_LEDS;
    return {
      ...ind,
      leds: {
        CARD: ind.leds.CARD ?? { ...d.CARD },
        DRIVE_A: ind.leds.DRIVE_A ?? { ...d.DRIVE_A },
        DRIVE_B: ind.leds.DRIVE_B ?? { ...d.DRIVE_B },
        BACKUP: ind.leds.BACKUP ?? { ...d.BACKUP },
        UPLINK: ind.leds.UPLINK ?? { ...d.UPLINK },
      },
    };
  })
  .superRefine((ind, ctx) => {
    const seen = new Map<string, string>();
    for (const [indicator, pair] of Object.entries(ind.leds))
      for (const [colour, led] of Object.entries(pair)) {
        const other = seen.get(led);
        if (other)
          ctx.addIssue({
            code: 'custom',
            path: ['leds', indicator, colour],
            message: `LED "${led}" is already used by ${other}`,
          });
        else seen.set(led, `${indicator}.${colour}`);
      }
  });

const drivesSchema = z
  .strictObject({
    /** Free-space thresholds (see src/core/drive-health.ts). */
    health: z
      .strictObject({
        /** Used fraction from which a drive is "nearly full" (red). */
        warnUsedFraction: z.number().gt(0).lt(1).default(DEFAULT_DRIVE_HEALTH.warnUsedFraction),
        /** Used fraction from which a drive is "full": ingest and recording refuse to write. */
        fullUsedFraction: z.number().gt(0).max(1).default(DEFAULT_DRIVE_HEALTH.fullUsedFraction),
        /** A drive with less free than this is "full" whatever the fraction. */
        minFreeBytes: z.number().int().min(0).default(DEFAULT_DRIVE_HEALTH.minFreeBytes),
      })
      .prefault({})
      .refine((h) => h.warnUsedFraction < h.fullUsedFraction, {
        message: 'warnUsedFraction must be below fullUsedFraction',
        path: ['warnUsedFraction'],
      }),
  })
  .prefault({});

/** A proxy for `server.trustProxy`: an address, a CIDR, or a proxy-addr range name. */
const proxyAddress = z.string().refine((v) => {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(v)) return true;
  const [ip = '', bits, ...rest] = v.split('/');
  const family = isIP(ip);
  if (family === 0 || rest.length) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}, 'an IP address or CIDR (e.g. 127.0.0.1, 10.0.0.0/8), or loopback, linklocal, uniquelocal');

/** A DNS name as a Host header carries it (no port, no scheme). */
const hostName = z
  .string()
  .regex(
    /^(?=.{1,253}\.?$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/,
    'a host name such as hq.example.org (no scheme, no port)',
  );

/** What one client may hold of the web server (README "Limits"). */
const serverLimitsSchema = z
  .strictObject({
    /**
     * Open connections per client address (IPv6: per /64); more are closed at once. 0: no cap
     * (behind a reverse proxy every client has the proxy's address: cap there instead).
     */
    connectionsPerAddress: z.number().int().min(0).max(100_000).default(64),
    /** A request body that sends nothing for this long is cut off (408), uploads from stations too. */
    bodyIdleSeconds: z.number().min(1).max(3600).default(60),
    /**
     * After this long a request body must average bodyMinBytesPerSecond, or it is cut off (408);
     * uploads with a station key only have bodyIdleSeconds (the station paces them).
     */
    bodyGraceSeconds: z.number().min(1).max(3600).default(10),
    bodyMinBytesPerSecond: z.number().int().min(0).default(2048),
    /** Live event streams (Status and Cameras pages) one user may hold open. */
    eventStreamsPerUser: z.number().int().min(1).max(100).default(4),
    /** Live views of one camera one user may hold open (the camera's live.maxClients still applies). */
    liveViewsPerUser: z.number().int().min(1).max(64).default(2),
    /** A live view or event stream whose client took no bytes for this long is dropped. */
    streamStallSeconds: z.number().min(1).max(600).default(10),
  })
  .prefault({});

/** A camera the station records (docs/recorder.md). */
const cameraSchema = z.strictObject({
  /** The folder under library/ and the monitor of its items. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash, underscore'),
  /** testsrc:, file:/abs/clip.mp4, rtsp://…, http(s)://…, v4l2:/dev/video0?…, rpicam:?… */
  source: z.string().min(1),
  mode: z.enum(['continuous', 'motion']).default('continuous'),
  /** Continuous mode: segment length in seconds (keyframe-aligned). */
  segmentSeconds: z.number().min(1).max(3600).default(10),
  /** Stream-copy the video: auto = when the source is H.264. */
  copy: z.enum(['auto', 'always', 'never']).default('auto'),
  /** No new frame for this long: the pipeline is restarted. */
  stallSeconds: z.number().min(2).max(600).default(15),
  /** Re-encoding (sources that are not H.264): libx264, or h264_v4l2m2m on a Raspberry Pi. */
  encoder: z
    .strictObject({
      codec: z.enum(['libx264', 'h264_v4l2m2m']).default('libx264'),
      preset: z
        .string()
        .regex(/^[a-z]+$/)
        .default('veryfast'),
      crf: z.number().int().min(0).max(51).default(23),
      bitrateK: z.number().int().min(100).max(100_000).default(2000),
    })
    .prefault({}),
  /** Motion mode: detector, event windows, pre/post-roll (every key and default in one place). */
  motion: motionConfigSchema,
  live: z
    .strictObject({
      enabled: z.boolean().default(true),
      fps: z.number().min(0.2).max(30).default(5),
      width: z.number().int().min(64).max(1920).default(640),
      timestamp: z.boolean().default(true),
      /** Where the time is drawn. */
      timestampPosition: z.enum(['top-left', 'top-right', 'bottom-left', 'bottom-right']).default('top-left'),
      /** Motion mode: the live view marks where motion is. */
      motionHighlight: z.boolean().default(true),
      maxClients: z.number().int().min(1).max(64).default(4),
      /** A viewer that got no frame for this long is closed (camera down, or the viewer stalled). */
      idleTimeoutSeconds: z.number().min(1).max(600).default(10),
    })
    .prefault({}),
  /** Sound from a microphone with the segments: `alsa:<device>` (`arecord -L` lists them). */
  audio: z
    .string()
    .regex(/^alsa:[A-Za-z0-9_:,=.-]{1,64}$/, 'alsa:<device>, e.g. alsa:plughw:1,0')
    .optional(),
  /** H.264 over RTSP/TCP from the station's relay (`rtsp:`), for lab tools and VLC. */
  rtsp: z.boolean().default(false),
  /** Per-frame timestamps beside every recording, and TTL lines (docs/frame-timing.md). */
  timing: timingConfigSchema.optional(),
  /** Keep at most this many GB of this camera's recordings (oldest uploaded ones go first). */
  budget: z.strictObject({ maxGB: z.number().positive().optional() }).prefault({}),
});

/** The station's RTSP relay (docs/rtsp-stream.md): started when a camera streams. */
const rtspSchema = z
  .strictObject({
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(8554),
    /** Players at once, every camera together. */
    maxPlayers: z.number().int().min(1).max(64).default(8),
    /** The host name players are told (manifests, the log); default: this machine's name. */
    advertiseHost: z.string().min(1).max(253).optional(),
  })
  .prefault({});

/** Where the station learns that its UPS battery is nearly empty (src/devices/ups.ts). */
const upsSchema = z
  .strictObject({
    /** gpio: a HAT's signal line; power-supply: /sys/class/power_supply (a HAT with a kernel driver); none: no UPS. */
    source: z.enum(['none', 'gpio', 'power-supply']).default('none'),
    /** gpio: the chip (`gpiodetect`) and line offset of the signal. */
    gpioChip: z.string().min(1).default('gpiochip0'),
    line: z.number().int().min(0).max(511).optional(),
    /** gpio: the signal is active (battery low / power lost) when the line reads 0. */
    activeLow: z.boolean().default(false),
    /** power-supply: the battery's directory name; unset: the first with type Battery (not a device's own). */
    powerSupply: z
      .string()
      .regex(/^[^/\s]+$/, 'a directory name under /sys/class/power_supply')
      .refine((n) => n !== '.' && n !== '..', 'a directory name under /sys/class/power_supply')
      .optional(),
    /** power-supply: the class directory (tests use a fake tree). */
    powerSupplyRoot: z.string().startsWith('/').default('/sys/class/power_supply'),
    /** power-supply: discharging at or below this capacity (%) is low. */
    lowPercent: z.number().min(1).max(99).default(15),
    /** How often the signal is read (seconds); two low readings in a row start the shutdown. */
    pollSeconds: z.number().min(0.1).max(600).default(5),
    /** How long the file being copied may take to finish before the work is stopped anyway (seconds). */
    finishSeconds: z.number().min(0).max(600).default(60),
    /** Power the machine off at the end (false: the station only stops, e.g. when the HAT's own script powers off). */
    powerOff: z.boolean().default(true),
  })
  .superRefine((u, ctx) => {
    if (u.source === 'gpio' && u.line === undefined)
      ctx.addIssue({ code: 'custom', path: ['line'], message: 'required when source is gpio' });
  })
  .prefault({});

/** `sqlite`, or a PostgreSQL URL with a host and a database name. */
const hqDatabase = z.string().refine((v) => {
  if (v === 'sqlite') return true;
  if (!/^postgres(ql)?:\/\//i.test(v)) return false;
  try {
    const u = new URL(v);
    // A Unix socket has no host name: `postgres:///outpost?host=/run/postgresql`.
    return (u.hostname !== '' || u.searchParams.has('host')) && u.pathname.length > 1;
  } catch {
    return false;
  }
}, 'sqlite, or a PostgreSQL URL such as postgres://outpost:password@db.example.org:5432/outpost');

/** The station/HQ config file. Every key has a default: an empty file is a valid config. */
export const configSchema = z
  .object({
    /** Library drive used by `outpost station` and as the default for --library. */
    library: z.string().min(1).optional(),
    /** Identity of this machine in the op log (defaults to the host name). */
    node: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .optional(),
    /** IANA time zone for file dates without one (defaults to the system zone). */
    timeZone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'unknown IANA time zone')
      .optional(),
    log: z
      .strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info') })
      .prefault({}),
    station: z
      .strictObject({
        /** Where removable volumes are mounted. */
        watchRoots: z.array(z.string().startsWith('/')).default(['/media', '/run/media']),
        pollIntervalMs: z.number().int().min(100).max(60_000).default(1000),
        /** The indicators, written every second for `outpost status` (the virtual LED panel). */
        statusFile: z.string().startsWith('/').default('/run/outpost/status.json'),
        /**
         * Where `outpost eject` reaches the running station (a unix socket, root only);
         * default: `control.sock` next to `statusFile`.
         */
        controlSocket: z.string().startsWith('/').optional(),
        /** The station finds, mounts and unmounts its own cards and drives (docs/devices.md). */
        devices: z
          .strictObject({
            /** Mount removable block devices under `mountRoot` (needs root). false: only watch `watchRoots`. */
            manage: z.boolean().default(true),
            /** Treat loop devices as removable (tests: loop images stand in for USB devices). */
            includeLoop: z.boolean().default(false),
            /** With `includeLoop`: only loop devices whose backing file is inside this directory. */
            loopFilesUnder: z.string().startsWith('/').optional(),
            /** The station's own mount points, one directory per volume, made and removed by it. */
            mountRoot: z.string().startsWith('/').default('/run/outpost/media'),
            /** After an eject, also power the USB device down (it must be re-plugged to come back). */
            powerOff: z.boolean().default(false),
            /** A push button that ejects drive A: a GPIO line to ground (internal pull-up), via libgpiod's gpiomon. */
            ejectButton: z
              .strictObject({
                chip: z.string().min(1).default('gpiochip0'),
                line: z.number().int().min(0).max(511),
              })
              .optional(),
          })
          .prefault({}),
        /** Offline map tiles of the programme's area (docs/map.md): `outpost map import` puts them here. */
        map: z
          .strictObject({
            /** The raster MBTiles file the web app's map shows (replaced whole by each import). */
            file: z.string().startsWith('/').default('/var/lib/outpost/map/area.mbtiles'),
          })
          .prefault({}),
        /** The clock (a Raspberry Pi has none that survives a power cut): README, "The clock". */
        clock: z
          .strictObject({
            /** The last time the clock was known right, kept across restarts (like fake-hwclock). */
            stateFile: z.string().startsWith('/').default('/var/lib/outpost/clock.json'),
            /** Editors may set the station's clock to their tablet's time (web app, Status page). */
            allowSetFromTablet: z.boolean().default(true),
          })
          .prefault({}),
        /** A UPS HAT's low-battery signal: finish the current file, flush, unmount, power off (README, "Power"). */
        ups: upsSchema,
        /** Camera settings changed on the fly (Cameras page, `outpost fleet config push`), kept across restarts. */
        cameraSettingsFile: z.string().startsWith('/').default('/var/lib/outpost/camera-settings.json'),
      })
      .superRefine((st, ctx) => {
        const root = st.devices.mountRoot.replace(/\/+$/, '') || '/';
        const clash = st.watchRoots.find(
          (w) => root === w || root.startsWith(`${w.replace(/\/+$/, '')}/`) || w.startsWith(`${root}/`),
        );
        if (st.devices.manage && (root === '/' || clash))
          ctx.addIssue({
            code: 'custom',
            path: ['devices', 'mountRoot'],
            message: `must be a directory of its own, not / and not inside or around a watched root (${clash ?? '/'})`,
          });
      })
      .prefault({}),
    server: z
      .strictObject({
        /** Serve the web app and API (LAN). */
        enabled: z.boolean().default(true),
        /** 0.0.0.0 serves the LAN; 127.0.0.1 only this machine. */
        host: z.string().min(1).default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(8080),
        /**
         * While the library has no users, the station prints a one-time code that the first
         * user must type in the web app. false: anyone who reaches the page first may create the
         * first editor (only on a trusted network).
         */
        setupCode: z.boolean().default(true),
        /**
         * Behind a reverse proxy (HQ): believe its X-Forwarded-For (the client address that login
         * limits count), X-Forwarded-Proto (https: the session cookie gets Secure) and
         * X-Forwarded-Host. A list of the proxies' addresses or CIDRs (or loopback, linklocal,
         * uniquelocal); true believes any peer, so only when nothing but the proxy reaches this
         * port and the proxy replaces X-Forwarded-For. false: the headers are ignored.
         */
        trustProxy: z.union([z.boolean(), z.array(proxyAddress).min(1)]).default(false),
        /**
         * Names the web app may be opened by for login and setup, besides IP addresses,
         * localhost, this machine's host name and `<host name>.local` (DNS-rebinding defence),
         * e.g. `[hq.example.org, station.lan]`.
         */
        allowedHosts: z.array(hostName).default([]),
        /** Connections, request bodies and live streams (src/server/http-limits.ts, streams.ts). */
        limits: serverLimitsSchema,
        /**
         * HTTPS on the LAN with the station's own certificate authority (docs/https.md): the app
         * on `https.port`; plain HTTP on `port` then sends people there, except the trust pages
         * (`/trust`: how to install the CA on a tablet). Needed for offline use and installing the
         * app: browsers give those only to HTTPS pages.
         */
        https: z
          .strictObject({
            enabled: z.boolean().default(false),
            port: z.number().int().min(0).max(65535).default(8443),
            /** The CA's and the server's keys and certificates (keys readable by the service only). */
            dir: z.string().startsWith('/').default('/var/lib/outpost/tls'),
          })
          .prefault({}),
      })
      .prefault({}),
    ingest: z
      .strictObject({
        nameTemplate: z
          .string()
          .default(DEFAULT_NAME_TEMPLATE)
          .superRefine((t, ctx) => {
            for (const p of templateProblems(t)) ctx.addIssue({ code: 'custom', message: p });
          }),
        thumbnailSize: z.number().int().min(64).max(1024).default(320),
        previewSize: z.number().int().min(640).max(4096).default(1600),
        /** Derivative workers; copying is sequential (one card reader). */
        deriveConcurrency: z.number().int().min(1).max(8).default(2),
        /** Keep this much free on the library drive; below it ingest stops cleanly. */
        minFreeBytes: z
          .number()
          .int()
          .min(0)
          .default(64 * 1024 * 1024),
        cleanup: z
          .strictObject({
            /** never: leave cards alone; verified: erase files whose library copy re-hashes correctly. */
            policy: z.enum(['never', 'verified']).default('never'),
            /** Where a verified copy must exist before a card file is erased. */
            require: z.array(z.enum(['library', 'mirror', 'hq'])).default(['library']),
          })
          .prefault({}),
      })
      .prefault({}),
    /** Status LEDs (CARD, DRIVE A, DRIVE B, BACKUP, UPLINK); see docs/indicators.md. */
    indicators: indicatorsSchema.prefault({}),
    /** Sending media to HQ (docs/uplink-protocol.md). */
    uplink: uplinkSchema,
    /** `outpost hq` (the HQ server), not the station. */
    hq: z
      .strictObject({
        /**
         * HQ's catalogue: `sqlite` (a file in the data directory) or a PostgreSQL URL
         * (`postgres://user:password@host:5432/outpost`), e.g. for several HQ nodes. The data
         * directory keeps the object store either way.
         */
        database: hqDatabase.default('sqlite'),
        /**
         * Where HQ keeps the verified bytes: `local` (the data directory's objects/), an S3
         * bucket (AWS or any S3-compatible store) or an Azure Blob container, e.g. for several
         * HQ nodes.
         */
        objects: z
          .discriminatedUnion('kind', [
            z.strictObject({ kind: z.literal('local') }),
            s3StoreSchema,
            azureStoreSchema,
          ])
          .default({ kind: 'local' }),
      })
      .prefault({}),
    drives: drivesSchema,
    /** Two-drive mirror (`outpost mirror`, and the station when a second drive appears); docs/mirror.md. */
    mirror: z
      .strictObject({
        /** Mirror a second library drive automatically when it is plugged in (station). */
        auto: z.boolean().default(true),
        /** Only this drive (its id in outpost-drive.json) is drive A's partner; unset: any second library drive. */
        partner: z.string().min(1).optional(),
        /** A pass that would delete more than this share of a drive's items stops unless forced. */
        maxDeleteShare: z.number().min(0).max(1).default(0.05),
        /** Keep this much free on the receiving drive; below it the mirror stops with DRIVE_FULL. */
        minFreeBytes: z
          .number()
          .int()
          .min(0)
          .default(64 * 1024 * 1024),
      })
      .prefault({}),
    /** The RTSP relay the cameras with `rtsp: true` stream through (docs/rtsp-stream.md). */
    rtsp: rtspSchema,
    /** Cameras the station records while a library drive is attached (docs/recorder.md). */
    cameras: z
      .array(cameraSchema)
      .default([])
      .superRefine((cams, ctx) => {
        const seen = new Set<string>();
        cams.forEach((c, i) => {
          if (seen.has(c.name))
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `camera "${c.name}" appears twice` });
          seen.add(c.name);
        });
      }),
    /** The fleet agent inside the station (docs/fleet.md). */
    fleet: fleetSchema,
    /** IP cameras' snapshots by FTP or HTTP, daily timelapses, retention (docs/snapshots.md). */
    snapshots: snapshotsSchema,
    /** Recorder-wide settings: storage budget and the motion ring. */
    recorder: z
      .strictObject({
        /** Keep at least this many GB free on the library drive (oldest uploaded recordings go). */
        minFreeGB: z.number().min(0).default(5),
        /** Allow the budget to delete recordings HQ has not confirmed (they are lost). */
        deleteUnsent: z.boolean().default(false),
        /** Motion mode: the RAM ring of 1 s segments (a tmpfs). */
        ringDir: z.string().startsWith('/').default('/dev/shm/outpost'),
      })
      .prefault({}),
    /** Video exports and edits (docs/video.md). */
    video: z
      .strictObject({
        /**
         * A full re-encode's H.264 encoder (presets, sources smart cut cannot serve): auto = the
         * Raspberry Pi 4's hardware encoder when a test encode works here, else libx264.
         */
        encoder: z.enum(['auto', 'libx264', 'h264_v4l2m2m']).default('auto'),
      })
      .prefault({}),
    /** Scrub: re-hash both drives on a schedule and repair one from the other; docs/scrub.md. */
    scrub: z
      .strictObject({
        /** Run scheduled scrubs in the station. */
        enabled: z.boolean().default(true),
        /** How often a full cycle starts: days as a number, or "12h", "7d", "2w" (as written; see everyMs). */
        every: z
          .union([z.number().positive(), z.string()])
          .default('7d')
          .refine((v) => parseEvery(v) !== undefined, 'a number of days, or e.g. "12h", "7d", "2w"'),
        /** Read at most this many MB (10^6 bytes) a second; 0: no limit. */
        rateMBps: z.number().min(0).default(25),
        /** How often the station checks whether a scrub is due (minutes). */
        checkMinutes: z.number().int().min(1).max(1440).default(60),
        /** Repair a damaged file from the other drive when both are plugged in. */
        repair: z.boolean().default(true),
      })
      // `every` in ms, read once here (the field's check has already passed when this runs).
      .transform((sc) => ({ ...sc, everyMs: parseEvery(sc.every)! }))
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
