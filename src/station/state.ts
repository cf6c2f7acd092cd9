import type { BackupState, CardState, DriveState, StationState, UplinkState } from '../core/indicators.js';
import type { MirrorState } from './mirror-tracker.js';
import type { ScrubState } from './scrub-tracker.js';
import { IDLE_STATION } from '../core/indicators.js';
import { driveHealth, type DriveHealthThresholds } from '../core/drive-health.js';
import type { IngestState } from '../server/ingest-tracker.js';
import type { UplinkStatus } from '../uplink/runner.js';

/**
 * The station's state as the indicators see it, from what the station knows: the last ingest,
 * the library drive's free space and the uplink. Pure; the status API and the LED loop share it.
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
      return { kind: 'auth-failed' };
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
  return {
    ...IDLE_STATION,
    card: cardState(f.ingest, f.cardWaiting),
    driveA: driveState(f.space, f.thresholds, f.driveLabel, f.ingest),
    driveB: partnerState(f),
    backup:
      f.scrub && f.scrub.openDamage > 0
        ? { kind: 'scrub-unrepaired', files: f.scrub.openDamage }
        : backupState(f.mirror),
    uplink: withBacklog(uplinkState(f.uplink), f.recorderWarnings ?? []),
  };
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
