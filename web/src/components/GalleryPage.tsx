import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  batchPatch,
  deleteRejected,
  getItem,
  patchItem,
  shiftTimes,
  undoChanges,
  type ShiftResult,
  type BatchOptions,
  type UndoChange,
} from '../api';
import { t } from '../i18n';
import { showToast } from '../toast';
import { apiQuery, filtersFrom } from '../filters';
import { useItemList } from '../item-list';
import { navigate, withQuery } from '../router';
import { formatOffset } from '../../../src/core/time-shift';
import { useSelection } from '../selection';
import type { AttributePatch, Item } from '../types';
import { BulkBar } from './BulkBar';
import { TAKE_IDS_KEY } from '../offline/flag';
import { ClockFixDialog, type ClockTarget } from './ClockFixDialog';
import { FilterBar } from './FilterBar';
import { GeotagPanel } from './GeotagPanel';
import { Grid } from './Grid';
import type { Pending } from './AttributeForm';
import { ItemView } from './ItemView';
import { useLazy } from '../lazy';
import { stackBursts, withBursts } from '../stacks';
import { downloadPost, downloadZip } from '../export';
import { ToastView } from './ToastView';

/** The batch endpoint's limit (BATCH_MAX_IDS). */
const MAX_BATCH = 5000;

const typing = (t: EventTarget | null): boolean =>
  t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));

/** How long an edit can be undone from its toast or with Ctrl/Cmd+Z. */
const UNDO_MS = 10 * 60_000;

type Attrs = Item['attributes'];
const FIELDS = ['event', 'location', 'rating', 'priority', 'rejected', 'tags', 'notes'] as const;
/** A field's value as an edit sets it (`rejected` is absent from attributes when false). */
const valueOf = (a: Attrs, f: (typeof FIELDS)[number]): unknown =>
  f === 'rejected' ? a.rejected === true : a[f];

/** The fields of one item an edit changed, with the value before and after (what undo needs). */
function changesOf(id: string, before: Attrs, after: Attrs): UndoChange[] {
  return FIELDS.filter((f) => JSON.stringify(valueOf(before, f)) !== JSON.stringify(valueOf(after, f))).map(
    (field) => ({
      id,
      field,
      set: valueOf(after, field),
      previous: valueOf(before, field),
    }),
  );
}

const STACKING_KEY = 'outpost.stackBursts';
/** Bursts are stacked unless this tablet was told otherwise. */
function readStacking(): boolean {
  try {
    return localStorage.getItem(STACKING_KEY) !== 'off';
  } catch {
    return true;
  }
}
function saveStacking(on: boolean): void {
  try {
    localStorage.setItem(STACKING_KEY, on ? 'on' : 'off');
  } catch {
    /* storage blocked: this visit only */
  }
}

const errorText = (e: Error): string => t('edit.notSaved', { message: e.message });

/**
 * Gallery + filters + selection + the item view (its id in the URL: `?item=<id>`).
 * `canEdit` false (viewers): everything is shown read-only and the edit keys do nothing.
 */
export function GalleryPage({ query, canEdit = true }: { query: URLSearchParams; canEdit?: boolean }) {
  const filters = filtersFrom(query);
  const list = useItemList(filters);
  const sel = useSelection();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const openId = query.get('item');
  const compareIds = (query.get('compare') ?? '').split(',').filter(Boolean);
  const CompareView = useLazy(async () => (await import('./Compare')).Compare, compareIds.length > 1);
  const [fetched, setFetched] = useState<Item | null>(null);

  const index = openId ? list.indexOf(openId) : -1;
  const open: Item | null = index >= 0 ? list.items[index]! : fetched?.id === openId ? fetched : null;

  // Opened from a link before its page is loaded: fetch it alone.
  useEffect(() => {
    if (openId && index < 0 && fetched?.id !== openId)
      getItem(openId)
        .then((it) => {
          setFetched(it);
          // A short id (a unique prefix, as `outpost ls` prints): the URL gets the full one.
          if (it.id !== openId) navigate(withQuery({ item: it.id }), true);
        })
        .catch(() => navigate(withQuery({ item: null }), true));
  }, [openId, index]);

  // A new filter: the old selection no longer means anything.
  const filterKey = JSON.stringify(filters);
  useEffect(() => sel.clear(), [filterKey]);

  // Bursts folded into stacks (a choice remembered on this tablet); unfolded ones show every frame.
  const [stacking, setStacking] = useState(() => readStacking());
  const [unfolded, setUnfolded] = useState<Set<string>>(new Set());
  const view = useMemo(() => stackBursts(list.items, unfolded, stacking), [list.items, unfolded, stacking]);
  const stackInfo = useMemo(
    () =>
      new Map(
        [...view.bursts].map(([cover, ids]) => [cover, { count: ids.length, open: unfolded.has(cover) }]),
      ),
    [view, unfolded],
  );
  const toggleStack = (cover: string): void =>
    setUnfolded((u) => {
      const next = new Set(u);
      if (next.has(cover)) next.delete(cover);
      else next.add(cover);
      return next;
    });
  /** What acting on shown item(s) means: a folded stack stands for all its frames. */
  const framesOf = (shownIds: string[]): string[] => withBursts(shownIds, view.bursts, unfolded);
  const ids = (): string[] => view.shown.map((i) => i.id);
  const openAt = (i: number, replace = false): void => {
    const it = list.items[i];
    if (it) navigate(withQuery({ item: it.id }), replace);
  };
  const pending = useRef<Pending | null>(null);
  const undoable = useRef<{ changes: UndoChange[]; at: number } | null>(null);

  const undo = (): void => {
    const u = undoable.current;
    undoable.current = null;
    if (!u || Date.now() - u.at > UNDO_MS) return;
    undoChanges(u.changes)
      .then((r) => {
        for (const it of r.items) updatedAttrs(it.id, it.attributes);
        showToast({
          text: r.skipped.length ? t('edit.undoSkipped', { n: String(r.skipped.length) }) : t('edit.undone'),
          kind: 'info',
        });
      })
      .catch((e: Error) => showToast({ text: t('edit.undoFailed', { message: e.message }), kind: 'error' }));
  };
  const offerUndo = (changes: UndoChange[], text: string): void => {
    if (changes.length) undoable.current = { changes, at: Date.now() };
    showToast({
      text,
      kind: 'info',
      action: changes.length ? { label: t('edit.undo'), run: undo } : undefined,
    });
  };

  /** Save a patch of one item: the result (or the error) in a toast, with Undo. */
  const saveOne = (it: Item, patch: AttributePatch): Promise<boolean> =>
    patchItem(it.id, patch).then(
      (u) => {
        updated(u);
        offerUndo(changesOf(it.id, it.attributes, u.attributes), t('edit.saved'));
        return true;
      },
      (e: Error) => {
        showToast({ text: errorText(e), kind: 'error' });
        return false;
      },
    );

  /** Before leaving the open item: save what was typed and not saved (or stay, to fix it). */
  const leave = async (): Promise<boolean> => {
    const p = pending.current?.();
    if (!p || !open) return true;
    if ('problem' in p) {
      showToast({ text: p.problem as string, kind: 'error' });
      return false;
    }
    const ok = await saveOne(open, p);
    if (ok) {
      const changes = undoable.current?.changes ?? [];
      offerUndo(changes, t('edit.savedOnLeave', { name: open.originalName }));
    }
    return ok;
  };

  const close = (): void => {
    void leave().then((ok) => ok && navigate(withQuery({ item: null })));
  };
  const step = async (delta: number): Promise<void> => {
    if (!(await leave())) return;
    const next = index + delta;
    if (next >= list.items.length && !list.done) await list.more();
    if (next >= 0 && next < list.items.length) openAt(next, true);
  };

  const updatedAttrs = (id: string, attributes: Attrs): void => {
    list.update(id, attributes);
    setFetched((f) => (f?.id === id ? { ...f, attributes } : f));
  };
  const updated = (it: Item): void => updatedAttrs(it.id, it.attributes);

  const applyBatch = (patch: AttributePatch, opts: BatchOptions = {}): void => {
    const chosen = [...sel.ids];
    if (!chosen.length) return;
    setBusy(true);
    setMessage('');
    batchPatch(chosen, patch, opts)
      .then((r) => {
        for (const u of r.items) list.update(u.id, u.attributes);
        const text = [
          t('edit.updated', { n: String(r.updated) }),
          r.skippedOwnGps ? t('edit.ownGpsSkipped', { n: String(r.skippedOwnGps) }) : '',
        ]
          .filter(Boolean)
          .join(' ');
        setMessage(text);
        offerUndo(
          r.items.flatMap((u) => changesOf(u.id, u.before, u.attributes)),
          text,
        );
      })
      .catch((e: Error) => showToast({ text: errorText(e), kind: 'error' }))
      .finally(() => setBusy(false));
  };

  /** The selection or card whose camera clock is being fixed (the dialog is open). */
  const [clockFix, setClockFix] = useState<{ target: ClockTarget; anchor: Item | undefined } | null>(null);
  const clockFixed = (target: ClockTarget, r: ShiftResult): void => {
    setClockFix(null);
    list.reset();
    const offset = formatOffset(r.byMs);
    showToast({
      text: t('clockfix.done', { n: String(r.items), offset }),
      kind: 'info',
      action: {
        label: t('edit.undo'),
        run: () =>
          void shiftTimes({
            ...('card' in target ? { card: target.card } : { ids: target.ids }),
            byMs: -r.byMs,
          }).then(
            () => list.reset(),
            (e: Error) => showToast({ text: t('clockfix.failed', { message: e.message }), kind: 'error' }),
          ),
      },
    });
  };

  /** Delete the selection's rejected items: what would go is asked first, the only-copy risk apart. */
  const deleteSelected = async (): Promise<void> => {
    const chosen = [...sel.ids];
    setBusy(true);
    try {
      const plan = await deleteRejected(chosen, { dryRun: true });
      if (plan.items === 0) {
        showToast({ text: t('reject.noneRejected'), kind: 'error' });
        return;
      }
      const question = [
        t('reject.confirm', { count: String(plan.items) }),
        plan.onlyCopyCount ? t('reject.onlyCopy', { count: String(plan.onlyCopyCount) }) : '',
      ]
        .filter(Boolean)
        .join('\n');
      if (!confirm(question)) return;
      const confirmOnlyCopy =
        plan.onlyCopyCount > 0 &&
        confirm(`${t('reject.onlyCopy.confirm', { count: String(plan.onlyCopyCount) })}?`);
      const r = await deleteRejected(chosen, { confirmOnlyCopy });
      const kept = new Set(r.notRejected);
      list.remove(chosen.filter((id) => !kept.has(id)));
      sel.clear();
      showToast({
        text: [
          t('reject.deleted', { count: String(r.items) }),
          r.keptOnlyCopy ? t('reject.kept', { count: String(r.keptOnlyCopy) }) : '',
        ]
          .filter(Boolean)
          .join(' '),
        kind: 'info',
      });
    } catch (e) {
      showToast({ text: t('reject.failed', { message: (e as Error).message }), kind: 'error' });
    } finally {
      setBusy(false);
    }
  };

  const selectAll = (): void => {
    setBusy(true);
    list
      .allIds(MAX_BATCH)
      .then((all) => {
        sel.set(all);
        setMessage(list.done ? '' : t('gallery.selectedFirst', { n: String(all.length) }));
      })
      .finally(() => setBusy(false));
  };

  // Keys: rating 0-5 on the open item or the selection, arrows and Esc in the item view.
  // Viewers: no edit keys at all (the server would refuse the edit).
  const keyState = useRef({ open, step, close, applyBatch, saveOne, undo, canEdit, count: sel.ids.size });
  keyState.current = { open, step, close, applyBatch, saveOne, undo, canEdit, count: sel.ids.size };
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const k = keyState.current;
      if (typing(e.target)) return;
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'z') {
        if (!k.canEdit) return;
        e.preventDefault();
        k.undo();
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (/^[0-5]$/.test(e.key)) {
        if (!k.canEdit) return;
        const rating = Number(e.key);
        if (k.open) void k.saveOne(k.open, { rating });
        else if (k.count) k.applyBatch({ rating });
        else return;
      } else if (e.key === 'x' || e.key === 'u') {
        // x rejects (again on a rejected open item: un-rejects), u un-rejects.
        if (!k.canEdit) return;
        const rejected = e.key === 'x' && !(k.open?.attributes.rejected === true);
        if (k.open) void k.saveOne(k.open, { rejected });
        else if (k.count) k.applyBatch({ rejected });
        else return;
      } else if (k.open && e.key === 'ArrowRight') void k.step(1);
      else if (k.open && e.key === 'ArrowLeft') void k.step(-1);
      else if (k.open && e.key === 'Escape') k.close();
      else return;
      e.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  /** Select or unselect the shown item at `i` (a folded stack: all its frames at once). */
  const pickShown = (i: number, range: boolean): void => {
    const it = view.shown[i];
    if (!it) return;
    const frames = framesOf([it.id]);
    if (frames.length === 1) return sel.pick(i, ids(), range);
    if (sel.ids.has(it.id)) sel.set([...sel.ids].filter((id) => !frames.includes(id)));
    else sel.addMany(frames, false);
  };
  const onOpen = (i: number, e: MouseEvent): void => {
    if (e.shiftKey || e.ctrlKey || e.metaKey || sel.ids.size > 0) pickShown(i, e.shiftKey);
    else {
      const it = view.shown[i];
      if (it) navigate(withQuery({ item: it.id }));
    }
  };
  const onSelect = (i: number, e: MouseEvent): void => pickShown(i, e.shiftKey);

  return (
    <div class="gallery-page">
      {clockFix && (
        <ClockFixDialog
          target={clockFix.target}
          anchor={clockFix.anchor}
          onClose={() => setClockFix(null)}
          onDone={(r) => clockFixed(clockFix.target, r)}
        />
      )}
      <FilterBar filters={filters} />
      {sel.ids.size > 0 ? (
        // Floats over the bottom of the grid (as photo apps do) only while something is selected.
        <div class="bulk-float">
          <BulkBar
            count={sel.ids.size}
            ownGps={list.items.filter((i) => i.gps && sel.ids.has(i.id)).length}
            busy={busy}
            message={message}
            onApply={applyBatch}
            onSelectAll={selectAll}
            onClear={sel.clear}
            onCompare={() => navigate(withQuery({ compare: [...sel.ids].slice(0, 4).join(',') }))}
            onExportCsv={() =>
              void downloadPost(
                '/api/export/csv',
                { ids: [...sel.ids] },
                `outpost-${sel.ids.size}-items.csv`,
              ).catch((e: Error) =>
                showToast({ text: t('gallery.exportFailed', { message: e.message }), kind: 'error' }),
              )
            }
            onDeleteRejected={canEdit ? () => void deleteSelected() : undefined}
            onFixClock={
              canEdit
                ? () => {
                    const ids = [...sel.ids];
                    // The true time may be given for the first photo picked.
                    const first = list.items.find((i) => i.id === ids[0]);
                    setClockFix({ target: { ids }, anchor: first });
                  }
                : undefined
            }
            onTakeOffline={() => {
              sessionStorage.setItem(TAKE_IDS_KEY, JSON.stringify([...sel.ids]));
              navigate('/offline?take=selection');
            }}
            onExportZip={(content) =>
              void downloadZip([...sel.ids], content).then(
                (n) => showToast({ text: t('export.zipStarted', { n: String(n) }), kind: 'info' }),
                (e: Error) =>
                  showToast({ text: t('export.zipFailed', { message: e.message }), kind: 'error' }),
              )
            }
          />
        </div>
      ) : (
        <div class="toolbar">
          <button type="button" class="secondary" disabled={busy} onClick={selectAll}>
            {t('export.selectAll')}
          </button>
          <label class="check">
            <input
              type="checkbox"
              name="stack-bursts"
              checked={stacking}
              onChange={(e) => {
                const on = (e.target as HTMLInputElement).checked;
                saveStacking(on);
                setStacking(on);
              }}
            />
            {t('gallery.stackBursts')}
          </label>
          <button
            type="button"
            class="secondary take-offline"
            onClick={() => navigate(`/offline?take=filter&${apiQuery(filters).toString()}`)}
          >
            {t('offline.takeOffline')}
          </button>
          {message && <span role="status">{message}</span>}
          <GeotagPanel
            filters={filters}
            onApplied={(items) => items.forEach((u) => list.update(u.id, u.attributes))}
          />
        </div>
      )}
      <Grid
        list={list}
        selected={sel.ids}
        onOpen={onOpen}
        onSelect={onSelect}
        items={view.shown}
        stacks={stackInfo}
        onToggleStack={toggleStack}
        onLongPress={(i) => pickShown(i, false)}
        onDragSelect={(indices, additive) => {
          const all = ids();
          sel.addMany(framesOf(indices.map((i) => all[i]!).filter(Boolean)), !additive);
        }}
      />
      {open && (
        <ItemView
          item={open}
          position={
            index >= 0
              ? t('item.position', {
                  n: String(index + 1),
                  total: `${list.items.length}${list.done ? '' : '+'}`,
                })
              : ''
          }
          canEdit={canEdit}
          onFixClock={
            canEdit && open.cardId
              ? () => setClockFix({ target: { card: open.cardId!, cardLabel: open.cardId! }, anchor: open })
              : undefined
          }
          onClose={close}
          onStep={(d) => void step(d)}
          onSave={saveOne}
          pending={pending}
        />
      )}
      {CompareView && compareIds.length > 1 && (
        <CompareView ids={compareIds} onClose={() => navigate(withQuery({ compare: null }))} />
      )}
      <ToastView />
    </div>
  );
}
