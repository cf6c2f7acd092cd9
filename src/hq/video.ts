/**
 * Video at HQ (issue 17, docs/video.md "At HQ"): the same exports and edits as a station's, over
 * what stations sent. Recordings are listed from HQ's catalogue, per station (`<station>/<camera>`:
 * two stations' `cam` are two cameras), and read from the object store — in place when it is a
 * local disk, else fetched into scratch for the job and removed after it. Results are made in
 * HQ's video library (`<data>/video/`, hq/own-library.ts) and go into HQ's gallery and object
 * store through HQ's own upload protocol, as the station `<node>-video`, like any station's
 * media; once HQ holds them, verified, they leave the video library.
 */
import { createWriteStream } from 'node:fs';
import { access, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { objectOf } from '../library/catalog/objects.js';
import { openCatalog, type Catalog } from '../library/catalog/open.js';
import { recordedCamerasByStation, stationRecordingsBetween } from '../library/catalog/recordings.js';
import type { MediaAnalyzer } from '../media/types.js';
import type { VideoControl } from '../server/deps.js';
import type { UplinkStatus } from '../uplink/runner.js';
import { createVideoApi } from '../video/control.js';
import type { H264EncoderChoice } from '../video/encoder.js';
import type { ExportJob } from '../video/export-jobs.js';
import { openEach, type OpenedFiles, type VideoSource } from '../video/source.js';
import type { ObjectStore } from './object-store.js';
import { openOwnLibrary, ownStationName, startLoopbackUplink, type LoopbackUplink } from './own-library.js';

/** `<station>/<camera>`: the camera names HQ's video API uses. */
const HQ_CAMERA = /^([^/]+)\/([^/]+)$/;

/** HQ's catalogue and object store as where video jobs read from. */
export function objectStoreSource(catalog: Catalog, store: ObjectStore, scratchDir: string): VideoSource {
  const split = (camera: string): [string, string] | undefined => {
    const m = HQ_CAMERA.exec(camera);
    return m ? [m[1]!, m[2]!] : undefined;
  };
  return {
    catalog,
    cameras: async () => (await recordedCamerasByStation(catalog)).map((c) => `${c.station}/${c.camera}`),
    recordings: async (camera, fromLocal, toLocal) => {
      const sc = split(camera);
      return sc ? stationRecordingsBetween(catalog, sc[0], sc[1], fromLocal, toLocal) : [];
    },
    monitorOf: (camera) => camera.replace('/', '-'),
    open: (rows, signal): Promise<OpenedFiles> =>
      openEach(rows, signal, async (row) => {
        const obj = await objectOf(catalog, row.id, 'original');
        if (!obj) throw new Error('HQ does not hold its original (yet)');
        const local = store.localPath?.(obj.sha256);
        if (local) {
          await access(local).catch(() => {
            throw new Error('missing from the object store');
          });
          return { path: local, copy: false };
        }
        const dest = join(scratchDir, `fetch-${obj.sha256}-${process.pid}.mp4`);
        try {
          await pipeline(await store.getStream(obj.sha256), createWriteStream(`${dest}.part`), { signal });
          await rename(`${dest}.part`, dest);
        } catch (e) {
          await rm(`${dest}.part`, { force: true });
          if (signal?.aborted) throw e;
          throw new Error(`not read from the object store: ${e instanceof Error ? e.message : String(e)}`);
        }
        return { path: dest, copy: true };
      }),
  };
}

export interface HqVideoDeps {
  config: {
    ingest: { nameTemplate: string; thumbnailSize: number; previewSize: number };
    video?: { encoder: H264EncoderChoice };
  };
  /** HQ's node name: the video library uploads as `<node>-video`. */
  node: string;
  timeZone: string;
  dataDir: string;
  catalog: Catalog;
  store: ObjectStore;
  clock: Clock;
  log: Logger;
  runner: ProcessRunner;
  analyzer: MediaAnalyzer;
  onJob?: (job: ExportJob) => void;
}

export interface HqVideo {
  control: VideoControl;
  station: string;
  /** Start sending results into HQ at `url` (HQ's own address, once it listens). */
  startUplink(url: string): Promise<void>;
  uplinkStatus(): UplinkStatus | undefined;
  close(): Promise<void>;
}

export async function openHqVideo(d: HqVideoDeps): Promise<HqVideo> {
  const station = ownStationName(d.node, 'video');
  const drive = await openOwnLibrary(join(d.dataDir, 'video'), 'hq-video', d.clock.now());
  const libCatalog = await openCatalog(drive.layout.catalog);
  const control = createVideoApi(libCatalog, drive.layout, {
    runner: d.runner,
    analyzer: d.analyzer,
    clock: d.clock,
    timeZone: d.timeZone,
    nameTemplate: d.config.ingest.nameTemplate,
    thumbnailSize: d.config.ingest.thumbnailSize,
    previewSize: d.config.ingest.previewSize,
    lowPriority: true,
    encoder: d.config.video?.encoder ?? 'auto',
    source: objectStoreSource(d.catalog, d.store, drive.layout.tmpDir),
    ...(d.onJob ? { onJob: d.onJob } : {}),
  });
  let uplink: LoopbackUplink | undefined;
  return {
    control,
    station,
    uplinkStatus: () => uplink?.status(),
    startUplink: async (url) => {
      if (uplink) return;
      uplink = await startLoopbackUplink({
        drive,
        hqCatalog: d.catalog,
        station,
        url,
        now: d.clock.now(),
        timeZone: d.timeZone,
        log: d.log,
        what: 'video: exports and edits',
      });
    },
    close: async () => {
      await control.close();
      const u = uplink;
      uplink = undefined;
      await u?.close();
      await libCatalog.close();
    },
  };
}
