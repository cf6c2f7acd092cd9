/**
 * The station's IP-camera snapshots (docs/snapshots.md): `snapshots:` in the config mapped to the
 * snapshot service, the FTP server cameras upload to, and the HTTP pulls; the service follows
 * the library drive (attached: uploads kept and timelapses made; detached: uploads refused).
 * Nothing starts when the config names no snapshot camera.
 */
import { snapshotCameraNames, snapshotServiceSettings, type SnapshotsConfig } from '../config/snapshots.js';
import { openDrive } from '../library/drive.js';
import type { SnapshotsControl } from '../server/deps.js';
import { startSnapshotIntake } from '../snapshots/intake.js';
import { SnapshotService } from '../snapshots/service.js';
import type { StationEvents } from './events.js';
import type { StationDeps } from './station.js';

export interface StationSnapshots {
  control: SnapshotsControl;
  /** Resolves once the drive's files are closed (before an unmount). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export function startStationSnapshots(ctx: StationDeps, events: StationEvents): StationSnapshots | undefined {
  const cfg: SnapshotsConfig = ctx.config.snapshots;
  const names = snapshotCameraNames(cfg);
  if (names.length === 0) return undefined;
  const service = new SnapshotService(
    snapshotServiceSettings(cfg, ctx.config.ingest, ctx.timeZone, ctx.config.uplink.enabled),
    {
      clock: ctx.clock,
      log: ctx.log,
      runner: ctx.runner,
      analyzer: ctx.analyzer,
      onSnapshot: (e) => events.emit('snapshot', e),
      onReject: (e) => events.emit('snapshot-rejected', e),
      onTimelapse: (e) => events.emit('timelapse', e),
    },
  );
  const intake = startSnapshotIntake(service, cfg, { clock: ctx.clock, log: ctx.log, where: 'station' });

  let chain: Promise<unknown> = Promise.resolve();
  const queue = (fn: () => Promise<void>): void => {
    chain = chain.then(fn).catch((err: unknown) => ctx.log.error({ err }, 'snapshots'));
  };
  events.on('library-attached', ({ path }) =>
    queue(async () => service.attach((await openDrive(path)).layout)),
  );
  events.on('library-detached', () => queue(() => service.detach()));

  const control: SnapshotsControl = intake.api;

  return {
    control,
    settled: () => chain.then(() => undefined),
    close: async () => {
      await intake.close();
      await chain;
      await service.close();
    },
  };
}
