/**
 * A library HQ keeps for media it makes or takes in itself (the snapshot library, the video
 * library of exports and edits), in `<data>/<name>/`, and the way its items reach HQ's gallery
 * and object store: HQ's own upload protocol on loopback, as the station `<node>-<name>`, with a
 * key HQ makes for it. Items leave the library once HQ holds them, verified (HQ keeps one copy).
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../adapters/logger.js';
import type { SnapshotUploadPolicy } from '../library/catalog/uplink-journal.js';
import { OutpostError } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import { openCatalog } from '../library/catalog/open.js';
import { initDrive, openDrive, type Drive } from '../library/drive.js';
import { createUplink } from '../uplink/create.js';
import type { UplinkStatus } from '../uplink/runner.js';
import { addStationKey, revokeStationKey, stationOfKey } from './keys.js';

/** `<node>-<what>` as a station name (lowercase letters, digits, dashes; at most 63). */
export function ownStationName(node: string, what: string): string {
  const base = node
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 62 - what.length);
  return `${base || 'hq'}-${what}`;
}

/** The library in `dir`, made there on first use. */
export async function openOwnLibrary(dir: string, label: string, now: Date): Promise<Drive> {
  try {
    return await openDrive(dir);
  } catch (e) {
    if (!(
      e instanceof OutpostError &&
      e.code === 'NOT_A_LIBRARY' &&
      /no outpost-drive\.json/.test(e.message)
    ))
      throw e;
    return initDrive(dir, { label, now });
  }
}

/**
 * The key the library uploads with: kept beside its catalogue (mode 0600) and made again when
 * HQ no longer knows it (revoked, or a new HQ catalogue).
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

export interface LoopbackUplink {
  status(): UplinkStatus;
  close(): Promise<void>;
}

/** Send the library's items into HQ at `url` (HQ's own address), as `station`, until closed. */
export async function startLoopbackUplink(o: {
  drive: Drive;
  /** HQ's catalogue: the upload key is stored there. */
  hqCatalog: Catalog;
  station: string;
  url: string;
  now: Date;
  timeZone: string;
  log: Logger;
  /** What the snapshot library sends of its JPEGs (other libraries hold none). */
  snapshots?: SnapshotUploadPolicy;
  /** For the log: what goes in. */
  what: string;
}): Promise<LoopbackUplink> {
  const key = await uploadKey(o.drive, o.hqCatalog, o.station, o.now);
  const catalog = await openCatalog(o.drive.layout.catalog);
  try {
    const up = await createUplink(
      {
        config: {
          uplink: {
            target: { kind: 'hq' },
            hq: { url: o.url, key },
            adaptive: false,
            videoShare: 0.2,
            chunkSeconds: 15,
            stallTimeoutSeconds: 60,
            // Everything leaves the library once the object store holds it, verified.
            deleteAfterUpload: 'all',
            deleteRequiresMirror: false,
          },
          ...(o.snapshots ? { snapshots: { upload: o.snapshots } } : {}),
        },
        node: o.station,
        timeZone: o.timeZone,
        log: o.log,
      },
      catalog,
      o.drive.layout.root,
    );
    const abort = new AbortController();
    const done = up.runner
      .run(abort.signal)
      .catch((err: unknown) => o.log.error({ err }, `${o.what} uplink into HQ stopped`));
    o.log.info({ station: o.station, url: o.url }, `${o.what} go into HQ as station ${o.station}`);
    return {
      status: () => up.runner.status(),
      close: async () => {
        abort.abort();
        await done;
        up.close();
        await catalog.close();
      },
    };
  } catch (e) {
    await catalog.close();
    throw e;
  }
}
