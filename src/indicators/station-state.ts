import type { BackupState, CardState, DriveState, StationState, UplinkState } from '../core/indicators.js';
import { IDLE_STATION } from '../core/indicators.js';
import { driveHealth, type DriveHealthThresholds } from '../core/drive-health.js';
import type { UplinkStatus } from '../uplink/runner.js';
import type { DevicesState, IngestState, MirrorState, ScrubState, SlotDevice } from './station-facts.js';

/**
 * The station's state as the indicators see it, from what the station knows: the last ingest,
 * the library drive's free space and the uplink. Pure; the station's status (src/station/station-status.ts)
 * derives it once for the LEDs and /api/status; a server without a station (HQ) from what it has.
 */
export interface StationFacts {
  ingest: IngestState | null;
  /** The library drive's statfs, or null when it cannot be read; undefined when no drive. */
  space: { freeBytes: number; totalBytes: number } | null | undefined;
  driveLabel?: string;
  thresholds: DriveHealthThresholds;
  /** null: uplink not configured. */
  uplink: UplinkStatus | null;
  /** A card is waiting because no library drive is attached. */
  cardWaiting?: boolean;
  /** The second drive and the last mirror pass (null: never had a partner). */
  mirror?: MirrorState | null;
  /** Storage-budget warnings of the cameras (un-uploaded backlog near a budget). */
  recorderWarnings?: { code: string; message: string }[];
  /** The partner drive's statfs (null: unreadable; undefined: not plugged in). */
  partnerSpace?: { freeBytes: number; totalBytes: number } | null;
  /** The scheduled scrub; damaged files it could not repair win the BACKUP indicator. */
  scrub?: ScrubState | null;
  /**
   * Devices the station mounts itself (docs/devices.md): green-flash only after their unmount,
   * busy unmounts and pulled devices. Absent: the station only watches mounts made by others.
   */
  devices?: DevicesState | null;
}

export function cardState(ingest: IngestState | null, waiting = false): CardState {
  if (waiting) return { kind: 'waiting-for-drive' };
  if (!ingest) return { kind: 'none' };
  if (!ingest.cardPresent)
    return ingest.state === 'running' || ingest.error?.code === 'CARD_REMOVED'
      ? { kind: 'removed-early' }
      : { kind: 'none' };
  if (ingest.state === 'running') {
    const p = ingest.progress;
    return p ? { kind: 'reading', filesDone: p.filesDone, filesTotal: p.filesTotal } : { kind: 'reading' };
  }
  if (ingest.state === 'done') {
    const unreadable = ingest.summary?.warnings.filter((w) => w.code === 'UNREADABLE').length ?? 0;
    return unreadable > 0
      ? { kind: 'read-error', detail: `${unreadable} file(s) could not be read` }
      : { kind: 'done', filesCopied: ingest.summary?.copied ?? 0 };
  }
  switch (ingest.error?.code) {
    case 'DRIVE_FULL':
      return { kind: 'refused-drive-full' };
    case 'DRIVE_WRITE_ERROR':
      return { kind: 'refused-drive-error', detail: ingest.error.message };
    case 'CARD_REMOVED':
      return { kind: 'removed-early' };
    case 'CLOCK_SUSPECT':
      return { kind: 'waiting-for-clock' };
    default:
      return { kind: 'read-error', detail: ingest.error?.message ?? 'ingest failed' };
  }
}

export function driveState(
  space: StationFacts['space'],
  thresholds: DriveHealthThresholds,
  label?: string,
  ingest?: IngestState | null,
): DriveState {
  if (space === undefined) return { kind: 'absent' };
  if (space === null)
    return {
      kind: 'present',
      health: 'ok',
      writeError: 'the library drive cannot be read',
      ...(label ? { label } : {}),
    };
  const h = driveHealth(space, thresholds);
  return {
    kind: 'present',
    health: h.level,
    healthDetail: h.reason,
    activity: ingest?.state === 'running' ? 'writing' : 'idle',
    ...(label ? { label } : {}),
    ...(ingest?.state === 'failed' && ingest.error?.code === 'DRIVE_WRITE_ERROR'
      ? { writeError: ingest.error.message }
      : {}),
  };
}

export function uplinkState(u: UplinkStatus | null): UplinkState {
  if (!u) return { kind: 'not-configured' };
  const bytesQueued = u.pendingBytes;
  switch (u.state) {
    case 'sending':
      return { kind: 'sending', bytesQueued };
    case 'paused':
      return { kind: 'off-by-timetable', bytesQueued };
    case 'offline':
      return {
        kind: 'offline',
        bytesQueued,
        ...(u.lastError ? { since: u.lastError.at.slice(11, 16) } : {}),
      };
    case 'hq-error':
      return { kind: 'hq-error', ...(u.lastError ? { detail: u.lastError.message } : {}) };
    case 'auth-failed':
      return { kind: 'auth-failed', ...(u.lastError ? { detail: u.lastError.message } : {}) };
    default: // idle, starting, stopped: sending while anything is queued
      return bytesQueued > 0 ? { kind: 'sending', bytesQueued } : { kind: 'idle-all-sent' };
  }
}

export function backupState(m: MirrorState | null | undefined): BackupState {
  if (!m) return { kind: 'none' };
  switch (m.state) {
    case 'running':
      return m.progress
        ? { kind: 'in-progress', bytesDone: m.progress.bytesDone, bytesTotal: m.progress.bytesTotal }
        : { kind: 'in-progress' };
    case 'done':
      return m.partner ? { kind: 'safe-to-remove' } : { kind: 'none' };
    case 'failed':
      return { kind: 'failed', detail: m.error ? `${m.error.message} ${m.error.hint}` : 'mirror failed' };
    default:
      return m.partner ? { kind: 'pending' } : { kind: 'behind', itemsNotMirrored: m.behind };
  }
}

function partnerState(f: StationFacts): DriveState {
  const m = f.mirror;
  if (!m?.partner) return { kind: 'absent' };
  const d = driveState(f.partnerSpace, f.thresholds, m.partner.label);
  if (d.kind !== 'present') return d;
  return {
    ...d,
    activity: m.state === 'running' ? 'mirroring' : m.state === 'done' ? 'safe-to-remove' : 'idle',
  };
}

export function stationState(f: StationFacts): StationState {
  const d = f.devices ?? undefined;
  const backup: BackupState =
    f.scrub && f.scrub.openDamage > 0
      ? { kind: 'scrub-unrepaired', files: f.scrub.openDamage }
      : backupState(f.mirror);
  return {
    ...IDLE_STATION,
    card: withCardDevice(cardState(f.ingest, f.cardWaiting || (d?.waiting.length ?? 0) > 0), f.ingest, d),
    driveA: withDriveDevice(driveState(f.space, f.thresholds, f.driveLabel, f.ingest), d?.A),
    driveB: withDriveDevice(partnerState(f), d?.B),
    backup: withPartnerDevice(backup, f.mirror, d?.B),
    uplink: withBacklog(uplinkState(f.uplink), f.recorderWarnings ?? []),
  };
}

/**
 * A card the station mounted: "you can remove it" only once it is unmounted. Between the end
 * of the ingest and the unmount it is `unmounting`; a failed unmount flashes red.
 */
export function withCardDevice(
  base: CardState,
  ingest: IngestState | null,
  d: DevicesState | undefined,
): CardState {
  const c = d?.card;
  if (!c) return base;
  const thisCard = ingest?.mountPoint === c.mountPoint;
  switch (c.state) {
    case 'unmounting':
      return thisCard && ingest?.state === 'running'
        ? base
        : { kind: 'unmounting', filesCopied: ingest?.summary?.copied };
    case 'busy':
      return { kind: 'unmount-failed', ...(c.detail ? { detail: c.detail } : {}) };
    case 'ejected':
      return c.copied === false || !thisCard ? { kind: 'ejected-not-copied' } : base;
    case 'mounted':
      return thisCard && base.kind === 'done' ? { kind: 'unmounting', filesCopied: base.filesCopied } : base;
    case 'pulled':
      return base;
  }
}

/** A drive the station mounted: ejecting, ejected, still in use, or pulled without eject. */
export function withDriveDevice(base: DriveState, dev: SlotDevice | null | undefined): DriveState {
  if (!dev) return base;
  const label =
    dev.label ?? (base.kind === 'present' || base.kind === 'not-a-library' ? base.label : undefined);
  const l = label ? { label } : {};
  switch (dev.state) {
    case 'unmounting':
      return { kind: 'ejecting', ...l };
    case 'ejected':
      return { kind: 'ejected', ...l };
    case 'busy':
      return { kind: 'unmount-failed', ...l, ...(dev.detail ? { detail: dev.detail } : {}) };
    case 'pulled':
      return base.kind === 'present'
        ? base
        : { kind: 'pulled', ...l, ...(dev.during ? { during: dev.during } : {}) };
    case 'mounted':
      // Up to date but still mounted: the unmount comes next, no "remove it" before that.
      return base.kind === 'present' && base.activity === 'safe-to-remove'
        ? { ...base, activity: 'idle' }
        : base;
  }
}

/** BACKUP says "remove the second drive" only once the station has unmounted it. */
function withPartnerDevice(
  base: BackupState,
  m: MirrorState | null | undefined,
  dev: SlotDevice | null | undefined,
): BackupState {
  if (!dev || base.kind === 'scrub-unrepaired' || base.kind === 'failed') return base;
  switch (dev.state) {
    case 'mounted':
      return base.kind === 'safe-to-remove' ? { kind: 'in-progress' } : base;
    case 'unmounting':
      return { kind: 'in-progress' };
    case 'busy':
      return {
        kind: 'failed',
        detail: `the second drive is still in use (${dev.detail ?? 'busy'}) and was not unmounted`,
      };
    case 'ejected':
      return m && m.state === 'done' && m.behind === 0 ? { kind: 'safe-to-remove' } : base;
    case 'pulled':
      return base;
  }
}

/** A recording backlog near its budget turns UPLINK red unless something worse shows already. */
function withBacklog(u: UplinkState, warnings: { code: string; message: string }[]): UplinkState {
  const w = warnings[0];
  if (!w || u.kind === 'auth-failed' || u.kind === 'hq-error' || u.kind === 'offline') return u;
  return {
    kind: 'backlog-near-budget',
    detail: w.message,
    ...('bytesQueued' in u && u.bytesQueued !== undefined ? { bytesQueued: u.bytesQueued } : {}),
  };
}
