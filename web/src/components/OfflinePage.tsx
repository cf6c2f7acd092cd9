import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { formatBytes, formatNumber, t, type MessageKey } from '../i18n';
import { deviceId } from '../offline/clock';
import { offlineDb, type Conflict, type RefusedEdit, type SetLevel, type TakeawaySet } from '../offline/db';
import { editOffline, offlineItem, takeOtherOffline } from '../offline/edits';
import { TAKE_IDS_KEY } from '../offline/flag';
import { storageAtRisk, thisPlatform } from '../offline/install';
import { dismissRefused, onSyncState, startSync, syncNow, type SyncState } from '../offline/sync';
import {
  askPersist,
  createSet,
  dropSet,
  estimateBytes,
  listSets,
  manifestOf,
  refreshSet,
  setItems,
  storageInfo,
  type Manifest,
  type Progress,
  type StorageInfo,
} from '../offline/takeaway';
import { navigate, withQuery } from '../router';
import { showToast } from '../toast';
import type { AttributePatch, Item } from '../types';
import { AttributeForm } from './AttributeForm';
import { ToastView } from './ToastView';

function ago(ms: number): string {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 60) return t('offline.ago.now');
  if (s < 3600) return t('offline.ago.min', { n: String(Math.round(s / 60)) });
  if (s < 86400 * 2) return t('offline.ago.h', { n: String(Math.round(s / 3600)) });
  return t('offline.ago.d', { n: String(Math.round(s / 86400)) });
}

const FIELD_LABEL: Record<string, MessageKey> = {
  rating: 'edit.rating',
  priority: 'edit.priority',
  event: 'edit.event',
  tags: 'edit.tags',
  notes: 'edit.notes',
  location: 'offline.field.location',
  rejected: 'offline.field.rejected',
};

/** A field's value in words. */
export function valueText(field: string, v: unknown): string {
  if (v === null || v === undefined || (Array.isArray(v) && !v.length)) return t('offline.none');
  if (field === 'rating') return '★'.repeat(Number(v)) || '0';
  if (field === 'priority' || field === 'rejected') return v ? t('edit.yes') : t('edit.no');
  if (field === 'tags' && Array.isArray(v)) return v.join(', ');
  if (field === 'location') {
    const l = v as { lat: number; lon: number };
    return `${l.lat.toFixed(5)}, ${l.lon.toFixed(5)}`;
  }
  return String(v);
}

function SyncBar({ s }: { s: SyncState }) {
  return (
    <div class="offline-sync" role="status" data-pending={s.pending}>
      {s.offline && <p class="offline-working">{t('offline.working')}</p>}
      <p>
        {s.running
          ? t('offline.syncing')
          : s.pending
            ? t('offline.pending', { n: formatNumber(s.pending), age: ago(s.oldest ?? Date.now()) })
            : t('offline.synced')}
        {s.lastSync && !s.running ? ` · ${t('offline.lastSync', { age: ago(s.lastSync) })}` : ''}{' '}
        <button type="button" class="secondary" disabled={s.running} onClick={() => void syncNow()}>
          {t('offline.syncNow')}
        </button>
      </p>
      {s.needsLogin && <p class="error">{t('offline.needsLogin')}</p>}
      {s.error && <p class="error">{t('offline.syncError', { message: s.error })}</p>}
    </div>
  );
}

function Notes({ storage, onPersist }: { storage: StorageInfo | null; onPersist(): void }) {
  return (
    <div class="offline-notes">
      {!window.isSecureContext && (
        <p class="hint insecure-context">
          {t('offline.insecure')} <a href="/trust">/trust</a>
        </p>
      )}
      {storageAtRisk(thisPlatform()) && <p class="hint ios-tab">{t('offline.iosTab')}</p>}
      {storage && (
        <p class="hint offline-storage">
          {t('offline.storage', { used: formatBytes(storage.usage), quota: formatBytes(storage.quota) })} —{' '}
          {storage.persisted ? t('offline.persisted') : t('offline.notPersisted')}{' '}
          {!storage.persisted && (
            <button type="button" class="secondary" onClick={onPersist}>
              {t('offline.persist')}
            </button>
          )}
        </p>
      )}
    </div>
  );
}

function ProgressLine({ p }: { p: Progress }) {
  return (
    <p class="offline-progress">
      <progress max={p.total || 1} value={p.done} />{' '}
      {t('offline.progress', {
        done: formatNumber(p.done),
        total: formatNumber(p.total),
        size: formatBytes(p.bytes),
      })}
    </p>
  );
}

/** The form for a new set, from the gallery's filter or selection. */
function NewSet({
  query,
  ids,
  storage,
  onDone,
}: {
  query: string;
  ids: string[] | undefined;
  storage: StorageInfo | null;
  onDone(): void;
}) {
  const [name, setName] = useState(() =>
    ids ? t('offline.fromSelection', { n: String(ids.length) }) : query || t('offline.allItems'),
  );
  const [level, setLevel] = useState<SetLevel>('previews');
  const [manifest, setManifest] = useState<Manifest | null>(null);
  const [problem, setProblem] = useState('');
  const [progress, setProgress] = useState<Progress | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => {
    let live = true;
    manifestOf({ query, ...(ids ? { ids } : {}) }, { level })
      .then((m) => live && setManifest(m))
      .catch(
        (e: Error) =>
          live && setProblem(e instanceof ApiError && e.status === 0 ? t('offline.needOnline') : e.message),
      );
    return () => {
      live = false;
    };
  }, [query, ids?.length, level]);
  const need = manifest ? estimateBytes(manifest, level) : 0;
  const free = storage ? storage.quota - storage.usage : Infinity;
  const start = async (e: Event): Promise<void> => {
    e.preventDefault();
    abort.current = new AbortController();
    setProgress({ done: 0, total: manifest?.count ?? 0, bytes: 0 });
    try {
      await askPersist();
      const set = await createSet(
        { name: name.trim() || t('offline.allItems'), query, ...(ids ? { ids } : {}), level },
        setProgress,
        abort.current.signal,
      );
      startSync();
      sessionStorage.removeItem(TAKE_IDS_KEY);
      showToast({ text: t('offline.updated', { name: set.name }), kind: 'info' });
      onDone();
    } catch (err) {
      setProblem((err as Error).message);
    } finally {
      setProgress(null);
    }
  };
  return (
    <form class="offline-new" onSubmit={(e) => void start(e)}>
      <h2>{t('offline.newSet')}</h2>
      <p class="hint">
        {ids
          ? t('offline.fromSelection', { n: String(ids.length) })
          : t('offline.fromFilter', { filter: query || t('offline.allItems') })}
      </p>
      <label>
        {t('offline.name')}{' '}
        <input
          name="set-name"
          value={name}
          maxLength={120}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        {t('offline.level')}{' '}
        <select
          name="set-level"
          value={level}
          onChange={(e) => setLevel((e.target as HTMLSelectElement).value as SetLevel)}
        >
          {(['thumbs', 'previews', 'originals'] as const).map((l) => (
            <option key={l} value={l}>
              {t(`offline.level.${l}`)}
            </option>
          ))}
        </select>
      </label>
      {manifest && (
        <p class="offline-estimate">
          {t('offline.estimate', { n: formatNumber(manifest.count), size: formatBytes(need) })}
          {manifest.truncated
            ? ` (${t('offline.estimateTruncated', { n: formatNumber(manifest.count) })})`
            : ''}
        </p>
      )}
      {need > free && <p class="error">{t('offline.tooBig', { free: formatBytes(Math.max(0, free)) })}</p>}
      {problem && <p class="error">{problem}</p>}
      {progress ? (
        <>
          <ProgressLine p={progress} />
          <button type="button" class="secondary" onClick={() => abort.current?.abort()}>
            {t('offline.cancel')}
          </button>
        </>
      ) : (
        <p>
          <button
            type="submit"
            disabled={!window.isSecureContext || !manifest || !manifest.count || need > free}
          >
            {t('offline.download')}
          </button>{' '}
          <button type="button" class="secondary" onClick={() => navigate('/offline')}>
            {t('offline.cancel')}
          </button>
        </p>
      )}
    </form>
  );
}

function SetRow({ set, onChanged }: { set: TakeawaySet; onChanged(): void }) {
  const [progress, setProgress] = useState<Progress | null>(null);
  const run = async (): Promise<void> => {
    setProgress({ done: set.done, total: set.count, bytes: set.bytes });
    try {
      const before = set.etag;
      const after = await refreshSet(set.id, setProgress);
      showToast({
        text: t(after.etag === before && after.state === 'ready' ? 'offline.upToDate' : 'offline.updated', {
          name: set.name,
        }),
        kind: 'info',
      });
    } catch (e) {
      showToast({
        text: e instanceof ApiError && e.status === 0 ? t('offline.needOnline') : (e as Error).message,
        kind: 'error',
      });
    } finally {
      setProgress(null);
      onChanged();
    }
  };
  const drop = async (): Promise<void> => {
    if (!confirm(t('offline.dropConfirm', { name: set.name }))) return;
    await dropSet(set.id);
    onChanged();
  };
  return (
    <li class="offline-set" data-set={set.id} data-state={set.state}>
      <strong>{set.name}</strong>{' '}
      <span class="hint">
        {t('offline.set.summary', {
          n: formatNumber(set.count),
          size: formatBytes(set.bytes),
          state: t(`offline.set.state.${set.state}`),
        })}
        {set.problem === 'quota' || set.problem === 'network'
          ? ` — ${t(`offline.set.problem.${set.problem}`)}`
          : ''}
      </span>
      {progress && <ProgressLine p={progress} />}
      <span class="offline-set-actions">
        <button
          type="button"
          onClick={() => navigate(withQuery({ set: set.id, item: null, take: null }, ''))}
        >
          {t('offline.open')}
        </button>
        <button type="button" class="secondary" disabled={!!progress} onClick={() => void run()}>
          {set.state === 'ready' ? t('offline.update') : t('offline.resume')}
        </button>
        <button type="button" class="secondary" disabled={!!progress} onClick={() => void drop()}>
          {t('offline.drop')}
        </button>
      </span>
    </li>
  );
}

function ConflictList({
  conflicts,
  online,
  device,
  onChanged,
}: {
  conflicts: Conflict[];
  online: boolean;
  /** This tablet's id: its own conflicts say "this tablet". */
  device: string;
  onChanged(): void;
}) {
  if (!conflicts.length) return null;
  const settle = async (c: Conflict, choice: 'take-other' | 'keep'): Promise<void> => {
    const loser = c.winner === 'device' ? c.otherValue : c.deviceValue;
    try {
      if (online) await api('POST', `/api/sync/conflicts/${c.id}`, { choice });
      else if (choice === 'take-other') await takeOtherOffline(c, loser);
      else await (await offlineDb()).delete('conflicts', c.id);
      await syncNow();
    } catch (e) {
      showToast({ text: (e as Error).message, kind: 'error' });
    }
    onChanged();
  };
  return (
    <section class="offline-conflicts">
      <h2>{t('offline.conflicts')}</h2>
      <ul>
        {conflicts.map((c) => {
          const holds = c.winner === 'device' ? c.deviceValue : c.otherValue;
          const other = c.winner === 'device' ? c.otherValue : c.deviceValue;
          return (
            <li key={c.id} class="offline-conflict" data-conflict={c.id} data-item={c.item}>
              <img src={`/api/items/${c.item}/thumb`} alt="" width={48} height={48} />{' '}
              {t(c.device.endsWith(`:${device}`) ? 'offline.conflict.line' : 'offline.conflict.lineOther', {
                field: t(FIELD_LABEL[c.field] ?? 'edit.notes'),
                device: c.device.split(':').pop() ?? c.device,
                mine: valueText(c.field, c.deviceValue),
                other: valueText(c.field, c.otherValue),
                holds: valueText(c.field, holds),
              })}{' '}
              <button type="button" class="take-other" onClick={() => void settle(c, 'take-other')}>
                {t('offline.conflict.takeOther', { value: valueText(c.field, other) })}
              </button>{' '}
              <button type="button" class="secondary" onClick={() => void settle(c, 'keep')}>
                {t('offline.conflict.keep')}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function RefusedList({ refused, onChanged }: { refused: RefusedEdit[]; onChanged(): void }) {
  if (!refused.length) return null;
  return (
    <section class="offline-refused">
      <h2>{t('offline.refused')}</h2>
      <ul>
        {refused.map((r) => (
          <li key={r.hlc}>
            {t('offline.refused.line', {
              field: t(FIELD_LABEL[r.field] ?? 'edit.notes'),
              value: valueText(r.field, r.value),
              message: r.message,
            })}{' '}
            <button
              type="button"
              class="secondary"
              onClick={() => void dismissRefused(r.hlc).then(onChanged)}
            >
              {t('offline.dismiss')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** One set's items: a grid of thumbnails (from this tablet's cache), an item to edit. */
function SetView({ setId, itemId, canEdit }: { setId: string; itemId: string | null; canEdit: boolean }) {
  const [items, setList] = useState<Item[] | null>(null);
  const [set, setSet] = useState<TakeawaySet | null>(null);
  const [open, setOpen] = useState<Item | null>(null);
  useEffect(() => {
    void setItems(setId).then(setList);
    void offlineDb()
      .then((db) => db.get('sets', setId))
      .then((s) => setSet(s ?? null));
  }, [setId]);
  useEffect(() => {
    if (!itemId) return setOpen(null);
    void offlineItem(itemId).then((i) => setOpen(i ?? null));
  }, [itemId]);
  const replace = (item: Item): void => {
    setOpen((o) => (o?.id === item.id ? item : o));
    setList((l) => l?.map((i) => (i.id === item.id ? item : i)) ?? null);
  };
  const save = async (patch: AttributePatch): Promise<boolean> => {
    if (!open) return false;
    const { item, before } = await editOffline(open.id, patch);
    replace(item);
    showToast({
      text: t('offline.savedHere'),
      kind: 'info',
      action: {
        label: t('offline.undo'),
        run: () => void editOffline(item.id, before).then((r) => replace(r.item)),
      },
    });
    return true;
  };
  // As in the gallery's item view: 0-5 rate, arrows step, Esc goes back to the grid.
  const openRef = useRef<Item | null>(null);
  openRef.current = open;
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const cur = openRef.current;
      const target = e.target as HTMLElement | null;
      if (!cur || !items || target?.closest('input, textarea, select')) return;
      const at = items.findIndex((i) => i.id === cur.id);
      if (/^[0-5]$/.test(e.key) && canEdit) {
        e.preventDefault();
        void editOffline(cur.id, { rating: Number(e.key) }).then((r) => replace(r.item));
      } else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        const next = items[at + (e.key === 'ArrowRight' ? 1 : -1)];
        if (next) navigate(withQuery({ item: next.id }), true);
      } else if (e.key === 'Escape') navigate(withQuery({ item: null }));
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [items, canEdit]);
  const big = (i: Item): string =>
    (set?.level === 'thumbs' ? null : (i.links.preview ?? i.links.poster)) ?? i.links.thumb ?? '';
  return (
    <section class="offline-set-view" data-set={setId}>
      <p>
        <button type="button" class="secondary" onClick={() => navigate('/offline')}>
          {t('offline.back')}
        </button>{' '}
        {set && <strong>{set.name}</strong>}
      </p>
      {open ? (
        <div class="offline-item" data-item={open.id} data-rating={open.attributes.rating ?? ''}>
          <img class="offline-preview" src={big(open)} alt={open.originalName} />
          <p class="hint">
            {open.originalName} · {open.capturedAt ?? ''} · {open.monitor}
          </p>
          <AttributeForm key={open.id} attributes={open.attributes} canEdit={canEdit} onSave={save} />
          <button type="button" class="secondary" onClick={() => navigate(withQuery({ item: null }))}>
            {t('offline.back')}
          </button>
        </div>
      ) : (
        <ul class="offline-grid">
          {(items ?? []).map((i) => (
            <li key={i.id} data-item={i.id}>
              <a
                href={`/offline?set=${setId}&item=${i.id}`}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(withQuery({ item: i.id }));
                }}
              >
                <img src={i.links.thumb ?? ''} alt={i.originalName} loading="lazy" width={160} height={120} />
                {i.attributes.rating ? <span class="stars">{'★'.repeat(i.attributes.rating)}</span> : null}
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * The offline page: this tablet's take-away sets, the edits waiting to go to the station, and the
 * conflicts it reported. Works with the station out of reach (the app then shows only this page).
 */
export function OfflinePage({
  query,
  canEdit,
  offline,
}: {
  query: URLSearchParams;
  canEdit: boolean;
  offline: boolean;
}) {
  const [sets, setSets] = useState<TakeawaySet[] | null>(null);
  const [sync, setSync] = useState<SyncState | null>(null);
  const [conflicts, setConflicts] = useState<Conflict[]>([]);
  const [refused, setRefused] = useState<RefusedEdit[]>([]);
  const [storage, setStorage] = useState<StorageInfo | null>(null);
  const [tick, setTick] = useState(0);
  const [device, setDevice] = useState('');
  useEffect(() => {
    void deviceId().then(setDevice);
  }, []);
  const reload = (): void => setTick((n) => n + 1);
  useEffect(() => {
    void (async () => {
      setSets(await listSets());
      const db = await offlineDb();
      setConflicts((await db.getAll('conflicts')).filter((c) => c.resolvedAt === null));
      setRefused(await db.getAll('refused'));
      setStorage(await storageInfo());
    })();
  }, [tick]);
  useEffect(() => {
    startSync();
    return onSyncState((s) => {
      setSync(s);
      if (!s.running) reload();
    });
  }, []);
  const take = query.get('take');
  const takeIds = useMemo(() => {
    if (take !== 'selection') return undefined;
    try {
      const ids = JSON.parse(sessionStorage.getItem(TAKE_IDS_KEY) ?? '[]') as unknown;
      return Array.isArray(ids) ? ids.map(String) : [];
    } catch {
      return [];
    }
  }, [take]);
  const setId = query.get('set');
  const filterQuery = (): string => {
    const q = new URLSearchParams(query);
    q.delete('take');
    return q.toString();
  };
  const online = !offline && !sync?.offline;
  return (
    <div class="offline-page page">
      <h1>{t('offline.title')}</h1>
      {sync && <SyncBar s={sync} />}
      <Notes storage={storage} onPersist={() => void askPersist().then(reload)} />
      {setId ? (
        <SetView setId={setId} itemId={query.get('item')} canEdit={canEdit} />
      ) : (
        <>
          {take && !offline && (
            <NewSet
              query={take === 'selection' ? '' : filterQuery()}
              ids={takeIds}
              storage={storage}
              onDone={() => {
                navigate('/offline', true);
                reload();
              }}
            />
          )}
          <ConflictList conflicts={conflicts} online={online} device={device} onChanged={reload} />
          <RefusedList refused={refused} onChanged={reload} />
          <section>
            <h2>{t('offline.sets')}</h2>
            {!take && <p class="hint">{t('offline.intro')}</p>}
            {sets && !sets.length && <p class="hint">{t('offline.noSets')}</p>}
            <ul class="offline-sets">
              {(sets ?? []).map((s) => (
                <SetRow key={s.id} set={s} onChanged={reload} />
              ))}
            </ul>
          </section>
        </>
      )}
      <ToastView />
    </div>
  );
}
