/**
 * Where a video job reads its recordings and clips from. On a station: the library drive (the
 * catalogue beside it, the files in it). At HQ: HQ's catalogue, the bytes in its object store
 * (hq/video.ts), fetched into scratch when the store is not a local disk. The job's result is
 * placed elsewhere (a library: `exportRange(cat, layout, …)`), which on a station is the same
 * drive.
 */
import { rm } from 'node:fs/promises';
import { OutpostError } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import { recordedCameras, recordingsBetween } from '../library/catalog/recordings.js';
import type { ItemRow } from '../library/catalog/schema.js';
import { libraryFile } from '../library/layout.js';

/** The files of some items, as local paths, for as long as a job needs them. */
export interface OpenedFiles {
  /** The local path of an item opened, or why it cannot be read. */
  pathOf(id: string): { path: string } | { problem: string };
  /** Done: fetched copies are removed. */
  release(): Promise<void>;
}

export interface VideoSource {
  /** The catalogue listing the recordings and videos. */
  catalog: Catalog;
  /** The cameras with recordings (at HQ `<station>/<camera>`). */
  cameras(): Promise<string[]>;
  /** A camera's recordings by wall-clock time (`sort_time`, local), in order. */
  recordings(camera: string, fromLocal: string, toLocal: string): Promise<ItemRow[]>;
  /** The monitor (folder) an export of `camera` is filed under. */
  monitorOf(camera: string): string;
  /** Local paths of these items' files (fetched first where they are not local). */
  open(rows: readonly ItemRow[], signal?: AbortSignal): Promise<OpenedFiles>;
}

/** A library drive's own files: nothing to fetch or release. */
export function driveSource(catalog: Catalog, root: string): VideoSource {
  return {
    catalog,
    cameras: () => recordedCameras(catalog),
    recordings: (camera, fromLocal, toLocal) => recordingsBetween(catalog, camera, fromLocal, toLocal),
    monitorOf: (camera) => camera,
    open: (rows) => {
      const paths = new Map(rows.map((r) => [r.id, libraryFile(root, r.path)]));
      return Promise.resolve({
        pathOf: (id) => {
          const path = paths.get(id);
          return path ? { path } : { problem: 'not opened' };
        },
        release: () => Promise.resolve(),
      });
    },
  };
}

/**
 * Items' files opened one by one for a job: `fetch` says where each is (and whether that path is
 * a copy made for the job, removed at release) or throws why it cannot be read. An abort stops
 * the opening and removes the copies made so far.
 */
export async function openEach(
  rows: readonly ItemRow[],
  signal: AbortSignal | undefined,
  fetch: (row: ItemRow) => Promise<{ path: string; copy: boolean }>,
): Promise<OpenedFiles> {
  const found = new Map<string, { path: string } | { problem: string }>();
  const copies: string[] = [];
  const release = async (): Promise<void> => {
    await Promise.all(copies.map((f) => rm(f, { force: true })));
  };
  for (const row of rows) {
    try {
      signal?.throwIfAborted();
      const got = await fetch(row);
      if (got.copy) copies.push(got.path);
      found.set(row.id, { path: got.path });
    } catch (e) {
      if (signal?.aborted) {
        await release();
        throw e;
      }
      found.set(row.id, { problem: e instanceof Error ? e.message : String(e) });
    }
  }
  return { pathOf: (id) => found.get(id) ?? { problem: 'not opened' }, release };
}

/** One item's file for the length of `fn`. */
export async function withFile<T>(
  source: VideoSource,
  row: ItemRow,
  fn: (path: string) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const files = await source.open([row], signal);
  try {
    const got = files.pathOf(row.id);
    if ('problem' in got)
      throw new OutpostError('VIDEO_UNREADABLE', `${row.original_name} cannot be read: ${got.problem}`);
    return await fn(got.path);
  } finally {
    await files.release();
  }
}
