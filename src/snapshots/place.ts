/**
 * A received snapshot (an FTP upload or an HTTP pull, complete in the library drive's tmp)
 * becomes an item of its camera: checked as a JPEG, then the library intake's one way in
 * (`Intake.stageOnDrive` + `admit`: pending row → no-clobber hard link into
 * `library/<camera>/<day>/` → commit with its snapshot row), then its thumbnail. Capture time is
 * the receive time; what the file name says is kept as a hint. A refused upload is counted
 * (snapshot_rejects) and its file removed; a failure after the check keeps nothing half-placed.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../adapters/fs-atomic.js';
import type { Clock } from '../adapters/clock.js';
import { dateFolderOf, localFromInstant, offsetOf } from '../core/capture-time.js';
import { OutpostError, driveError, isOutpostError } from '../core/errors.js';
import { renderName } from '../core/naming.js';
import type { Catalog } from '../library/catalog/open.js';
import { getItem, setDerived } from '../library/catalog/items.js';
import { commitSnapshot, recordSnapshotReject } from '../library/catalog/snapshots.js';
import { buildItemRow } from '../library/item-row.js';
import { derivedRelPath, originalRelPath, type DriveLayout } from '../library/layout.js';
import { Intake } from '../library/intake/index.js';
import { checkJpeg } from './jpeg-check.js';

export interface IncomingSnapshot {
  camera: string;
  /** The complete upload, on the library drive (its tmp): linked into place, never copied. */
  file: string;
  /** Where the camera wrote it (FTP path in its area) or the URL it was pulled from. */
  uploadPath: string;
  receivedAt: Date;
  via: 'ftp' | 'http';
  /** What the file name says (snapshots/name-hints.ts), when it says something. */
  hint?: { local: string; trigger: string | undefined; driftS: number } | undefined;
}

export interface PlaceSnapshotDeps {
  clock: Clock;
  /** The camera's zone: its day (folder, timelapse) and the capture time's offset. */
  timeZone: string;
  nameTemplate: string;
  thumbSize: number;
}

export interface PlacedSnapshot {
  id: string;
  day: string;
  /** false: the same bytes were catalogued already (a camera's retry): nothing new stored. */
  created: boolean;
}

/**
 * Place one snapshot. Throws SNAPSHOT_INVALID (counted, file removed) for an upload that is not a
 * whole JPEG; any other failure leaves the catalogue and the library as they were.
 */
export async function placeSnapshot(
  cat: Catalog,
  layout: DriveLayout,
  s: IncomingSnapshot,
  deps: PlaceSnapshotDeps,
): Promise<PlacedSnapshot> {
  const ms = s.receivedAt.getTime();
  const day = dateFolderOf(ms, deps.timeZone);
  const check = await checkJpeg(s.file, deps.thumbSize);
  if (!check.ok) {
    await rm(s.file, { force: true });
    try {
      recordSnapshotReject(cat, {
        camera: s.camera,
        day,
        reason: check.reason,
        message: `${s.uploadPath}: ${check.message}`,
        at: deps.clock.now().toISOString(),
      });
    } catch {
      // Counting is best effort: the refusal itself still reaches the camera and the log.
    }
    throw new OutpostError('SNAPSHOT_INVALID', `${s.camera}: ${s.uploadPath}: ${check.message}`, {
      details: { reason: check.reason, camera: s.camera },
    });
  }
  const intake = new Intake({ cat, layout });
  const staged = await intake.stageOnDrive(s.file);
  const sha256 = staged.sha256;
  const existing = await getItem(cat, sha256);
  if (existing && existing.state !== 'pending') {
    await rm(s.file, { force: true });
    return { id: sha256, day, created: false };
  }
  const local = localFromInstant(ms, deps.timeZone);
  const name = renderName(deps.nameTemplate, { local, sha256, ext: 'jpg', originalStem: s.camera });
  const facts = {
    capturedAt: { local, offset: offsetOf(ms, deps.timeZone), source: 'received' as const },
    width: check.width,
    height: check.height,
    snapshot: {
      camera: s.camera,
      receivedAt: s.receivedAt.toISOString(),
      via: s.via,
      uploadPath: s.uploadPath,
      ...(s.hint
        ? { nameTime: s.hint.local, trigger: s.hint.trigger ?? null, clockDriftS: s.hint.driftS }
        : {}),
    },
  };
  const row = buildItemRow(
    {
      sha256,
      type: 'photo',
      ext: 'jpg',
      size: staged.bytes,
      monitor: s.camera,
      originalName: name,
      mtimeMs: ms,
      importedAt: deps.clock.now().toISOString(),
      cardId: `snap:${s.camera}`,
      probe: { facts, warnings: [] },
      timeZone: deps.timeZone,
    },
    originalRelPath(s.camera, day, name),
  );
  await intake.admit(staged, {
    row,
    commit: () => {
      try {
        commitSnapshot(
          cat,
          {
            item_id: sha256,
            camera: s.camera,
            day,
            received_ms: ms,
            upload_path: s.uploadPath,
            hint_local: s.hint?.local ?? null,
            trigger: s.hint?.trigger ?? null,
            drift_s: s.hint?.driftS ?? null,
            via: s.via,
          },
          deps.timeZone,
          deps.clock.now().toISOString(),
        );
      } catch (e) {
        throw isOutpostError(e) ? e : driveError(e, 'the catalogue');
      }
    },
  });
  // The thumbnail the check made: the day strip's picture. A failure leaves the item without it
  // (stored and safe), derived again by the next derive pass.
  await writeFileAtomic(join(layout.root, derivedRelPath(sha256, 'thumb')), check.thumb)
    .then(() =>
      setDerived(cat, sha256, {
        thumb: true,
        preview: false,
        poster: false,
        warnings: [],
        at: deps.clock.now().toISOString(),
      }),
    )
    .catch(() => undefined);
  return { id: sha256, day, created: true };
}
