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
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { snapshotCameraNames, snapshotServiceSettings, type SnapshotsConfig } from '../config/snapshots.js';
import { OutpostError } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import { openCatalog } from '../library/catalog/open.js';
import { initDrive, openDrive, type Drive } from '../library/drive.js';
import type { MediaAnalyzer } from '../media/types.js';
import type { SnapshotsControl } from '../server/deps.js';
import { startSnapshotIntake } from '../snapshots/intake.js';
import { SnapshotService } from '../snapshots/service.js';
import { createUplink } from '../uplink/create.js';
import type { UplinkStatus } from '../uplink/runner.js';
import { addStationKey, revokeStationKey, stationOfKey } from './keys.js';

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
  const base = node
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 53);
  return `${base || 'hq'}-snapshots`;
}

async function openOrInit(dir: string, now: Date): Promise<Drive> {
  try {
    return await openDrive(dir);
  } catch (e) {
    if (!(
      e instanceof OutpostError &&
      e.code === 'NOT_A_LIBRARY' &&
      /no outpost-drive\.json/.test(e.message)
    ))
      throw e;
    return initDrive(dir, { label: 'hq-snapshots', now });
  }
}

/**
 * The key the snapshot library uploads with: kept beside its catalogue (mode 0600) and made again
 * when HQ no longer knows it (revoked, or a new HQ catalogue).
 */
async function uploadKey(drive: Drive, catalog: Catalog, station: string, now: Date): Promise<string> {
  const file = join(drive.layout.root, '.outpost', 'hq-upload.key');
  const kept = await readFile(file, 'utf8').then(
    (s) => s.trim(),
    () => '',
  );
  if (kept && (await stationOfKey(catalog, kept)) === station) return kept;
  await revokeStationKey(catalog, station, now).catch(() => 0);
  const { key } = await addStationKey(catalog, station, now);
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return key;
}

/** Undefined when the config names no snapshot camera. */
export async function openHqSnapshots(d: HqSnapshotsDeps): Promise<HqSnapshots | undefined> {
  const cfg = d.config.snapshots;
  if (snapshotCameraNames(cfg).length === 0) return undefined;
  const station = snapshotStationName(d.node);
  const drive = await openOrInit(join(d.dataDir, 'snapshots'), d.clock.now());
  const sends = cfg.upload !== 'none';
  const service = new SnapshotService(snapshotServiceSettings(cfg, d.config.ingest, d.timeZone, sends), {
    clock: d.clock,
    log: d.log,
    runner: d.runner,
    analyzer: d.analyzer,
  });
  await service.attach(drive.layout);
  const intake = startSnapshotIntake(service, cfg, { clock: d.clock, log: d.log, where: 'HQ' });

  let uplink:
    | {
        abort: AbortController;
        done: Promise<unknown>;
        close(): void;
        catalog: Catalog;
        status(): UplinkStatus;
      }
    | undefined;
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
      const key = await uploadKey(drive, d.catalog, station, d.clock.now());
      const catalog = await openCatalog(drive.layout.catalog);
      try {
        const up = await createUplink(
          {
            config: {
              uplink: {
                target: { kind: 'hq' },
                hq: { url, key },
                adaptive: false,
                videoShare: 0.2,
                chunkSeconds: 15,
                stallTimeoutSeconds: 60,
                // A timelapse (and, with `upload: all`, a JPEG) leaves the snapshot library once
                // the object store holds it, verified: HQ keeps one copy.
                deleteAfterUpload: 'all',
                deleteRequiresMirror: false,
              },
              snapshots: { upload: cfg.upload },
            },
            node: station,
            timeZone: d.timeZone,
            log: d.log,
          },
          catalog,
          drive.layout.root,
        );
        const abort = new AbortController();
        const done = up.runner
          .run(abort.signal)
          .catch((err: unknown) => d.log.error({ err }, 'snapshot uplink into HQ stopped'));
        uplink = { abort, done, close: up.close, catalog, status: () => up.runner.status() };
        d.log.info({ station, url }, 'snapshots: timelapses go into HQ as station ' + station);
      } catch (e) {
        await catalog.close();
        throw e;
      }
    },
    close: async () => {
      const u = uplink;
      uplink = undefined;
      if (u) {
        u.abort.abort();
        await u.done;
        u.close();
        await u.catalog.close();
      }
      await intake.close();
      await service.close();
    },
  };
}
