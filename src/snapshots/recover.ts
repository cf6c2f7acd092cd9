/**
 * What a killed station left of its snapshots, finished at the next attach, before anything new
 * comes in: half-received uploads and half-made timelapses are removed (their folders are the
 * snapshot service's own, outside the drive's tmp an ingest empties); a snapshot whose commit
 * did not happen is committed when its file is in place with its bytes (on a drive without hard
 * links it is the only copy), else taken back (the camera never got its 226 and sends it again);
 * a timelapse is taken back (its day is made again).
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { dateFolderOf } from '../core/capture-time.js';
import type { Catalog } from '../library/catalog/open.js';
import { getItem } from '../library/catalog/items.js';
import { commitSnapshot, pendingSnapshots } from '../library/catalog/snapshots.js';
import { hashFile, rollbackItem } from '../library/intake/index.js';
import type { DriveLayout } from '../library/layout.js';

/** The snapshot service's folders on a library drive. */
export function snapshotDirs(layout: DriveLayout): { incoming: string; work: string } {
  return {
    incoming: join(layout.outpostDir, 'snapshots', 'incoming'),
    work: join(layout.outpostDir, 'snapshots', 'timelapse'),
  };
}

interface SnapshotFacts {
  snapshot?: {
    camera?: string;
    receivedAt?: string;
    via?: string;
    uploadPath?: string;
    nameTime?: string;
    trigger?: string | null;
    clockDriftS?: number;
  };
}

export async function recoverSnapshots(
  cat: Catalog,
  layout: DriveLayout,
  zoneOf: (camera: string) => string,
  nowIso: string,
): Promise<{ committed: number; takenBack: number; swept: number }> {
  const dirs = snapshotDirs(layout);
  let swept = 0;
  for (const dir of [dirs.incoming, dirs.work]) {
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) {
      await rm(join(dir, name), { recursive: true, force: true });
      swept++;
    }
  }
  let committed = 0;
  let takenBack = 0;
  for (const p of pendingSnapshots(cat)) {
    const row = await getItem(cat, p.id);
    if (!row || row.state !== 'pending') continue;
    const s = (JSON.parse(row.facts) as SnapshotFacts).snapshot;
    const placed = await hashFile(join(layout.root, row.path)).catch(() => undefined);
    const camera = row.card_id?.startsWith('snap:') ? row.card_id.slice(5) : undefined;
    const at = s?.receivedAt ? Date.parse(s.receivedAt) : NaN;
    if (camera && placed === row.id && s && Number.isFinite(at)) {
      const zone = zoneOf(camera);
      commitSnapshot(
        cat,
        {
          item_id: row.id,
          camera,
          day: dateFolderOf(at, zone),
          received_ms: at,
          upload_path: s.uploadPath ?? '',
          hint_local: s.nameTime ?? null,
          trigger: s.trigger ?? null,
          drift_s: s.clockDriftS ?? null,
          via: s.via ?? 'ftp',
        },
        zone,
        nowIso,
      );
      committed++;
    } else {
      await rollbackItem(cat, layout, row);
      takenBack++;
    }
  }
  return { committed, takenBack, swept };
}
