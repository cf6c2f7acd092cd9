import { statfs } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../adapters/clock.js';
import type { MapTileSource } from '../adapters/mbtiles.js';
import type { ScryptParams } from '../auth/passwords.js';
import type { AttemptLimiter } from '../auth/rate-limit.js';
import type { SessionOptions } from '../auth/sessions.js';
import type { Logger } from '../adapters/logger.js';
import type { Catalog } from '../library/catalog/open.js';
import type { ItemRow } from '../library/catalog/schema.js';
import type { Drive } from '../library/drive.js';
import type { Rendition } from '../library/layout.js';
import type { EmptySlot } from '../devices/block.js';
import type { MediumView } from '../devices/manager.js';
import type { StationState } from '../core/indicators.js';
import type { IngestState, MirrorState, ScrubState } from '../indicators/station-facts.js';
import type { LiveHub } from '../recorder/live/hub.js';
import type { AppliedSettings, CameraPatch } from '../recorder/camera-patch.js';
import type { FleetAlert } from '../fleet/alerts.js';
import type { StartReport, StationSeen } from '../fleet/conductor.js';
import type { SessionManifest } from '../fleet/manifest.js';
import type { SessionPlan } from '../fleet/protocol.js';
import type { SupervisorState } from '../recorder/supervisor.js';
import type { UplinkStatus } from '../uplink/runner.js';
import type { SnapshotsApi } from '../snapshots/intake.js';
import type { VideoApi } from '../video/control.js';
import type { SetupCodes } from './first-user.js';
import type { Role } from './route.js';
import type { StreamLimits } from './streams.js';
import type { SystemControl } from './routes/system.js';
import type { LanHttps } from './lan-https.js';
import type { TrustDeps } from './routes/trust.js';

/**
 * Decides whether a request may reach its route. Runs first (onRequest: before the body is read
 * or validated). Resolve to let it through; throw an error to refuse, e.g.
 * `new ApiError('UNAUTHENTICATED', ...)` or `new ApiError('FORBIDDEN', ...)`.
 * `required` is the route's role (see route.ts); unknown URLs ask for 'viewer'.
 */
export type Authenticate = (req: FastifyRequest, reply: FastifyReply, required: Role) => Promise<void> | void;

/** Tuning of the login routes (src/server/routes/auth.ts); every field has a default. */
export interface LoginOptions extends SessionOptions {
  /** Login and setup attempts (see LOGIN_LIMITS); defaults to a fresh in-memory limiter. */
  limiter?: AttemptLimiter;
  /** scrypt cost for passwords set through the API (tests lower it). */
  scrypt?: ScryptParams;
  /** The password check; defaults to verifyPassword (tests count or hold the checks). */
  verifyPassword?: (password: string, hash: string) => Promise<boolean>;
}

/** Everyone may do everything: for tests and benchmarks only (the app defaults to the session check). */
export const allowAll: Authenticate = () => undefined;

export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
}

/** Free space of the file system holding `path`. */
export type DiskSpaceProbe = (path: string) => Promise<DiskSpace>;

export const nodeDiskSpace: DiskSpaceProbe = async (path) => {
  const s = await statfs(path);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
};

/** One opened media file: its size, then its bytes (a range is inclusive), or close() unread. */
export interface MediaFile {
  size: number;
  stream(range?: { start: number; end: number }): Readable;
  close(): Promise<void>;
}

/**
 * Opens an item's original or derivative for the media routes. The station reads the library
 * drive (the default, routes/media.ts); HQ reads its object store (src/hq/media.ts). Throws
 * ApiError FILE_MISSING when the bytes are not there.
 */
export type MediaSource = (row: ItemRow, kind: 'original' | Rendition) => Promise<MediaFile>;

export interface DrivesControl {
  current(): { a: Drive | undefined; b: Drive | undefined };
  /** Mount points of empty volumes. */
  blank(): string[];
  init(mountPoint: string, label: string): Promise<Drive>;
  /** The rest only when the station mounts its own devices (docs/devices.md). */
  /** The devices it holds: drives and cards with their volumes, and empty card readers. */
  devices?(): { media: MediumView[]; empty: EmptySlot[] } | null;
  /** Flush and unmount drive A, drive B or the card (DEVICE_BUSY when something uses it). */
  eject?(target: 'A' | 'B' | 'card'): Promise<{
    target: 'A' | 'B' | 'card';
    device: string;
    mountPoint: string;
    label?: string | undefined;
    state: 'safe-to-remove';
    message: string;
  }>;
  /** Format an empty device and make it a library drive; refused when it holds any file. */
  format?(device: string, fs: 'ext4' | 'exfat', label: string): Promise<Drive>;
}

/**
 * The station's live events the browser is shown (GET /api/events as server-sent events), by
 * their names in src/station/events.ts. Progress is thinned by the route.
 */
export const LIVE_EVENTS = [
  'library-attached',
  'library-detached',
  'card-inserted',
  'card-removed',
  'card-ignored',
  'ingest-progress',
  'ingest-done',
  'ingest-failed',
  'uplink-status',
  'partner-attached',
  'partner-detached',
  'mirror-progress',
  'mirror-done',
  'mirror-failed',
  'motion-event',
  'motion-box',
  'snapshot',
  'snapshot-rejected',
  'timelapse',
  'video-export',
  'recording-segment',
  'device-mounted',
  'device-unmounting',
  'device-ejected',
  'device-eject-failed',
  'device-pulled',
  'device-gone',
  'device-problem',
  'clock-status',
  'power-low',
] as const;
export type LiveEventName = (typeof LIVE_EVENTS)[number];

/** What the station is doing, taken once: the LEDs and /api/status show the same snapshot. */
export interface StationSnapshot {
  /** The library drive's free space (null: unreadable); undefined while no library drive is attached. */
  space: DiskSpace | null | undefined;
  /** The last ingest since the station started. */
  ingest: IngestState | null;
  /** The second drive and the last mirror pass (null: no second drive seen). */
  mirror: MirrorState | null;
  /** The scheduled scrub; `openDamage` counts the catalogue's damaged files too. */
  scrub: ScrubState | null;
  /** The uplink's queue and state; null when the uplink is not configured. */
  uplink: UplinkStatus | null;
  /** The five indicators' state, derived once from all the station knows. */
  state: StationState;
}

/**
 * The station a server runs in, as the server sees it (src/station/station-status.ts implements
 * it). The server never imports the station: it is the layer above.
 */
export interface StationPort {
  /** What the station is doing now (reads the drives' free space). */
  snapshot(): Promise<StationSnapshot>;
  /** Follow the station's live events; returns the unsubscribe. */
  follow(listener: (name: LiveEventName, payload: unknown) => void): () => void;
}

/**
 * The files of a library drive that follow its catalogue: the XMP sidecar beside an original
 * is rewritten when its attributes change (card sidecars not taken in yet are read first), and
 * the files of a card's items move to the monitor's folders when the card is assigned. The
 * station passes its drive's. HQ passes none: there an edit or an assignment is recorded as
 * ops and no file is read or written (the station's sidecars follow when the ops reach it).
 */
export interface LibraryFiles {
  /** The library drive's root directory (originals, sidecars and companions are under it). */
  readonly root: string;
}

/** What the capture pipeline of a camera is doing: its supervisor's state (`backoff`: restarting). */
export type CameraState = SupervisorState;

export interface CameraInfo {
  name: string;
  mode: 'continuous' | 'motion';
  state: CameraState;
  /** Why it is not running (the last ffmpeg error), or null. */
  error: string | null;
  /** The live view shows where motion is (`motion-box` events). */
  motionHighlight: boolean;
  /** The fleet session recording with it now (`group/session`), or null. */
  session: string | null;
}

/**
 * The station's cameras for /api/cameras (live view, snapshot). The recorder owns the hubs:
 * it feeds each from its ffmpeg's MJPEG output (src/recorder/live/feed.ts) and closes them when
 * the camera is removed.
 */
export interface CamerasControl {
  list(): CameraInfo[];
  /** What a camera records with now (config and on-the-fly changes). */
  settings?(name: string): Promise<AppliedSettings>;
  /** Change a camera's settings on the fly: its pipeline restarts with them. */
  configure?(name: string, patch: CameraPatch): Promise<AppliedSettings>;
  /** The live hub of a camera by name; undefined for an unknown name. */
  hub(name: string): LiveHub | undefined;
}

/** A fleet config the Fleet page can start: its file, what it names, or why it cannot be used. */
export interface FleetConfigEntry {
  file: string;
  group: string | null;
  session: string | null;
  maxDurationS: number | null;
  cameras: { station: string; camera: string }[];
  /** Every problem of an invalid config (it cannot be started), or null. */
  problems: string[] | null;
}

/** The conductor the web app's Fleet page drives (docs/fleet.md "The Fleet page"). */
export interface FleetControl {
  /** The stations on the broker and the sessions they are set to record now. */
  overview(): {
    broker: { url: string; connected: boolean };
    stations: StationSeen[];
    sessions: { session: SessionPlan; stations: string[]; stopAt?: string }[];
    /** Raised and not yet cleared, oldest first (fleet/alerts.ts). */
    alerts: FleetAlert[];
  };
  configs(): Promise<FleetConfigEntry[]>;
  /** Start the session a config describes (optionally renamed, or with another max duration). */
  start(file: string, o: { name?: string; durationS?: number }): Promise<StartReport>;
  stop(sessionId: string): Promise<{ stopped: string[]; silent: string[] }>;
  /** Kept manifests, newest first. */
  sessions(): Promise<SessionManifest[]>;
  manifest(key: string): Promise<SessionManifest>;
}

/** The library drive's video: timeline and exports (src/video/control.ts). */
export type VideoControl = VideoApi;

/** The snapshot service (a station's or HQ's) as the web app sees it (src/snapshots/intake.ts). */
export type SnapshotsControl = SnapshotsApi;

export interface AppDeps {
  /** The open catalogue of `drive` (the app never closes it: its owner does). */
  catalog: Catalog;
  /**
   * Where the catalogue lives, as /api/status names it (marker, and the free space of its file
   * system when no station says): the station's library drive, or HQ's data directory (laid out
   * like one). The server writes nothing there: files are `files`' business.
   */
  drive: Pick<Drive, 'marker' | 'layout'>;
  /**
   * The library drive's files beside the catalogue: sidecars follow edits, a card's items move
   * on assignment, and media are read from it unless `media` is given. Absent (HQ): an edit only
   * records ops; media come from `media`.
   */
  files?: LibraryFiles;
  /** Origin name stamped on the ops this server records. */
  node: string;
  clock: Clock;
  log?: Logger;
  /**
   * The station this server runs in: /api/status shows its snapshot (the same the LEDs show)
   * and /api/events streams its events. Absent on HQ and in tests of other routes.
   */
  station?: StationPort;
  /** Access check for every request; defaults to the session check (src/auth/authenticate.ts). */
  authenticate?: Authenticate;
  /** Free-space probe for /api/status without a station; defaults to statfs. */
  diskSpace?: DiskSpaceProbe;
  /**
   * One-time code the first user must type at setup (src/auth/setup-code.ts). The station and HQ
   * pass {@link SetupCodes} that make and print a fresh code whenever the library has no users;
   * a string is a fixed code (tests). Undefined: setup needs no code (tests, or
   * `server.setupCode: false` in config).
   */
  setupCode?: string | SetupCodes;
  /**
   * Believe X-Forwarded-For, -Proto and -Host from these proxies (Fastify's `trustProxy`): the
   * client address the login limits count, the protocol the cookie's Secure flag follows.
   * true: from any peer (only when nothing but the proxy can reach the server); a list:
   * addresses or CIDRs of the proxies. Default false: the headers are ignored.
   */
  trustProxy?: boolean | string[];
  /**
   * Host names login and setup accept besides IP literals, `localhost`, {@link hostname} and
   * `<hostname>.local` (DNS-rebinding defence, src/auth/host-check.ts): config `server.allowedHosts`.
   */
  allowedHosts?: string[];
  /** This machine's host name; defaults to os.hostname(). */
  hostname?: string;
  /** Tuning of the login routes (tests): the limiter, the password check, scrypt cost. */
  login?: LoginOptions;
  /** The station's drives (GET /api/drives, initialising an empty one); absent on HQ and in tests. */
  drives?: DrivesControl;
  /** Where media bytes come from; defaults to the files under `files`. */
  media?: MediaSource;
  /** The recorder's cameras (live view); absent: no camera routes (HQ, or no `cameras:` config). */
  cameras?: CamerasControl;
  /** The fleet conductor (`fleet.conductor.enabled`); absent: no fleet routes. */
  fleet?: FleetControl;
  /** IP cameras' snapshots and timelapses (`snapshots:`); absent: no snapshot routes. */
  snapshots?: SnapshotsControl;
  /** Recorded video: timeline and exports of a range (the station's drive); absent: no video routes. */
  video?: VideoControl;
  /**
   * HTTPS on the LAN with the station's own certificate authority (server/lan-https.ts): the
   * server Fastify runs on, and the trust pages (`/trust`). Absent: plain HTTP (tests, HQ behind
   * a proxy).
   */
  https?: { serverFactory: LanHttps['serverFactory']; trust: TrustDeps };
  /** Per-user caps and the stall timeout of live event streams and live views (config `server.limits`). */
  streams?: Partial<StreamLimits>;
  /** The station's offline map tiles (routes/map.ts, `outpost map import`); absent: none. */
  map?: MapTileSource;
  /** The station's clock (set from a tablet) and LAN name (routes/system.ts); absent on HQ. */
  system?: SystemControl;
  /** IANA zone the station files dates in (config `timeZone`); defaults to this machine's zone. */
  timeZone?: string;
}
