/** Shapes of the API (src/server/schemas.ts), as the app uses them. */

// One definition shared with the server (type-only: nothing from src/ reaches the bundle).
import type { Attributes } from '../../src/core/attributes.js';
import type { CardRecord } from '../../src/library/catalog/cards.js';
import type { UplinkStatus } from '../../src/uplink/runner.js';

export type MediaType = 'photo' | 'video' | 'audio';

export type { Attributes, UplinkStatus };

export type AttributePatch = Partial<Omit<Attributes, 'rejected'>> & { rejected?: boolean };

export interface LatLon {
  lat: number;
  lon: number;
}

export interface Item {
  id: string;
  type: MediaType;
  monitor: string;
  path: string;
  originalName: string;
  ext: string;
  size: number;
  capturedAt: string | null;
  sortTime: string;
  cardId: string | null;
  camera: string | null;
  width: number | null;
  height: number | null;
  durationS: number | null;
  gps: { lat: number; lon: number; alt: number | null } | null;
  attributes: Attributes;
  warnings: { code: string; message: string; hint?: string }[];
  links: {
    self: string;
    original: string;
    thumb: string | null;
    preview: string | null;
    poster: string | null;
    /** Small H.264 streaming copy of a video (null: play the original). */
    video?: string | null;
  };
}

export interface ItemPage {
  items: Item[];
  nextCursor: string | null;
}

export type Card = CardRecord;
/** What assigning a card did: the card as it is now, and how many of its items moved. */
export type CardAssignment = CardRecord & { moved: number; failed: { id: string; message: string }[] };

export type IndicatorLook = 'off' | 'green' | 'flashing-green' | 'red' | 'flashing-red';

export interface IngestProgress {
  phase: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  current?: string;
}

export interface Status {
  node: string;
  time: string;
  library: { id: string; label: string; root: string; freeBytes: number | null; totalBytes: number | null };
  items: { total: number; photo: number; video: number; audio: number; awaitingDerivatives: number };
  ingest: {
    state: 'running' | 'done' | 'failed';
    mountPoint: string;
    progress: IngestProgress | null;
    summary: IngestReport | null;
    error: { message: string; hint: string } | null;
    updatedAt: string;
  } | null;
  uplink: UplinkStatus | null;
  mirror: {
    partner: { path: string; label: string; id: string } | null;
    state: 'pending' | 'running' | 'done' | 'failed';
    progress: {
      phase: string;
      filesDone: number;
      filesTotal: number;
      bytesDone: number;
      bytesTotal: number;
    } | null;
    summary: { copiedAtoB: number; copiedBtoA: number; deleted: number } | null;
    error: { message: string; hint: string } | null;
    behind: number;
  } | null;
  /** Scheduled scrub (re-hash and repair); absent on older servers. */
  scrub?: {
    state: 'idle' | 'running' | 'done' | 'failed';
    openDamage: number;
    damaged: { path: string; code: string; reason: string | null }[];
    progress: { itemsDone: number; itemsTotal: number } | null;
    lastCompletedAt: string | null;
    lastRun: { checked: number; repaired: number; unrepaired: number; aborted: boolean } | null;
    error: { message: string; hint: string } | null;
  };
  indicators: Record<string, { look: IndicatorLook; detail: string; placeholder: boolean }>;
}

/** GET /api/cameras (src/server/routes/cameras.ts). */
export interface Camera {
  name: string;
  mode: 'continuous' | 'motion';
  /** The capture pipeline (src/recorder/supervisor.ts); backoff: waiting to restart. */
  state: 'idle' | 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';
  error: string | null;
  lastFrameAt: string | null;
  /** Age of the newest live frame by the station's clock (ms); null: none yet. */
  frameAgeMs: number | null;
  /** Start of the current run of frames: a live stream opened before it has ended. */
  liveSince: string | null;
  /** The live view marks where motion is (motion-box events). */
  motionHighlight: boolean;
  /** The fleet session recording with it now (group/session), or null. */
  session: string | null;
  clients: number;
  maxClients: number;
  links: { live: string; snapshot: string };
}

/** Where a camera sees motion now, as fractions of its picture (GET /api/events `motion-box`). */
export interface MotionBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** GET /api/events as JSON (src/server/routes/motion-events.ts). */
export interface MotionEvent {
  id: string;
  camera: string;
  start: string | null;
  end: string | null;
  durationS: number | null;
  peakScore: number | null;
  item: Item;
}

/** What the last ingest did (the station's IngestSummary). */
export interface IngestReport {
  card: { id: string; kind: string; label?: string };
  monitor: string;
  copied: number;
  skipped: number;
  duplicates: number;
  tombstoned: number;
  notCopied: number;
  warnings: { path: string; code: string; message: string }[];
  /** Library folders MONITOR/DATE the new items went to, and how many each. */
  folders?: { folder: string; items: number }[];
  seconds: number;
}

/** GET /api/fleet: a station on the broker (docs/fleet.md). */
export interface FleetStation {
  station: string;
  online: boolean;
  lastSeenMs: number;
  duplicates: string[];
  status?: {
    cameras: {
      camera: string;
      state: 'idle' | 'starting' | 'recording' | 'failed';
      session: string | null;
      restarts: number;
    }[];
    health: {
      freeBytes: number | null;
      secondsUntilFull: number | null;
      temperatureC: number | null;
      throttled: boolean | null;
      uplinkBacklogBytes: number | null;
    };
  };
}

export interface FleetSessionSet {
  session: { id: string; group: string; name: string; startAt: string; maxDurationS: number };
  stations: string[];
  stopAt?: string;
}

export interface FleetAlert {
  kind: 'station-offline' | 'camera-failed' | 'camera-not-recording';
  station: string;
  camera?: string;
  session?: string;
  since: string;
}

export interface FleetOverview {
  broker: { url: string; connected: boolean };
  stations: FleetStation[];
  sessions: FleetSessionSet[];
  /** What needs attention, oldest first. */
  alerts: FleetAlert[];
}

export interface FleetConfigEntry {
  file: string;
  group: string | null;
  session: string | null;
  maxDurationS: number | null;
  cameras: { station: string; camera: string }[];
  problems: string[] | null;
}

export interface FleetStartReport {
  session: { id: string; group: string; name: string; startAt: string; maxDurationS: number };
  accepted: string[];
  refused: { station: string; code: string; reason: string }[];
  silent: string[];
  clockWarnings: { station: string; message: string }[];
}

export interface ManifestCamera {
  settings: {
    source: string;
    width?: number;
    height?: number;
    fps?: number;
    rotation: number;
    hflip: boolean;
    vflip: boolean;
    segmentSeconds: number;
  };
  requestedAt: string | null;
  actualAt: string | null;
  late: boolean;
  stoppedAt: string | null;
  stopReason: string | null;
  /** What the station settled beyond the settings (src/fleet/protocol.ts appliedSchema). */
  applied?: {
    exposure?: {
      status: 'settled' | 'unsettled';
      shutterUs: number;
      analogueGain: number;
      colourGains?: [number, number];
      settledAfterMs: number | null;
      why?: string;
    };
    rtspUrl?: string;
    sidecars?: string[];
  };
  segments: { path: string; sha256: string; start: string; durationS: number; bytes: number }[];
  gaps: { from: string; to: string; reason: string }[];
  errors: { at: string; message: string }[];
}

export interface SessionManifest {
  id: string;
  group: string;
  name: string;
  startAt: string;
  maxDurationS: number;
  stations: Record<
    string,
    {
      answer: 'accepted' | 'refused' | 'silent';
      joinedLate: boolean;
      refusal: { code: string; reason: string } | null;
      clock: { offsetMs: number; rttMs: number } | null;
      clockWarning: string | null;
      offline?: { from: string; to: string | null }[];
      clockSamples?: { offsetMs: number; rttMs: number; at: string }[];
      cameras: Record<string, ManifestCamera>;
    }
  >;
}

/** GET/PATCH /api/cameras/:name/settings: what a camera records with. */
export interface CameraApplied {
  rotation: 0 | 90 | 180 | 270;
  hflip: boolean;
  vflip: boolean;
  width: number | null;
  height: number | null;
  fps: number | null;
  segmentSeconds: number;
  live: boolean;
  timestamp: boolean;
  timestampPosition: OverlayPosition;
  motionHighlight: boolean;
  motionThreshold: number;
  rtsp: boolean;
  mode: 'continuous' | 'motion';
  audio: string | null;
  controls: Record<string, string | number>;
  overridden: string[];
}
export type OverlayPosition = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';
export type CameraPatch = Partial<{
  rotation: 0 | 90 | 180 | 270 | null;
  hflip: boolean | null;
  vflip: boolean | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  segmentSeconds: number | null;
  live: boolean | null;
  timestamp: boolean | null;
  timestampPosition: OverlayPosition | null;
  motionHighlight: boolean | null;
  motionThreshold: number | null;
  rtsp: boolean | null;
  mode: 'continuous' | 'motion' | null;
  audio: string | null;
  controls: Record<string, string | number> | null;
}>;

/** `/api/snapshots`: IP cameras' snapshots (docs/snapshots.md). */
export interface SnapshotCameraStatus {
  camera: string;
  timeZone: string;
  lastSnapshot: { id: string; at: string } | null;
  today: { day: string; snapshots: number; gaps: { from: string; to: string }[]; rejected: number };
  storedBytes: number;
  storedCount: number;
  daysKept: number;
  oldestDay: string | null;
  clockDriftS: number | null;
  timelapses: { done: number; failed: number; pending: number; lastDone: string | null };
}

export interface SnapshotsOverview {
  cameras: SnapshotCameraStatus[];
  ftp: {
    enabled: boolean;
    port: number;
    connections: number;
    accepted: number;
    rejected: Record<string, number>;
    loginFailures: number;
    loginsBlocked: number;
  } | null;
  pulls: { camera: string; lastOkAt: string | null; lastError: string | null; consecutiveFailures: number }[];
  timelapse: { camera: string; day: string } | null;
}

export interface SnapshotDayView {
  camera: string;
  day: string;
  timeZone: string;
  intervalS: number | null;
  snapshots: {
    id: string;
    at: string;
    local: string;
    kept: boolean;
    thumb: boolean;
    trigger: string | null;
    driftS: number | null;
  }[];
  gaps: { from: string; to: string; fromLocal: string; toLocal: string }[];
  timelapse: { state: string; id: string | null; frames: number | null; error: string | null } | null;
  rejected: { reason: string; n: number; lastMessage: string }[];
}

/** An export of a camera's time range (GET /api/video/exports). */
export interface VideoExportJob {
  id: string;
  kind: 'range' | 'edit';
  camera: string;
  from?: string;
  to?: string;
  pieces?: number;
  preset?: string;
  mode: 'smart' | 'keyframe';
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  streaming?: boolean;
  progress: { step: number; steps: number } | null;
  createdAt: string;
  itemId?: string;
  error?: { code: string; message: string; hint: string };
  result?: {
    mode: 'smart' | 'keyframe' | 'reencode';
    reason?: string;
    durationS: number;
    frames: number;
    reencodedPerCut: number[];
    widened: { start: number; end: number };
    gaps: { from: string; to: string; reason: string }[];
    created: boolean;
    encoder?: string;
    encoderNote?: string;
  };
}
