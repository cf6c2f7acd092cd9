import { api, ApiError } from '../api';
import type { Attributes } from '../types';
import { deviceId, receive } from './clock';
import { getMeta, offlineDb, setMeta, type Conflict, type QueuedOp } from './db';
import { onLocalEdit, storeAttributes } from './edits';
import { hasOfflineData, markOfflineData } from './flag';

/**
 * The sync engine: pushes the queue of edits to the station (in order, in batches; a push
 * repeated after a cut changes nothing there), pulls what changed since its cursor, and keeps
 * the station's conflicts list. It runs while the app is open: soon after every edit, when the
 * browser says it is back online, every few seconds while edits wait, and now and then anyway.
 */

const BATCH = 500;
/** While edits wait: try again this often (a failed try costs one refused connection). */
const RETRY_MS = 1000;
/** Nothing waiting: pull changes this often. */
const IDLE_MS = 30_000;
/** A request the station does not answer in this long is given up (a link that went quiet). */
const REQUEST_TIMEOUT_MS = 30_000;
const timeout = (): { signal: AbortSignal } => ({ signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

export interface SyncState {
  pending: number;
  /** When the oldest edit not yet synced was made (ms), or null. */
  oldest: number | null;
  lastSync: number | null;
  /** The station could not be reached on the last try. */
  offline: boolean;
  /** Logged out: edits wait until someone logs in again. */
  needsLogin: boolean;
  running: boolean;
  error: string | null;
  conflicts: number;
  refused: number;
}

let state: SyncState = {
  pending: 0,
  oldest: null,
  lastSync: null,
  offline: false,
  needsLogin: false,
  running: false,
  error: null,
  conflicts: 0,
  refused: 0,
};
const listeners = new Set<(s: SyncState) => void>();

export function syncState(): SyncState {
  return state;
}

export function onSyncState(fn: (s: SyncState) => void): () => void {
  listeners.add(fn);
  fn(state);
  return () => listeners.delete(fn);
}

function update(p: Partial<SyncState>): void {
  state = { ...state, ...p };
  for (const fn of listeners) fn(state);
}

async function countQueue(): Promise<void> {
  const db = await offlineDb();
  const ops = await db.getAll('ops');
  update({
    pending: ops.length,
    oldest: ops.length ? Math.min(...ops.map((o) => o.createdAt)) : null,
    conflicts: (await db.getAll('conflicts')).filter((c) => c.resolvedAt === null).length,
    refused: await db.count('refused'),
  });
}

interface PushAnswer {
  results: {
    hlc: string;
    item: string;
    field: string;
    outcome: 'applied' | 'superseded' | 'refused';
    duplicate: boolean;
    message?: string;
    conflict?: Conflict;
  }[];
  items: { id: string; attributes: Attributes }[];
  hlc: string;
}

/** Push the queue, oldest first; each acknowledged op leaves it. */
async function push(): Promise<void> {
  const db = await offlineDb();
  const device = await deviceId();
  for (;;) {
    const ops = (await db.getAll('ops')).sort((a, b) => (a.hlc < b.hlc ? -1 : 1)).slice(0, BATCH);
    if (!ops.length) return;
    const answer = await api<PushAnswer>(
      'POST',
      '/api/sync/ops',
      {
        device,
        ops: ops.map((o: QueuedOp) => ({
          hlc: o.hlc,
          item: o.item,
          field: o.field,
          value: o.value,
          base: o.base,
          ...(o.resolves ? { resolves: o.resolves } : {}),
        })),
      },
      timeout(),
    );
    await receive(answer.hlc);
    const tx = db.transaction(['ops', 'conflicts', 'refused'], 'readwrite');
    for (const r of answer.results) {
      const op = ops.find((o) => o.hlc === r.hlc);
      await tx.objectStore('ops').delete(r.hlc);
      if (r.conflict && r.conflict.resolvedAt === null) await tx.objectStore('conflicts').put(r.conflict);
      if (r.outcome === 'refused' && op)
        await tx.objectStore('refused').put({
          hlc: r.hlc,
          item: r.item,
          field: r.field,
          value: op.value,
          message: r.message ?? '',
          at: Date.now(),
        });
    }
    await tx.done;
    await storeAttributes(answer.items);
    await countQueue();
  }
}

interface ChangesAnswer {
  cursor: number;
  more: boolean;
  hlc: string;
  items: { id: string; attributes: Attributes }[];
  gone: string[];
}

/** Pull what changed at the station since the cursor. */
async function pull(): Promise<void> {
  let cursor = (await getMeta<number>('cursor')) ?? 0;
  for (;;) {
    const c = await api<ChangesAnswer>('GET', `/api/sync/changes?since=${cursor}`, undefined, timeout());
    await receive(c.hlc);
    await storeAttributes(c.items, c.gone);
    cursor = c.cursor;
    await setMeta('cursor', cursor);
    if (!c.more) return;
  }
}

/** The station's open conflicts (settled ones leave the list). */
async function pullConflicts(): Promise<void> {
  const { conflicts } = await api<{ conflicts: Conflict[] }>(
    'GET',
    '/api/sync/conflicts?limit=500',
    undefined,
    timeout(),
  );
  const db = await offlineDb();
  const tx = db.transaction('conflicts', 'readwrite');
  await tx.store.clear();
  for (const c of conflicts) await tx.store.put(c);
  await tx.done;
}

let running: Promise<void> | undefined;

/** One round: push, pull, conflicts. Concurrent calls share the round in flight. */
export function syncNow(): Promise<void> {
  running ??= (async () => {
    update({ running: true });
    try {
      await push();
      await pull();
      await pullConflicts();
      update({ offline: false, needsLogin: false, error: null, lastSync: Date.now() });
    } catch (e) {
      if (e instanceof ApiError && e.status === 0) update({ offline: true, error: null });
      else if (e instanceof ApiError && e.status === 401) update({ needsLogin: true, offline: false });
      else update({ error: e instanceof Error ? e.message : String(e) });
    } finally {
      await countQueue().catch(() => undefined);
      const db = await offlineDb();
      if ((await db.count('sets')) + (await db.count('ops')) > 0) markOfflineData(true);
      update({ running: false });
      running = undefined;
    }
  })();
  return running;
}

let timer: ReturnType<typeof setTimeout> | undefined;
let started = false;

function schedule(ms: number): void {
  clearTimeout(timer);
  timer = setTimeout(() => {
    void syncNow().then(() => schedule(state.pending > 0 ? RETRY_MS : IDLE_MS));
  }, ms);
}

/** Start the engine (once per page). */
export function startSync(): void {
  if (started || !hasOfflineData()) return;
  started = true;
  onLocalEdit(() => {
    void countQueue();
    schedule(300);
  });
  window.addEventListener('online', () => schedule(0));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') schedule(0);
  });
  void countQueue();
  schedule(0);
}

/** Forget an edit the station refused (after the person read why). */
export async function dismissRefused(hlc: string): Promise<void> {
  await (await offlineDb()).delete('refused', hlc);
  await countQueue();
}
