import { useEffect, useRef, useState } from 'preact/hooks';
import { batchPatch, getItem, patchItem } from '../api';
import { filtersFrom } from '../filters';
import { useItemList } from '../item-list';
import { navigate, withQuery } from '../router';
import { useSelection } from '../selection';
import type { AttributePatch, Item } from '../types';
import { BulkBar } from './BulkBar';
import { FilterBar } from './FilterBar';
import { GeotagPanel } from './GeotagPanel';
import { Grid } from './Grid';
import { ItemView } from './ItemView';

/** The batch endpoint's limit (BATCH_MAX_IDS). */
const MAX_BATCH = 5000;

const typing = (t: EventTarget | null): boolean =>
  t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));

/** Gallery + filters + selection + the item view (its id in the URL: `?item=<id>`). */
export function GalleryPage({ query }: { query: URLSearchParams }) {
  const filters = filtersFrom(query);
  const list = useItemList(filters);
  const sel = useSelection();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const openId = query.get('item');
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

  const ids = (): string[] => list.items.map((i) => i.id);
  const openAt = (i: number, replace = false): void => {
    const it = list.items[i];
    if (it) navigate(withQuery({ item: it.id }), replace);
  };
  const close = (): void => navigate(withQuery({ item: null }));
  const step = async (delta: number): Promise<void> => {
    const next = index + delta;
    if (next >= list.items.length && !list.done) await list.more();
    if (next >= 0 && next < list.items.length) openAt(next, true);
  };

  const updated = (it: Item): void => {
    list.update(it.id, it.attributes);
    if (fetched?.id === it.id) setFetched(it);
  };

  const applyBatch = (patch: AttributePatch): void => {
    const chosen = [...sel.ids];
    if (!chosen.length) return;
    setBusy(true);
    setMessage('');
    batchPatch(chosen, patch)
      .then((r) => {
        for (const u of r.items) list.update(u.id, u.attributes);
        setMessage(`${r.updated} updated`);
      })
      .catch((e: Error) => setMessage(`Not saved: ${e.message}`))
      .finally(() => setBusy(false));
  };

  const selectAll = (): void => {
    setBusy(true);
    list
      .allIds(MAX_BATCH)
      .then((all) => {
        sel.set(all);
        setMessage(list.done ? '' : `Selected the first ${all.length}`);
      })
      .finally(() => setBusy(false));
  };

  // Keys: rating 0-5 on the open item or the selection, arrows and Esc in the item view.
  const keyState = useRef({ open, step, close, applyBatch, updated, count: sel.ids.size });
  keyState.current = { open, step, close, applyBatch, updated, count: sel.ids.size };
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const k = keyState.current;
      if (/^[0-5]$/.test(e.key)) {
        const rating = Number(e.key);
        if (k.open) {
          const id = k.open.id;
          patchItem(id, { rating })
            .then(k.updated)
            .catch((err: Error) => setMessage(`Not saved: ${err.message}`));
        } else if (k.count) k.applyBatch({ rating });
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

  const onOpen = (i: number, e: MouseEvent): void => {
    if (e.shiftKey || e.ctrlKey || e.metaKey || sel.ids.size > 0) sel.pick(i, ids(), e.shiftKey);
    else openAt(i);
  };
  const onSelect = (i: number, e: MouseEvent): void => sel.pick(i, ids(), e.shiftKey);

  return (
    <div class="gallery-page">
      <FilterBar filters={filters} />
      {sel.ids.size > 0 ? (
        // Floats over the bottom of the grid (as photo apps do) only while something is selected.
        <div class="bulk-float">
          <BulkBar
            count={sel.ids.size}
            busy={busy}
            message={message}
            onApply={applyBatch}
            onSelectAll={selectAll}
            onClear={sel.clear}
          />
        </div>
      ) : (
        <div class="toolbar">
          <button type="button" class="secondary" disabled={busy} onClick={selectAll}>
            Select all in filter
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
        onDragSelect={(indices, additive) => {
          const all = ids();
          sel.addMany(indices.map((i) => all[i]!).filter(Boolean), !additive);
        }}
      />
      {open && (
        <ItemView
          item={open}
          position={index >= 0 ? `${index + 1} of ${list.items.length}${list.done ? '' : '+'}` : ''}
          onClose={close}
          onStep={(d) => void step(d)}
          onUpdated={updated}
        />
      )}
    </div>
  );
}
