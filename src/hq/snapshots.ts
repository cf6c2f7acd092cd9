/**
 * HQ as the IP cameras' off-site FTP target (issue 16, docs/snapshots.md "HQ as the target").
 * The same snapshot service as a station's, over a snapshot library of HQ's own in
 * `<data>/snapshots/` (its JPEGs, thumbnails, timelapses and their catalogue, on this node's
 * disk), with the same FTP server and HTTP pulls in front. What goes into HQ's gallery and object
 * store goes the way every station's media goes: through HQ's own upload protocol, on loopback,
 * as the station `<node>-snapshots` with a key HQ makes for it. So a timelapse is in the object
 * store, verified by its SHA-256, before retention may delete its day's JPEGs; it then leaves the
 * snapshot library (offloaded) and is played from the object store; `snapshots.upload: all` sends
 * the JPEGs too (each day's after its timelapse).
 */
import { join } from 'node:path';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { snapshotCameraNames, snapshotServiceSettings, type SnapshotsConfig } from '../config/snapshots.js';
import type { Catalog } from '../library/catalog/open.js';
import type { MediaAnalyzer } from '../media/types.js';
import type { SnapshotsControl } from '../server/deps.js';
import { startSnapshotIntake } from '../snapshots/intake.js';
import { SnapshotService } from '../snapshots/service.js';
import type { UplinkStatus } from '../uplink/runner.js';
import { openOwnLibrary, ownStationName, startLoopbackUplink, type LoopbackUplink } from './own-library.js';

export interface HqSnapshotsDeps {
  config: {
    snapshots: SnapshotsConfig;
    ingest: { nameTemplate: string; thumbnailSize: number; previewSize: number };
  };
  /** HQ's node name: the snapshot library uploads as `<node>-snapshots`. */
  node: string;
  timeZone: string;
  /** HQ's data directory (the snapshot library is its `snapshots/`). */
  dataDir: string;
  /** HQ's catalogue (the snapshot library's upload key is stored there). */
  catalog: Catalog;
  clock: Clock;
  log: Logger;
  runner: ProcessRunner;
  analyzer: MediaAnalyzer;
}

export interface HqSnapshots {
  control: SnapshotsControl;
  /** The station name the snapshot library uploads as. */
  station: string;
  /** Start sending into HQ at `url` (HQ's own address, once it listens). */
  startUplink(url: string): Promise<void>;
  uplinkStatus(): UplinkStatus | undefined;
  /** The nightly pass now (past days' timelapses, then retention); it also runs on its own. */
  nightly(): Promise<{ made: number; removed: number }>;
  close(): Promise<void>;
}

/** `<node>-snapshots` as a station name (lowercase letters, digits, dashes; at most 63). */
export function snapshotStationName(node: string): string {
  return ownStationName(node, 'snapshots');
}

/** Undefined when the config names no snapshot camera. */
export async function openHqSnapshots(d: HqSnapshotsDeps): Promise<HqSnapshots | undefined> {
  const cfg = d.config.snapshots;
  if (snapshotCameraNames(cfg).length === 0) return undefined;
  const station = snapshotStationName(d.node);
  const drive = await openOwnLibrary(join(d.dataDir, 'snapshots'), 'hq-snapshots', d.clock.now());
  const sends = cfg.upload !== 'none';
  const service = new SnapshotService(snapshotServiceSettings(cfg, d.config.ingest, d.timeZone, sends), {
    clock: d.clock,
    log: d.log,
    runner: d.runner,
    analyzer: d.analyzer,
  });
  await service.attach(drive.layout);
  const intake = startSnapshotIntake(service, cfg, { clock: d.clock, log: d.log, where: 'HQ' });

  let uplink: LoopbackUplink | undefined;
  return {
    control: intake.api,
    station,
    uplinkStatus: () => uplink?.status(),
    nightly: async () => {
      const r = await service.runNightly();
      return { made: r.made.length, removed: r.removed };
    },
    startUplink: async (url) => {
      if (!sends || uplink) return;
      // A timelapse (and, with `upload: all`, a JPEG) leaves the snapshot library once the
      // object store holds it, verified: HQ keeps one copy.
      uplink = await startLoopbackUplink({
        drive,
        hqCatalog: d.catalog,
        station,
        url,
        now: d.clock.now(),
        timeZone: d.timeZone,
        log: d.log,
        snapshots: cfg.upload,
        what: 'snapshots: timelapses',
      });
    },
    close: async () => {
      const u = uplink;
      uplink = undefined;
      await u?.close();
      await intake.close();
      await service.close();
    },
  };
}
