import type { MirrorProgress, MirrorSummary } from '../drives/mirror.js';
import type { ScrubProgress, ScrubSummary } from '../drives/scrub-types.js';
import type { IngestProgress, IngestSummary } from '../ingest/types.js';

/**
 * What the station knows about its card, drives, mirror and scrub, as its trackers keep it
 * (src/station/*-tracker.ts): the facts the indicators are derived from (station-state.ts) and
 * that /api/status reports.
 */

/** The last ingest the station ran, as /api/status reports it. */
export interface IngestState {
  state: 'running' | 'done' | 'failed';
  mountPoint: string;
  /** false once the card was removed */
  cardPresent: boolean;
  progress: IngestProgress | null;
  summary: IngestSummary | null;
  error: { code: string; message: string; hint: string } | null;
  updatedAt: string;
}

/** The second drive and the last mirror pass, as the indicators and /api/status see them. */
export interface MirrorState {
  partner: { path: string; label: string; id: string } | null;
  state: 'pending' | 'running' | 'done' | 'failed';
  progress: MirrorProgress | null;
  summary: MirrorSummary | null;
  error: { code: string; message: string; hint: string } | null;
  /** Items ingested on drive A since the last finished pass. */
  behind: number;
}

/** The scheduled scrub, as the indicators and /api/status see it. */
export interface ScrubState {
  state: 'idle' | 'running' | 'done' | 'failed';
  progress: ScrubProgress | null;
  summary: ScrubSummary | null;
  error: { code: string; message: string; hint: string } | null;
  /** Damaged files not repaired (both drives' catalogues): > 0 turns BACKUP flashing red. */
  openDamage: number;
}

/** What the station did last with the device in one slot (only devices it mounted itself). */
export interface SlotDevice {
  state: 'mounted' | 'unmounting' | 'ejected' | 'busy' | 'pulled';
  mountPoint: string;
  device: string;
  label?: string | undefined;
  /** busy: who keeps it. */
  detail?: string | undefined;
  /** pulled: the work it cut off. */
  during?: string | undefined;
  /** ejected: false for a card unmounted before it was copied. */
  copied?: boolean | undefined;
}

/** The device facts the indicators need on top of ingest, mirror and drive space. */
export interface DevicesState {
  card: SlotDevice | null;
  A: SlotDevice | null;
  B: SlotDevice | null;
  /** Cards waiting for a library drive (mount points). */
  waiting: string[];
}
