import { api, ApiError } from '../api';
import type { Item } from '../types';
import { receive } from './clock';
import { offlineDb, getMeta, setMeta, type SetLevel, type TakeawaySet } from './db';
import { markOfflineData } from './flag';
import { dropMedia, ensureCached, MEDIA_CACHE, mediaUrls } from './media-cache';
import { reapplyQueued } from './edits';

/**
 * Take-away sets: a filter or a selection of the gallery, downloaded to this tablet (items into
 * IndexedDB, media into the Cache API) with progress, resumable (what is here is never fetched
 * again), and refreshed cheaply (the station answers "unchanged" to the etag it gave).
 */

export interface Manifest {
  etag: string;
  unchanged: boolean;
  items?: Item[];
  truncated: boolean;
  count: number;
  estimate: { thumbBytes: number; previewBytes: number; originalBytes: number };
  cursor: number;
  hlc: string;
}

export function manifestOf(
  source: { query: string; ids?: string[] },
  opts: { have?: string; level?: SetLevel } = {},
): Promise<Manifest> {
  return api<Manifest>('POST', '/api/takeaway/manifest', {
    query: source.query,
    ...(source.ids ? { ids: source.ids } : {}),
    ...(opts.have ? { have: opts.have } : {}),
    ...(opts.level === 'originals' ? { originalsUpToS: 30 } : {}),
  });
}

/** The bytes a set would take at a level, from a manifest's estimate. */
export function estimateBytes(m: Manifest, level: SetLevel): number {
  const e = m.estimate;
  return (
    e.thumbBytes + (level === 'thumbs' ? 0 : e.previewBytes) + (level === 'originals' ? e.originalBytes : 0)
  );
}

export interface StorageInfo {
  usage: number;
  quota: number;
  persisted: boolean;
}

/** What the browser grants this app, and whether it keeps it under storage pressure. */
export async function storageInfo(): Promise<StorageInfo | null> {
  if (!navigator.storage?.estimate) return null;
  const e = await navigator.storage.estimate();
  const persisted = (await navigator.storage.persisted?.()) ?? false;
  return { usage: e.usage ?? 0, quota: e.quota ?? 0, persisted };
}

/** Ask the browser to keep this app's storage (granted to installed apps, or after a prompt). */
export async function askPersist(): Promise<boolean> {
  try {
    return (await navigator.storage?.persist?.()) ?? false;
  } catch {
    return false;
  }
}

export async function listSets(): Promise<TakeawaySet[]> {
  const sets = await (await offlineDb()).getAll('sets');
  return sets.sort((a, b) => b.createdAt - a.createdAt);
}

export async function setItems(setId: string): Promise<Item[]> {
  const rows = await (await offlineDb()).getAllFromIndex('items', 'bySet', setId);
  return rows
    .filter((r) => !r.gone)
    .map((r) => r.record)
    .sort((a, b) => (a.sortTime < b.sortTime ? 1 : a.sortTime > b.sortTime ? -1 : a.id < b.id ? 1 : -1));
}

export interface Progress {
  done: number;
  total: number;
  bytes: number;
}

/** Store a manifest's items as the set's (items no longer in it leave the set). */
async function storeItems(set: TakeawaySet, items: Item[]): Promise<void> {
  const db = await offlineDb();
  const tx = db.transaction('items', 'readwrite');
  const keep = new Set(items.map((i) => i.id));
  for (const old of await tx.store.index('bySet').getAll(set.id)) {
    if (keep.has(old.id)) continue;
    const sets = old.sets.filter((s) => s !== set.id);
    await (sets.length ? tx.store.put({ ...old, sets }) : tx.store.delete(old.id));
  }
  for (const item of items) {
    const had = await tx.store.get(item.id);
    await tx.store.put({ id: item.id, record: item, sets: [...new Set([...(had?.sets ?? []), set.id])] });
  }
  await tx.done;
  // What the station says now, with this tablet's edits not yet synced on top.
  await reapplyQueued(items.map((i) => i.id));
}

/** The cursor changes are pulled from: the oldest any set needs. */
async function keepCursor(cursor: number): Promise<void> {
  const had = await getMeta<number>('cursor');
  if (had === undefined || cursor < had) await setMeta('cursor', cursor);
}

/** Make a new set from the station (online), then download its media. */
export async function createSet(
  o: { name: string; query: string; ids?: string[]; level: SetLevel },
  onProgress: (p: Progress) => void,
  signal?: AbortSignal,
): Promise<TakeawaySet> {
  const m = await manifestOf({ query: o.query, ...(o.ids ? { ids: o.ids } : {}) }, { level: o.level });
  await receive(m.hlc);
  const now = Date.now();
  const set: TakeawaySet = {
    id: `set-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    name: o.name,
    query: o.query,
    ...(o.ids ? { ids: o.ids } : {}),
    level: o.level,
    etag: m.etag,
    count: m.count,
    done: 0,
    bytes: 0,
    state: 'downloading',
    createdAt: now,
    updatedAt: now,
  };
  await (await offlineDb()).put('sets', set);
  markOfflineData(true);
  await storeItems(set, m.items ?? []);
  await keepCursor(m.cursor);
  return downloadSet(set.id, onProgress, signal);
}

/** A stored set, and the store it came from. */
async function setOf(
  setId: string,
): Promise<{ db: Awaited<ReturnType<typeof offlineDb>>; set: TakeawaySet }> {
  const db = await offlineDb();
  const set = await db.get('sets', setId);
  if (!set) throw new Error(`no set ${setId}`);
  return { db, set };
}

/**
 * Download what the set's items lack (resumable: whatever is cached already is skipped), a few
 * files at a time, with progress. A full storage stops it with the set `partial` and a message.
 */
export async function downloadSet(
  setId: string,
  onProgress: (p: Progress) => void,
  signal?: AbortSignal,
): Promise<TakeawaySet> {
  const { db, set } = await setOf(setId);
  const items = await setItems(setId);
  const cache = await caches.open(MEDIA_CACHE);
  let done = 0;
  let bytes = set.bytes;
  let next = 0;
  let problem: string | undefined;
  const report = (): void => onProgress({ done, total: items.length, bytes });
  report();
  const worker = async (): Promise<void> => {
    while (next < items.length && !problem && !signal?.aborted) {
      const item = items[next++]!;
      try {
        for (const url of mediaUrls(item, set.level)) bytes += (await ensureCached(cache, url, signal)).bytes;
        done++;
      } catch (e) {
        if (signal?.aborted) return;
        const name = (e as { name?: string }).name;
        if (name === 'QuotaExceededError') problem = 'quota';
        else if (e instanceof TypeError) problem = 'network';
        else done++; // a missing rendition is not worth stopping for
      }
      if (done % 10 === 0) report();
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  report();
  const updated: TakeawaySet = {
    ...set,
    done,
    bytes,
    state: done === items.length ? 'ready' : 'partial',
    ...(problem ? { problem } : {}),
    updatedAt: Date.now(),
  };
  if (!problem) delete updated.problem;
  await db.put('sets', updated);
  return updated;
}

/**
 * Refresh a set: the station answers "unchanged" to the etag held (then nothing else moves), or
 * the set's items now; media missing are downloaded.
 */
export async function refreshSet(
  setId: string,
  onProgress: (p: Progress) => void,
  signal?: AbortSignal,
): Promise<TakeawaySet> {
  const { db, set } = await setOf(setId);
  const m = await manifestOf({ query: set.query, ...(set.ids ? { ids: set.ids } : {}) }, { have: set.etag });
  await receive(m.hlc);
  if (m.unchanged && set.state === 'ready') return set;
  if (!m.unchanged) {
    await storeItems(set, m.items ?? []);
    await db.put('sets', { ...set, etag: m.etag, count: m.count, updatedAt: Date.now() });
  }
  return downloadSet(setId, onProgress, signal);
}

/**
 * Drop a set: its items that no other set holds leave the tablet with their media. Edits not yet
 * synced are kept (they are in the queue, not in the set) and still go to the station.
 */
export async function dropSet(setId: string): Promise<void> {
  const db = await offlineDb();
  const cache = await caches.open(MEDIA_CACHE);
  const items = await db.getAllFromIndex('items', 'bySet', setId);
  for (const it of items) {
    const sets = it.sets.filter((s) => s !== setId);
    if (sets.length) await db.put('items', { ...it, sets });
    else {
      await db.delete('items', it.id);
      await dropMedia(cache, it.record);
    }
  }
  await db.delete('sets', setId);
  if ((await db.count('sets')) === 0 && (await db.count('ops')) === 0) markOfflineData(false);
}

export { ApiError };
