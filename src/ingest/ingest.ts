import { readdir, stat, statfs } from 'node:fs/promises';
import { driveHealth, type DriveHealthThresholds } from '../core/drive-health.js';
import { basename, join } from 'node:path';
import { dateFolderOf } from '../core/capture-time.js';
import { buildItemRow, effectiveCaptureTime } from '../library/item-row.js';
import { importCardSidecars } from '../library/attributes.js';
import { OutpostError, asDriveFailure, driveError, isOutpostError } from '../core/errors.js';
import { stemOf } from '../core/media-types.js';
import { isEscapedName, nameBytes } from '../core/file-names.js';
import { UNASSIGNED_MONITOR, companionName, renderName, validateMonitor } from '../core/naming.js';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { Drive } from '../library/drive.js';
import { originalRelPath } from '../library/layout.js';
import { acquireLibraryLock } from '../library/lock.js';
import { openCatalog, type Catalog } from '../library/catalog/open.js';
import { upsertCardSeen } from '../library/catalog/cards.js';
import { assignCardToMonitor } from '../library/assign-card.js';
import { commitIngestedItem, ledgerKey, loadLedger, recordImport } from '../library/catalog/imports.js';
import { addCompanion, companionsOf, getItem, itemsNeedingDerivatives } from '../library/catalog/items.js';
import type { ItemRow } from '../library/catalog/schema.js';
import type { MediaAnalyzer, MediaWarning } from '../media/types.js';
import {
  Intake,
  SourceReadError,
  defaultHashThreads,
  deriveItem as makeDerivatives,
  placeNoClobber,
  convey,
  reconcileLibrary,
  type ItemProgress,
  type StagedCopy,
} from '../library/intake/index.js';
import { WorkQueue } from './derive-queue.js';
import { scanCard, type CardMedia } from './scan.js';
import { eraseVerifiedFromCard } from './cleanup.js';
import type { IngestProgress, IngestSummary, IngestWarning } from './types.js';

/** What ingest needs to know about the card (a CardFingerprint satisfies it). */
export interface CardIdentity {
  id: string;
  kind: string;
  label?: string | undefined;
  fsUuid?: string | undefined;
  mountPoint?: string | undefined;
}

export interface IngestDeps {
  analyzer: MediaAnalyzer;
  clock: Clock;
  log: Logger;
}

/** The `ingest:` config, as the station or the CLI passes it in. */
export interface IngestSettings {
  nameTemplate: string;
  thumbnailSize: number;
  previewSize: number;
  deriveConcurrency: number;
  minFreeBytes: number;
  cleanup: { policy: 'never' | 'verified'; require: ('library' | 'mirror' | 'hq')[] };
}

export interface IngestRequest {
  cardRoot: string;
  card: CardIdentity;
  drive: Drive;
  /**
   * File under this monitor. An unassigned card is assigned to it; a card assigned to another
   * monitor is refused (CARD_ASSIGNED_ELSEWHERE) unless `reassign`, which reassigns it.
   */
  monitor?: string | undefined;
  reassign?: boolean | undefined;
  settings: IngestSettings;
  /** Refuse to start when the drive is already full by these thresholds (config `drives.health`). */
  health?: DriveHealthThresholds | undefined;
  timeZone: string;
  node: string;
  signal?: AbortSignal | undefined;
  /**
   * Stop before the next file, letting the one being copied finish (the UPS says the battery is
   * low: src/station/power.ts). The run ends like an interrupted one: what is left is copied next time.
   */
  stopAfterFile?: AbortSignal | undefined;
  onProgress?: ((p: IngestProgress) => void) | undefined;
}

type Outcome = 'copied' | 'duplicate' | 'tombstoned';
type Finished = { outcome: Outcome; id: string; item?: ItemRow };
type StopCode = 'CARD_REMOVED' | 'CARD_READ_ERROR' | 'DRIVE_FULL' | 'DRIVE_WRITE_ERROR';

/** Files read at once at most (each hashes on its own core); more only thrash a source. */
const MAX_READING = 3;
/** Files copied and being probed/placed/committed while the next ones are read. */
const MAX_FINISHING = 2;

/** This many unreadable files in a row means the card (or reader) is failing: stop and say so. */
const MAX_FAILING_READS = 3;

/**
 * Ingest one card into a library drive. Crash-safe at every step: a killed run leaves either
 * nothing or a `pending` row that the next run rolls back; a re-run never duplicates.
 * Resolves with a summary in every case where the library is consistent (including drive
 * full and card removed, reported in `summary.error`); rejects only for programming faults
 * or when it cannot start (no card, library locked).
 */
export async function ingestCard(req: IngestRequest, deps: IngestDeps): Promise<IngestSummary> {
  const started = performance.now();
  const { layout } = req.drive;
  const summary: IngestSummary = {
    card: { id: req.card.id, kind: req.card.kind, label: req.card.label },
    monitor: UNASSIGNED_MONITOR,
    copied: 0,
    skipped: 0,
    duplicates: 0,
    tombstoned: 0,
    notCopied: 0,
    erased: 0,
    warnings: [],
    bytes: 0,
    seconds: 0,
  };
  const rootDev = await cardRootDevice(req.cardRoot);
  // Gone = the mount point now shows another filesystem (unmounted), or the card's root can no
  // longer be listed (reader pulled while still mounted: reads fail with EIO).
  const cardGone = async (): Promise<boolean> => {
    try {
      if ((await stat(req.cardRoot)).dev !== rootDev) return true;
      await readdir(req.cardRoot);
      return false;
    } catch {
      return true;
    }
  };
  const progress: IngestProgress = {
    phase: 'recover',
    filesDone: 0,
    filesTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
  };
  const emit = (p: Partial<IngestProgress>): void => {
    Object.assign(progress, p);
    req.onProgress?.({ ...progress });
  };

  const lock = await acquireLibraryLock(layout.lockFile, `ingest of ${req.cardRoot}`);
  let cat: Catalog | undefined;
  try {
    cat = await openCatalog(layout.catalog);
    emit({ phase: 'recover' });
    const rec = await reconcileLibrary(cat, layout, { deep: lock.previousRunDied });
    if (rec.rolledBack || rec.tmpRemoved) deps.log.info(rec, 'finished what an interrupted run left');

    const now = deps.clock.now();
    const cardRow = await upsertCardSeen(
      cat,
      {
        id: req.card.id,
        kind: req.card.kind,
        label: req.card.label,
        fsUuid: req.card.fsUuid,
        mount: req.cardRoot,
      },
      now.toISOString(),
    );
    const monitor = await monitorForIngest(cat, req, cardRow.monitor, now.getTime());
    summary.monitor = monitor;
    const dateFolder = dateFolderOf(now.getTime(), req.timeZone);

    emit({ phase: 'scan' });
    const ledger = await loadLedger(cat, req.card.id);
    let scan;
    try {
      scan = await scanCard(req.cardRoot, {
        isKnown: (rel, size, mtime) => ledger.has(ledgerKey(rel, size, mtime)),
      });
    } catch (e) {
      if (await cardGone())
        throw new OutpostError('CARD_REMOVED', `card at ${req.cardRoot} went away before it could be read`);
      throw new OutpostError('CARD_READ_ERROR', `cannot read card ${req.cardRoot}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    summary.warnings.push(...scan.problems);
    summary.skipped = scan.known;
    // A drive already "full" by the health thresholds takes nothing more: the card stays as it
    // is and the CARD and DRIVE lights say so (the per-file reserve below guards during a run).
    const full = req.health && scan.media.length > 0 ? await fullDrive(layout.root, req.health) : undefined;
    if (full) {
      summary.notCopied = scan.media.length;
      summary.error = new OutpostError(
        'DRIVE_FULL',
        `library drive is full (${full}): ${scan.media.length} files not copied`,
      ).toJSON();
    }
    const todo = full ? [] : scan.media;
    const fileBytes = (m: CardMedia): number => m.size + m.companions.reduce((s, c) => s + c.size, 0);
    emit({ phase: 'copy', filesTotal: todo.length, bytesTotal: todo.reduce((s, m) => s + fileBytes(m), 0) });

    const queue = new WorkQueue(req.settings.deriveConcurrency, req.settings.deriveConcurrency * 2);
    const catalog = cat;
    const derive = (item: ItemRow, cardPath: string): Promise<void> =>
      queue.push(() => deriveItem(catalog, req, deps, item, cardPath, summary.warnings));

    for (const item of await itemsNeedingDerivatives(cat)) await derive(item, item.original_name);

    // A failure while copying or finishing a file: a per-file warning ('continue') or the end of
    // the run ('stop'; how many files were not copied is known once the files in flight settle).
    let failingReads = 0;
    let stopError: { code: StopCode; msg: string } | undefined;
    const onFailure = async (e: unknown, f: CardMedia): Promise<'stop' | 'continue'> => {
      const stop = (code: StopCode, msg: string): 'stop' => {
        stopError = { code, msg };
        return 'stop';
      };
      if (e instanceof SourceReadError) {
        if (await cardGone()) return stop('CARD_REMOVED', 'card removed during ingest');
        if (e.maybeGone && e.errno !== 'ENOENT' && ++failingReads >= MAX_FAILING_READS)
          return stop(
            'CARD_READ_ERROR',
            `card is failing: ${failingReads} files in a row could not be read (${e.errno})`,
          );
        summary.warnings.push({
          path: f.relPath,
          code: e.errno === 'ENOENT' ? 'VANISHED' : 'UNREADABLE',
          message:
            e.errno === 'ENOENT'
              ? 'file disappeared from the card before it was copied'
              : `cannot read: ${e.errno}`,
        });
        return 'continue';
      }
      const failure = asDriveFailure(e);
      if (failure)
        return stop(
          failure.code as 'DRIVE_FULL' | 'DRIVE_WRITE_ERROR',
          failure.code === 'DRIVE_FULL' ? 'drive full' : failure.message,
        );
      if (req.signal?.aborted) return 'stop';
      throw e;
    };

    // Pipeline (library/intake/conveyor.ts): the next file is read while the last ones are probed,
    // placed and committed, so ffprobe never idles the card reader; several files are read at
    // once when one reads faster than it hashes (each hash stream has its own core). Outcomes
    // are counted in card order, so a failure ends the run as if one file at a time had been
    // copied: the files after it still in flight are abandoned (rolled back) unless already stored.
    const run = new AbortController();
    const signal = req.signal ? AbortSignal.any([req.signal, run.signal]) : run.signal;
    const intake = new Intake({ cat, layout });
    /** Bytes each file in flight still has to write (reserved when checking room for the next). */
    const owed = new Map<CardMedia, number>();
    // Two files with the same bytes finish one after the other (the second is then a duplicate).
    const sameBytes = new Map<string, Promise<unknown>>();
    const touched: string[] = [];
    let settled = 0;

    const copyAndFinish = async (f: CardMedia, lane: ItemProgress): Promise<Finished> => {
      const onBytes = (n: number): void => {
        owed.set(f, (owed.get(f) ?? 0) - n);
        emit({ bytesDone: progress.bytesDone + n });
      };
      let copy: StagedCopy;
      try {
        copy = await intake.stage(f.absPath, {
          ext: f.ext,
          signal,
          onBytes,
          onSaturated: () => lane.fast(),
        });
      } finally {
        lane.read();
      }
      const before = sameBytes.get(copy.sha256);
      const mine = (async () => {
        await before?.catch(() => undefined);
        return finishImport(
          catalog,
          req,
          deps,
          intake,
          f,
          copy,
          monitor,
          dateFolder,
          summary.warnings,
          onBytes,
          signal,
        );
      })();
      sameBytes.set(copy.sha256, mine);
      try {
        return await mine;
      } finally {
        if (sameBytes.get(copy.sha256) === mine) sameBytes.delete(copy.sha256);
      }
    };

    const count = async (f: CardMedia, r: Finished): Promise<void> => {
      failingReads = 0;
      settled++;
      if (f.companions.some((c) => c.ext === 'xmp')) touched.push(r.id);
      if (r.outcome === 'copied') {
        summary.copied++;
        summary.bytes += fileBytes(f);
        if (r.item) await derive(r.item, f.relPath);
      } else if (r.outcome === 'duplicate') summary.duplicates++;
      else summary.tombstoned++;
      emit({ filesDone: settled });
    };

    await convey(todo, {
      reading: Math.min(MAX_READING, defaultHashThreads()),
      window: Math.min(MAX_READING, defaultHashThreads()) + MAX_FINISHING,
      halted: () => run.signal.aborted || !!req.stopAfterFile?.aborted,
      admit: async (f) => {
        emit({ current: f.relPath });
        req.signal?.throwIfAborted();
        const reserved = [...owed.values()].reduce((n, x) => n + Math.max(0, x), 0);
        await ensureSpace(layout.root, fileBytes(f) + reserved, req.settings.minFreeBytes);
        owed.set(f, fileBytes(f));
      },
      run: copyAndFinish,
      settle: async (f, r, stopping) => {
        owed.delete(f);
        if (r.ok) await count(f, r.value);
        else if (!stopping) {
          if ((await onFailure(r.error, f)) === 'stop') {
            run.abort();
            return 'stop';
          }
          settled++;
        }
        return 'continue';
      },
    }).catch((e: unknown) => {
      run.abort();
      throw e;
    });
    if (!full) summary.notCopied = todo.length - settled;
    if (stopError)
      summary.error = new OutpostError(
        stopError.code,
        `${stopError.msg}: ${summary.notCopied} files not copied`,
      ).toJSON();
    emit({ phase: 'derive', current: undefined });
    await queue.idle();
    // XMP sidecars that came with the files (camera, Lightroom): their rating, keywords and
    // description become ops, so they show in the catalogue and travel like any edit.
    if (touched.length) {
      const imported = await importCardSidecars(cat, layout.root, req.node, deps.clock.now().getTime(), {
        ids: touched,
      });
      for (const f of imported.failed)
        summary.warnings.push({ path: f.path, code: 'SIDECAR_UNREADABLE', message: f.message });
    }

    if (
      !summary.error &&
      !req.signal?.aborted &&
      !req.stopAfterFile?.aborted &&
      req.settings.cleanup.policy === 'verified'
    ) {
      emit({ phase: 'cleanup' });
      const res = await eraseVerifiedFromCard(
        cat,
        layout.root,
        req.card.id,
        req.cardRoot,
        req.settings.cleanup.require,
      );
      summary.erased = res.erased;
      summary.warnings.push(...res.warnings);
    }
    emit({ phase: 'done' });
  } catch (e) {
    // Anything storage-related that escapes (a drive full before the first file, the catalogue
    // unable to write) is the drive's condition, not a bug: say so with the right code.
    const failure = asDriveFailure(e);
    if (!failure) throw e;
    throw new OutpostError(
      failure.code,
      failure.code === 'DRIVE_FULL' ? 'drive full: nothing could be copied' : failure.message,
      { cause: e },
    );
  } finally {
    await cat?.close().catch(() => undefined);
    await lock.release();
  }
  summary.seconds = Math.round((performance.now() - started) / 10) / 100;
  return summary;
}

/**
 * The monitor this ingest files under. `--monitor` on an unassigned card assigns the card (a card
 * op, as `outpost cards assign` records: the Cards page shows it and the next insert files under
 * it; items of an earlier unassigned ingest move too). On a card assigned to another monitor it
 * is refused unless `reassign` says so, since the card's next inserts would change monitor.
 */
async function monitorForIngest(
  cat: Catalog,
  req: IngestRequest,
  assigned: string | null,
  nowMs: number,
): Promise<string> {
  if (req.monitor === undefined) return validateMonitor(assigned ?? UNASSIGNED_MONITOR);
  const monitor = validateMonitor(req.monitor);
  if (assigned === monitor) return monitor;
  if (assigned !== null && !req.reassign)
    throw new OutpostError(
      'CARD_ASSIGNED_ELSEWHERE',
      `card ${req.card.label ? `"${req.card.label}" ` : ''}${req.card.id} belongs to monitor "${assigned}", not "${monitor}"`,
      {
        hint: `Run \`outpost cards assign ${req.card.id.slice(0, 12)} "${monitor}"\` (its items move too), or ingest again with --reassign; without --monitor it files under "${assigned}".`,
      },
    );
  await assignCardToMonitor(cat, req.drive.layout.root, req.card.id, monitor, req.node, nowMs);
  return monitor;
}

async function cardRootDevice(root: string): Promise<number> {
  try {
    const s = await stat(root);
    if (!s.isDirectory()) throw new OutpostError('CARD_NOT_FOUND', `${root} is not a directory`);
    return s.dev;
  } catch (e) {
    if (isOutpostError(e)) throw e;
    throw new OutpostError('CARD_NOT_FOUND', `card ${root} not found`, { cause: e });
  }
}

/** The health reason when the drive counts as full, else undefined. */
async function fullDrive(root: string, thresholds: DriveHealthThresholds): Promise<string | undefined> {
  const s = await statfs(root);
  const h = driveHealth({ freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize }, thresholds);
  return h.level === 'full' ? h.reason : undefined;
}

async function ensureSpace(root: string, need: number, reserve: number): Promise<void> {
  const s = await statfs(root);
  const free = s.bavail * s.bsize;
  if (free < need + reserve)
    throw new OutpostError('DRIVE_FULL', `library drive is full (${Math.round(free / 1e6)} MB free)`);
}

/**
 * Everything after the copy: probe, name, then the library intake (pending row, durable copy,
 * no-clobber placement, companions, commit; rolled back on any failure).
 */
async function finishImport(
  cat: Catalog,
  req: IngestRequest,
  deps: IngestDeps,
  intake: Intake,
  f: CardMedia,
  copy: StagedCopy,
  monitor: string,
  dateFolder: string,
  warnings: IngestWarning[],
  onBytes: (n: number) => void,
  signal: AbortSignal,
): Promise<Finished> {
  const nowIso = deps.clock.now().toISOString();
  const ledgerRow = {
    card_id: req.card.id,
    rel_path: f.relPath,
    size: f.size,
    mtime_ms: f.mtimeMs,
    item_id: copy.sha256,
    imported_at: nowIso,
  };
  try {
    const existing = await getItem(cat, copy.sha256);
    if (existing) {
      await copy.discard();
      const outcome: Outcome = existing.deleted ? 'tombstoned' : 'duplicate';
      // Companions the library lacks still travel with the item (e.g. a memo from a second card).
      if (!existing.deleted)
        await attachCompanions(
          cat,
          intake,
          req,
          f,
          existing,
          warnings,
          onBytes,
          signal,
          async (s, target) => {
            await s.durable();
            return placeNoClobber(s.tmpPath, target, s.sha256);
          },
        );
      await recordImport(cat, { ...ledgerRow, outcome });
      return { outcome, id: existing.id };
    }
    const probe = await deps.analyzer.probe(copy.tmpPath, f.type, {
      timeZone: req.timeZone,
      signal,
    });
    const originalName = basename(f.relPath);
    const input = {
      ...(isEscapedName(originalName) && {
        originalNameBase64: nameBytes(originalName).toString('base64'),
      }),
      sha256: copy.sha256,
      type: f.type,
      ext: f.ext,
      size: copy.bytes,
      monitor,
      originalName,
      mtimeMs: f.mtimeMs,
      importedAt: nowIso,
      cardId: req.card.id,
      probe,
      timeZone: req.timeZone,
    };
    const name = renderName(req.settings.nameTemplate, {
      local: effectiveCaptureTime(probe, f.mtimeMs, req.timeZone).local,
      sha256: copy.sha256,
      ext: f.ext,
      originalStem: stemOf(originalName),
    });
    const rel = originalRelPath(monitor, dateFolder, name);
    const row = buildItemRow(input, rel);
    await intake.admit(copy, {
      row,
      whilePending: (pending) =>
        attachCompanions(cat, intake, req, f, { id: row.id, path: rel }, warnings, onBytes, signal, (s, t) =>
          pending.place(s, t),
        ),
      commit: () => commitIngestedItem(cat, row.id, { ...ledgerRow, outcome: 'copied' }),
    });
    for (const w of probe.warnings) deps.log.debug({ path: f.relPath, ...w }, 'media warning');
    const item = await getItem(cat, row.id);
    return item ? { outcome: 'copied', id: row.id, item } : { outcome: 'copied', id: row.id };
  } catch (e) {
    await copy.discard();
    throw e;
  }
}

/**
 * Copy a card file's companions (THM, WAV, XMP) beside the item's original, skipping kinds the
 * item already has. A different file already at the companion's place is never overwritten.
 */
async function attachCompanions(
  cat: Catalog,
  intake: Intake,
  req: IngestRequest,
  f: CardMedia,
  item: { id: string; path: string },
  warnings: IngestWarning[],
  onBytes: (n: number) => void,
  signal: AbortSignal,
  place: (s: StagedCopy, target: string) => Promise<unknown>,
): Promise<void> {
  if (f.companions.length === 0) return;
  const have = new Set((await companionsOf(cat, item.id)).map((c) => c.ext));
  for (const c of f.companions) {
    if (have.has(c.ext)) continue;
    const cc = await intake.stage(c.absPath, { ext: c.ext, signal, onBytes });
    const cpath = companionName(item.path, c.ext);
    try {
      await place(cc, join(req.drive.layout.root, cpath));
    } catch (e) {
      if (!isOutpostError(e) || e.code !== 'PLACE_CONFLICT') throw e;
      warnings.push({
        path: c.relPath,
        code: 'COMPANION_CONFLICT',
        message: `a different ${c.ext.toUpperCase()} is already beside the item in the library; this one was not copied`,
      });
      continue;
    } finally {
      await cc.discard();
    }
    await addCompanion(cat, { item_id: item.id, ext: c.ext, path: cpath, sha256: cc.sha256, size: cc.bytes });
  }
}

async function deriveItem(
  cat: Catalog,
  req: IngestRequest,
  deps: IngestDeps,
  item: ItemRow,
  cardPath: string,
  warnings: IngestWarning[],
): Promise<void> {
  try {
    await makeDerivatives(cat, req.drive.layout.root, item, deps.analyzer, {
      thumbSize: req.settings.thumbnailSize,
      previewSize: req.settings.previewSize,
      signal: req.signal,
      now: () => deps.clock.now().toISOString(),
      onWarnings: (w) => {
        const probeWarnings = JSON.parse(item.warnings) as MediaWarning[];
        for (const x of [...probeWarnings, ...w]) warnings.push({ path: cardPath, ...x });
      },
    });
  } catch (e) {
    const err = isOutpostError(e) ? e : driveError(e, item.path);
    warnings.push({
      path: cardPath,
      code: 'NO_DERIVATIVES',
      message: `${err.message}; retried on the next run`,
    });
    deps.log.warn({ err, item: item.id }, 'derivatives failed');
  }
}
