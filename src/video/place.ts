/**
 * A video made from others (an export of a range, an edit) becomes an item of its own: hashed,
 * linked into `library/<monitor>/<day>/` through the library intake, committed, its poster made.
 * The same bytes made again are the same item (nothing new stored).
 */
import type { Clock } from '../adapters/clock.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { dateFolderOf, localFromInstant, offsetOf } from '../core/capture-time.js';
import { OutpostError, driveError, isOutpostError } from '../core/errors.js';
import { renderName } from '../core/naming.js';
import { getItem } from '../library/catalog/items.js';
import { restoreOffloaded } from '../library/catalog/offloads.js';
import type { Catalog } from '../library/catalog/open.js';
import { commitExport } from '../library/catalog/recordings.js';
import type { ItemRow } from '../library/catalog/schema.js';
import { Intake, deriveItem } from '../library/intake/index.js';
import { buildItemRow } from '../library/item-row.js';
import { originalRelPath, type DriveLayout } from '../library/layout.js';
import { probeAv } from '../media/ffprobe.js';
import type { MediaAnalyzer } from '../media/types.js';

export interface PlaceVideoDeps {
  runner: ProcessRunner;
  analyzer: MediaAnalyzer;
  clock: Clock;
  timeZone: string;
  nameTemplate: string;
  thumbnailSize: number;
  previewSize: number;
}

/** A made video (on the drive's tmp) becomes an item: hashed, linked in place, committed, derived. */
export async function placeVideo(
  cat: Catalog,
  layout: DriveLayout,
  file: string,
  o: {
    /** The item's monitor (camera). */
    monitor: string;
    /** Wall clock of its first frame. */
    startMs: number;
    /** Its card id: `export:<camera>`, `edit:<monitor>`. */
    card: string;
    /** Its name's stem. */
    stem: string;
    /** Where in its facts `facts` goes (`export`, `edit`). */
    key: 'export' | 'edit';
    facts: Record<string, unknown>;
    deps: PlaceVideoDeps;
  },
): Promise<{ item: ItemRow; created: boolean }> {
  const d = o.deps;
  const intake = new Intake({ cat, layout });
  const staged = await intake.stageOnDrive(file);
  const sha256 = staged.sha256;
  const existing = await getItem(cat, sha256);
  // Made before and sent on (offloaded once HQ held it): its bytes are here again, put back.
  if (existing?.state === 'offloaded') {
    await intake.restore(staged, existing, async () => void (await restoreOffloaded(cat, sha256)));
    return { item: (await getItem(cat, sha256)) ?? existing, created: false };
  }
  if (existing && existing.state !== 'pending') {
    await staged.discard();
    return { item: existing, created: false };
  }
  const probe = await probeAv(d.runner, file, d.timeZone);
  const local = localFromInstant(o.startMs, d.timeZone);
  const facts = {
    ...probe.facts,
    capturedAt: { local, offset: offsetOf(o.startMs, d.timeZone), source: 'video' as const },
    [o.key]: o.facts,
  };
  const name = renderName(d.nameTemplate, { local, sha256, ext: 'mp4', originalStem: o.stem });
  const row = buildItemRow(
    {
      sha256,
      type: 'video',
      ext: 'mp4',
      size: staged.bytes,
      monitor: o.monitor,
      originalName: name,
      mtimeMs: d.clock.now().getTime(),
      importedAt: d.clock.now().toISOString(),
      cardId: o.card,
      probe: { facts, warnings: probe.warnings },
      timeZone: d.timeZone,
    },
    originalRelPath(o.monitor, dateFolderOf(o.startMs, d.timeZone), name),
  );
  await intake.admit(staged, {
    row,
    commit: async () => {
      try {
        await commitExport(cat, sha256);
      } catch (e) {
        throw isOutpostError(e) ? e : driveError(e, 'the catalogue');
      }
    },
  });
  const item = await getItem(cat, sha256);
  if (!item) throw new OutpostError('INTERNAL', `export item ${sha256} vanished after insert`);
  await deriveItem(cat, layout.root, item, d.analyzer, {
    thumbSize: d.thumbnailSize,
    previewSize: d.previewSize,
    now: () => d.clock.now().toISOString(),
  }).catch(() => undefined);
  return { item: (await getItem(cat, sha256)) ?? item, created: true };
}
