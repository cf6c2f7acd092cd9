/**
 * Station state → the five status indicators (CARD, DRIVE A, DRIVE B, BACKUP, UPLINK).
 * One scheme everywhere: the LEDs on the box, the web app and `outpost status` all render
 * the result of `indicatorViews`. The full table is in docs/indicators.md; keep them in step.
 */
import { formatSize, type DriveHealthLevel } from './drive-health.js';

export const INDICATORS = ['CARD', 'DRIVE_A', 'DRIVE_B', 'BACKUP', 'UPLINK'] as const;
export type Indicator = (typeof INDICATORS)[number];

export const LOOKS = ['green', 'green-flash', 'red', 'red-flash', 'off'] as const;
/**
 * green: working, all good, leave it · green-flash: finished, you can remove the card/drive ·
 * red: warning, no action yet · red-flash: act now · off: nothing there / not recognised.
 */
export type Look = (typeof LOOKS)[number];

/** What the card slot is doing, from the ingest's point of view. */
export type CardState =
  | { kind: 'none' }
  /** A volume without camera folders, or one the station was told to ignore. */
  | { kind: 'unrecognised'; detail?: string }
  | { kind: 'reading'; filesDone?: number; filesTotal?: number }
  | { kind: 'done'; filesCopied?: number }
  /**
   * Copied; the station is flushing and unmounting the card it mounted itself. Never "remove it"
   * before the unmount has succeeded (`done` then).
   */
  | { kind: 'unmounting'; filesCopied?: number }
  /** Copied, but the card could not be unmounted (something still uses it): not safe to remove. */
  | { kind: 'unmount-failed'; detail?: string }
  /** Unmounted on request (eject) before it was copied: it may go, nothing was taken from it. */
  | { kind: 'ejected-not-copied' }
  /** The card (or some files on it) could not be read; also a finished run with unreadable files. */
  | { kind: 'read-error'; detail?: string }
  /** The card was pulled before copying finished; inserting it again resumes. */
  | { kind: 'removed-early' }
  /** A card is in but there is no library drive to copy it to. */
  | { kind: 'waiting-for-drive' }
  /** A card is in but the station's clock looks wrong: it waits, so nothing is filed under a wrong date. */
  | { kind: 'waiting-for-clock' }
  /** Ingest refused (or stopped) because the library drive is full. */
  | { kind: 'refused-drive-full' }
  /** Ingest stopped because the library drive failed a write. */
  | { kind: 'refused-drive-error'; detail?: string };

/** What a present drive is busy with (its health is separate and wins over this). */
export type DriveActivity = 'idle' | 'initialising' | 'writing' | 'mirroring' | 'safe-to-remove';

export type DriveState =
  | { kind: 'absent' }
  /** A drive is plugged in but holds no `outpost-drive.json`. */
  | { kind: 'not-a-library'; label?: string }
  | {
      kind: 'present';
      label?: string;
      /** From `driveHealth()` on the drive's statfs numbers. */
      health: DriveHealthLevel;
      /** `driveHealth().reason`, e.g. "92 % used, 40.1 GB free". */
      healthDetail?: string;
      activity?: DriveActivity;
      /** Set after a failed write (EIO, EROFS...) until the drive is re-plugged or a write succeeds. */
      writeError?: string;
    }
  /** The station is flushing and unmounting the drive (eject, or after the mirror). */
  | { kind: 'ejecting'; label?: string }
  /** Flushed and unmounted by the station: it can be unplugged. */
  | { kind: 'ejected'; label?: string }
  /** An eject failed: something still uses the drive, it stays mounted and is not safe to remove. */
  | { kind: 'unmount-failed'; label?: string; detail?: string }
  /** Unplugged while mounted (no eject); `during` names the work it cut off ("the mirror"). */
  | { kind: 'pulled'; label?: string; during?: string };

/** The two-drive mirror. */
export type BackupState =
  /** No second drive has been paired with this library: nothing to show. */
  | { kind: 'none' }
  /** Both drives are in; the mirror waits for ingest or start-up to finish. */
  | { kind: 'pending' }
  | { kind: 'in-progress'; bytesDone?: number; bytesTotal?: number }
  /** Both drives hold the same items and the op logs are merged. */
  | { kind: 'safe-to-remove' }
  /** The paired second drive is away and new items exist on one drive only. */
  | { kind: 'behind'; itemsNotMirrored: number }
  | { kind: 'failed'; detail?: string }
  /** A scrub found damaged files that the other drive could not repair. */
  | { kind: 'scrub-unrepaired'; files: number };

/** Times are pre-formatted by the station ("09:10", "yesterday 18:02"): this module has no clock. */
export type UplinkState =
  | { kind: 'not-configured' }
  | { kind: 'idle-all-sent'; lastContact?: string }
  | { kind: 'sending'; bytesQueued?: number }
  /** The timetable says "off" now; sending resumes by itself. */
  | { kind: 'off-by-timetable'; resumesAt?: string; bytesQueued?: number }
  | { kind: 'offline'; since?: string; bytesQueued?: number }
  /** HQ answers but refuses for a reason on its side (storage full, 5xx); retrying with backoff. */
  | { kind: 'hq-error'; detail?: string }
  /** HQ rejected this station's credentials: someone must re-pair it. */
  | { kind: 'auth-failed'; detail?: string }
  /**
   * Camera recordings not yet at HQ approach a camera's storage budget: soon the recorder can
   * only keep going by deleting footage that exists nowhere else (which it will not do).
   */
  | { kind: 'backlog-near-budget'; detail?: string; bytesQueued?: number };

export interface StationState {
  card: CardState;
  /** The library drive ingest and recording write to. */
  driveA: DriveState;
  /** The second (mirror) drive. */
  driveB: DriveState;
  backup: BackupState;
  uplink: UplinkState;
}

/** A station with nothing plugged in and no uplink. */
export const IDLE_STATION: Readonly<StationState> = Object.freeze<StationState>({
  card: { kind: 'none' },
  driveA: { kind: 'absent' },
  driveB: { kind: 'absent' },
  backup: { kind: 'none' },
  uplink: { kind: 'not-configured' },
});

export interface IndicatorView {
  look: Look;
  /** One short sentence saying why, and what to do when the look asks for action. */
  reason: string;
}

export type IndicatorViews = Record<Indicator, IndicatorView>;
export type Looks = Record<Indicator, Look>;

/** The looks and reasons of all five indicators. Pure: same state, same answer. */
export function indicatorViews(state: StationState): IndicatorViews {
  return {
    CARD: cardView(state.card),
    DRIVE_A: driveView('A', state.driveA),
    DRIVE_B: driveView('B', state.driveB),
    BACKUP: backupView(state.backup),
    UPLINK: uplinkView(state.uplink),
  };
}

/** Just the looks, for an LED panel. */
export function looksOf(views: IndicatorViews): Looks {
  return {
    CARD: views.CARD.look,
    DRIVE_A: views.DRIVE_A.look,
    DRIVE_B: views.DRIVE_B.look,
    BACKUP: views.BACKUP.look,
    UPLINK: views.UPLINK.look,
  };
}

const view = (look: Look, reason: string): IndicatorView => ({ look, reason });

export function cardView(card: CardState): IndicatorView {
  switch (card.kind) {
    case 'none':
      return view('off', 'no card');
    case 'unrecognised':
      return view('off', `card not recognised${card.detail ? `: ${card.detail}` : ''}`);
    case 'reading': {
      const n = card.filesTotal !== undefined ? ` (${card.filesDone ?? 0} of ${card.filesTotal} files)` : '';
      return view('green', `copying the card${n}; leave it in`);
    }
    case 'done':
      return view(
        'green-flash',
        `card copied${card.filesCopied !== undefined ? ` (${card.filesCopied} new files)` : ''}; you can remove it`,
      );
    case 'unmounting':
      return view(
        'green',
        `card copied${card.filesCopied !== undefined ? ` (${card.filesCopied} new files)` : ''}; unmounting it, leave it in a moment`,
      );
    case 'unmount-failed':
      return view(
        'red-flash',
        `card copied but still in use${card.detail ? ` (${card.detail})` : ''}: not safe to remove; close what uses it and eject it again`,
      );
    case 'ejected-not-copied':
      return view('off', 'card unmounted without copying; you can remove it (insert it again to copy it)');
    case 'read-error':
      return view(
        'red-flash',
        `card read error${card.detail ? `: ${card.detail}` : ''}; try another reader or copy it with ddrescue`,
      );
    case 'removed-early':
      return view('red-flash', 'card removed before copying finished; insert it again to resume');
    case 'waiting-for-drive':
      return view('red-flash', 'no library drive to copy to; plug one in');
    case 'waiting-for-clock':
      return view(
        'red-flash',
        "not copied yet: the station's clock looks wrong; set it from a tablet (Status page) and copying starts",
      );
    case 'refused-drive-full':
      return view('red-flash', 'not copied: the library drive is full; free space or plug in another drive');
    case 'refused-drive-error':
      return view(
        'red-flash',
        `not copied: the library drive failed a write${card.detail ? ` (${card.detail})` : ''}; check the drive`,
      );
  }
}

const labelOf = (name: string, label: string | undefined): string => (label ? `${name} "${label}"` : name);

/**
 * Drive A is the library everything is written to, so its absence is "act now"; drive B is the
 * optional mirror, so an empty slot is just "nothing there" (BACKUP says if that matters).
 * For a present drive: write error > full > nearly full > activity.
 */
export function driveView(slot: 'A' | 'B', drive: DriveState): IndicatorView {
  const name = `drive ${slot}`;
  switch (drive.kind) {
    case 'absent':
      return slot === 'A'
        ? view('red-flash', `no library drive; plug one in`)
        : view('off', 'no second drive');
    case 'not-a-library': {
      const what = `${drive.label ? `"${drive.label}"` : 'the drive'} is not an Outpost library`;
      return slot === 'A'
        ? view('red-flash', `${what}; run \`outpost init-drive\` on it or plug in a library drive`)
        : view('off', `${what} (not used)`);
    }
    case 'ejecting':
      return view('green', `${labelOf(name, drive.label)}: flushing and unmounting; leave it in`);
    case 'ejected':
      return view('green-flash', `${labelOf(name, drive.label)} is unmounted; you can remove it`);
    case 'unmount-failed':
      return view(
        'red-flash',
        `${labelOf(name, drive.label)} is still in use${drive.detail ? ` (${drive.detail})` : ''}: not safe to remove; close what uses it and eject it again`,
      );
    case 'pulled':
      return view(
        'red-flash',
        `${labelOf(name, drive.label)} was unplugged without eject${drive.during ? ` during ${drive.during}` : ''}; plug it back in to check it and carry on`,
      );
    case 'present': {
      const label = labelOf(name, drive.label);
      const detail = drive.healthDetail ? ` (${drive.healthDetail})` : '';
      if (drive.writeError !== undefined)
        return view('red-flash', `${label} failed a write: ${drive.writeError}; check its cable and dmesg`);
      if (drive.health === 'full')
        return view('red-flash', `${label} is full${detail}; ingest and recording stopped, free space`);
      if (drive.health === 'nearly-full') return view('red', `${label} is nearly full${detail}`);
      switch (drive.activity ?? 'idle') {
        case 'safe-to-remove':
          return view('green-flash', `${label} is up to date; you can remove it`);
        case 'initialising':
          return view('green', `${label}: checking the library; leave it in`);
        case 'writing':
          return view('green', `${label}: writing; leave it in`);
        case 'mirroring':
          return view('green', `${label}: mirroring; leave it in`);
        case 'idle':
          return view('green', `${label} OK${detail}`);
      }
    }
  }
}

export function backupView(backup: BackupState): IndicatorView {
  switch (backup.kind) {
    case 'none':
      return view('off', 'no second drive paired');
    case 'pending':
      return view('green', 'backup to the second drive will start shortly');
    case 'in-progress': {
      const pct =
        backup.bytesTotal && backup.bytesDone !== undefined
          ? ` (${Math.floor((backup.bytesDone / backup.bytesTotal) * 100)} %)`
          : '';
      return view('green', `copying to the second drive${pct}; leave both drives in`);
    }
    case 'safe-to-remove':
      return view('green-flash', 'both drives hold everything; you can remove the second drive');
    case 'behind':
      return view('red', `${backup.itemsNotMirrored} items are on one drive only; plug in the second drive`);
    case 'failed':
      return view(
        'red-flash',
        `backup failed${backup.detail ? `: ${backup.detail}` : ''}; check both drives`,
      );
    case 'scrub-unrepaired':
      return view(
        'red-flash',
        `${backup.files} damaged file(s) could not be repaired from the other drive; run \`outpost fsck --hash\``,
      );
  }
}

export function uplinkView(uplink: UplinkState): IndicatorView {
  const queued = (b: number | undefined): string => (b ? `; ${formatSize(b)} waiting` : '');
  switch (uplink.kind) {
    case 'not-configured':
      return view('off', 'no HQ configured');
    case 'idle-all-sent':
      return view(
        'green',
        `everything sent to HQ${uplink.lastContact ? ` (last contact ${uplink.lastContact})` : ''}`,
      );
    case 'sending':
      return view('green', `sending to HQ${queued(uplink.bytesQueued)}`);
    case 'off-by-timetable':
      return view(
        'green',
        `paused by the timetable${uplink.resumesAt ? ` until ${uplink.resumesAt}` : ''}${queued(uplink.bytesQueued)}`,
      );
    case 'offline':
      return view(
        'red',
        `offline${uplink.since ? ` since ${uplink.since}` : ''}${queued(uplink.bytesQueued)}; will retry by itself`,
      );
    case 'hq-error':
      return view('red', `HQ is refusing uploads${uplink.detail ? ` (${uplink.detail})` : ''}; retrying`);
    case 'auth-failed':
      return view(
        'red-flash',
        uplink.detail
          ? `the upload target refused this station (${uplink.detail})`
          : 'HQ rejected this station; pair it again with HQ',
      );
    case 'backlog-near-budget':
      return view(
        'red',
        `recordings not yet at HQ are near the storage budget${uplink.detail ? ` (${uplink.detail})` : ''}${queued(uplink.bytesQueued)}`,
      );
  }
}
