/**
 * The one way bytes become a library item: hash while streaming → tmp → pending row → durable
 * (fsync) → no-clobber place → the item's other files → folders fsynced → commit, or roll back.
 * Every source calls it: card ingest (src/ingest/ingest.ts, a copy staged in tmp) and the recorder
 * (src/recorder/segment-item.ts: continuous segments and motion clips, a file already on the drive
 * taken in by a link, `stageOnDrive`); later snapshots, exports. What differs between them (the
 * row, companions, the ledger, the commit) comes in as a plan.
 *
 * Several items may be admitted at once (a card copies one file while the last few are probed
 * and placed): their folder fsyncs are batched (DirSyncer), never before their links.
 *
 * Crash-safety: a killed run leaves files in tmp and/or a `pending` row with files at its paths;
 * recover.ts rolls both back. A failure in-process takes back exactly what this admit placed. An item is `stored` only once all of its bytes and their names
 * are on the disk.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '../catalog/open.js';
import { deleteItemRow, getItem, insertPendingItem } from '../catalog/items.js';
import type { NewItem } from '../catalog/schema.js';
import type { DriveLayout } from '../layout.js';
import { stageCopy, stageOnDrive, type CopyOptions, type StagedCopy } from './copy.js';
import { DirSyncer } from './durable.js';
import { sharedHashPool, type HashPool } from './hash-pool.js';
import { placeNoClobber } from './place.js';
import { fsyncDir } from '../../adapters/fs-atomic.js';
import { OutpostError } from '../../core/errors.js';

/** What happened, in order (tests check the order; a debugger reads it). */
export type IntakeEvent =
  | { step: 'staged'; tmpPath: string; sha256: string }
  | { step: 'pending'; id: string }
  | { step: 'durable'; tmpPath: string }
  | { step: 'placed'; id: string; path: string }
  | { step: 'dir-fsync'; dir: string }
  | { step: 'committed'; id: string }
  | { step: 'rolled-back'; id: string };

export interface IntakeOptions {
  cat: Catalog;
  layout: DriveLayout;
  /** Hash pool for copies (default: the process's). */
  pool?: HashPool | undefined;
  trace?: ((e: IntakeEvent) => void) | undefined;
}

/** Places files that belong to an item being admitted (its companions), inside its transaction. */
export interface PendingItem {
  readonly row: NewItem;
  /** Make `staged` durable and place it at `target` (absolute) without clobbering. */
  place(staged: StagedCopy, target: string): Promise<'placed' | 'adopted'>;
}

export interface AdmitPlan<T> {
  /** The item's row; inserted as `pending`, its `path` is where the bytes go. */
  row: NewItem;
  /** Runs while the row is pending and the original is placed (companions). */
  whilePending?: ((item: PendingItem) => Promise<T>) | undefined;
  /** The commit point: mark the item stored, with the caller's rows, in one transaction. */
  commit: () => void | Promise<void>;
}

export class Intake {
  readonly dirs: DirSyncer;
  private readonly trace: (e: IntakeEvent) => void;

  constructor(private readonly opts: IntakeOptions) {
    this.trace = opts.trace ?? (() => undefined);
    this.dirs = new DirSyncer(async (dir) => {
      this.trace({ step: 'dir-fsync', dir });
      await fsyncDir(dir);
    });
  }

  /** Copy `src` into the drive's tmp, hashing; not durable yet (admit or discard it). */
  async stage(src: string | Buffer, opts: Omit<CopyOptions, 'pool'>): Promise<StagedCopy> {
    // Every hash worker up before the copy starts (it would look hash-bound for a moment); a file
    // taken in where it is (stageOnDrive, the recorder) needs one at a time and never warms them.
    (this.opts.pool ?? sharedHashPool()).warm();
    const s = await stageCopy(src, this.opts.layout.tmpDir, { ...opts, pool: this.opts.pool });
    this.trace({ step: 'staged', tmpPath: s.tmpPath, sha256: s.sha256 });
    return s;
  }

  /**
   * A finished file already on this drive (a recorder segment or motion clip), taken in without
   * copying: admit hard-links it into place and removes it only after the commit (copy.ts).
   */
  async stageOnDrive(path: string): Promise<StagedCopy> {
    const s = await stageOnDrive(path, { pool: this.opts.pool });
    this.trace({ step: 'staged', tmpPath: s.tmpPath, sha256: s.sha256 });
    return s;
  }

  /**
   * The bytes of an item that left this drive (offloaded once another copy was confirmed) are
   * here again: put back at the item's path, made durable, then `commit` (the row says stored
   * again). On a failure the staged copy is discarded; a file already put back is the item's own
   * bytes at its own path, found again by the next restore.
   */
  async restore(
    staged: StagedCopy,
    row: Pick<NewItem, 'id' | 'path'>,
    commit: () => Promise<void>,
  ): Promise<void> {
    const touched = new Set<string>();
    const record = async (dir: string): Promise<void> => void touched.add(dir);
    try {
      if (staged.sha256 !== row.id)
        throw new OutpostError(
          'CONTENT_MISMATCH',
          `the copy for ${row.path} hashes to ${staged.sha256.slice(0, 12)}…, not ${row.id.slice(0, 12)}…`,
        );
      await staged.durable();
      const target = join(this.opts.layout.root, row.path);
      if (staged.place) await staged.place(target, record);
      else await placeNoClobber(staged.tmpPath, target, staged.sha256, { syncDir: record });
      await Promise.all([...touched].map((d) => this.dirs.sync(d)));
      await commit();
      this.trace({ step: 'committed', id: row.id });
      await staged.consumed?.().catch(() => undefined);
    } catch (e) {
      await staged.discard();
      throw e;
    }
  }

  /**
   * Take a staged copy in as the item `plan.row`. Resolves with what `whilePending` returned once
   * the item is committed; on any failure the copy, the placed files and the pending row are
   * removed and the error is rethrown.
   */
  async admit<T>(staged: StagedCopy, plan: AdmitPlan<T>): Promise<T | undefined> {
    const { cat, layout } = this.opts;
    const row = plan.row;
    const touched = new Set<string>();
    // Only what this admit put there is taken back: a file that was in the way stays untouched.
    const placed: { target: string; s: StagedCopy }[] = [];
    const record = async (dir: string): Promise<void> => void touched.add(dir);
    const place = async (s: StagedCopy, target: string, id: string): Promise<'placed' | 'adopted'> => {
      await s.durable();
      this.trace({ step: 'durable', tmpPath: s.tmpPath });
      // Folders are fsynced once for the whole item, before the commit (record only here).
      const r = s.place
        ? await s.place(target, record)
        : await placeNoClobber(s.tmpPath, target, s.sha256, { syncDir: record });
      placed.push({ target, s });
      this.trace({ step: 'placed', id, path: target });
      return r;
    };
    let pending = false;
    try {
      // An item's id is the SHA-256 of its bytes: anything else never gets a row.
      if (staged.sha256 !== row.id)
        throw new OutpostError(
          'CONTENT_MISMATCH',
          `the copy for ${row.path} hashes to ${staged.sha256.slice(0, 12)}…, not ${row.id.slice(0, 12)}…`,
        );
      await insertPendingItem(cat, { ...row, state: 'pending' });
      pending = true;
      this.trace({ step: 'pending', id: row.id });
      await place(staged, join(layout.root, row.path), row.id);
      const result = await plan.whilePending?.({
        row,
        place: async (s, target) => {
          try {
            return await place(s, target, row.id);
          } finally {
            await s.discard();
          }
        },
      });
      await Promise.all([...touched].map((d) => this.dirs.sync(d)));
      await plan.commit();
      this.trace({ step: 'committed', id: row.id });
      // The item is stored: a file taken in where it was drops its old name (a failure leaves a
      // name its owner finds again; the bytes are catalogued, so it is only removed then).
      await staged.consumed?.().catch(() => undefined);
      return result;
    } catch (e) {
      await staged.discard();
      if (pending) {
        const item = await getItem(cat, row.id).catch(() => undefined);
        if (item?.state === 'pending')
          await (async () => {
            for (const { target, s } of placed.reverse())
              await (s.takeBack ? s.takeBack(target) : rm(target, { force: true }));
            await deleteItemRow(cat, row.id);
          })().catch(() => undefined);
        this.trace({ step: 'rolled-back', id: row.id });
      }
      throw e;
    }
  }
}
