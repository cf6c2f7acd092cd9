import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ItemList } from '../item-list';
import { useDragSelect } from '../drag-select';
import { useLongPress } from '../gestures';
import { firstRowAt, indicesInRect, layoutRows, NO_DATE } from '../layout';
import { language, t } from '../i18n';
import { Thumb } from './Thumb';
import type { Item } from '../types';

interface Props {
  list: ItemList;
  /** What to show of the list (bursts folded into stacks); default: every loaded item. */
  items?: Item[];
  /** Cover id → frame count and whether it is unfolded, for the stacks among `items`. */
  stacks?: Map<string, { count: number; open: boolean }>;
  onToggleStack?(coverId: string): void;
  selected: Set<string>;
  onOpen(index: number, e: MouseEvent): void;
  onSelect(index: number, e: MouseEvent): void;
  /** A mouse drag over the grid: the items it covered; `additive` when shift/ctrl/cmd was held. */
  onDragSelect(indices: number[], additive: boolean): void;
  /** A finger held on a cell (touch): select it, as photo apps do. */
  onLongPress(index: number): void;
}

const TARGET_CELL = 150;
/** Rows kept rendered above and below the viewport (in viewport heights). */
const OVERSCAN = 0.75;
/** Load the next page when this close (in viewport heights) to the end of what is loaded. */
const PREFETCH = 2;
/** How long an unscrolled grid leaves the link to the first screen's thumbnails. */
const FIRST_SCREEN_GRACE_MS = 1500;

const dateLabel = (d: string): string => {
  const t = new Date(`${d}T12:00:00`);
  return Number.isNaN(t.getTime())
    ? d
    : t.toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
};

/**
 * The virtualised gallery: only the rows in (and near) view are in the DOM; the scroll height
 * comes from the pure layout, so scrolling stays smooth with 100,000 items.
 */
export function Grid({
  list,
  items: shown,
  stacks,
  onToggleStack,
  selected,
  onOpen,
  onSelect,
  onDragSelect,
  onLongPress,
}: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 800, width: 1000 });

  useEffect(() => {
    const el = ref.current!;
    let frame = 0;
    const measure = (): void => {
      frame = 0;
      setView({ top: el.scrollTop, height: el.clientHeight, width: el.clientWidth });
    };
    const onScroll = (): void => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    el.addEventListener('scroll', onScroll, { passive: true });
    measure();
    return () => {
      ro.disconnect();
      el.removeEventListener('scroll', onScroll);
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);

  // A new filter starts at the top.
  useEffect(() => {
    if (ref.current) ref.current.scrollTop = 0;
  }, [list]);

  const columns = Math.max(2, Math.floor(view.width / TARGET_CELL));
  const cell = Math.floor(view.width / columns);
  const items = shown ?? list.items;
  const { rows, height } = useMemo(() => layoutRows(items, columns, cell), [items, columns, cell]);

  const geometry = useRef({ rows, cell });
  geometry.current = { rows, cell };
  useLongPress(ref, '.cell', (cell) => onLongPress(Number((cell as HTMLElement).dataset['index'])));
  const lasso = useDragSelect(ref, (rect, additive) =>
    onDragSelect(indicesInRect(geometry.current.rows, geometry.current.cell, rect), additive),
  );

  const from = firstRowAt(rows, Math.max(0, view.top - view.height * OVERSCAN));
  const to = firstRowAt(rows, view.top + view.height * (1 + OVERSCAN));
  const visible = rows.slice(from, to + 1);

  useEffect(() => {
    if (list.done || list.loading || list.error || view.top + view.height * (1 + PREFETCH) < height) return;
    // Reading ahead while the first screen's thumbnails still arrive would share a slow link with
    // them: unscrolled, the next page waits a moment (the end of what is loaded is still far).
    const early = view.top === 0 && view.height * 1.5 < height;
    if (!early) return void list.more();
    const t = setTimeout(() => void list.more(), FIRST_SCREEN_GRACE_MS);
    return () => clearTimeout(t);
  }, [list, list.loading, view.top, view.height, height]);

  return (
    <div class="grid-scroll" ref={ref}>
      <div class="grid-canvas" style={{ height: `${height}px` }}>
        {lasso && (
          <div
            class="lasso"
            style={{
              left: `${Math.min(lasso.x0, lasso.x1)}px`,
              top: `${Math.min(lasso.y0, lasso.y1)}px`,
              width: `${Math.abs(lasso.x1 - lasso.x0)}px`,
              height: `${Math.abs(lasso.y1 - lasso.y0)}px`,
            }}
          />
        )}
        {visible.map((r) =>
          r.kind === 'header' ? (
            <h2 key={`h${r.date}`} class="day" style={{ top: `${r.top}px`, height: `${r.height}px` }}>
              {r.date === NO_DATE ? (
                <>
                  {t('gallery.noDate')}{' '}
                  <small>
                    {r.count} · {t('gallery.noDateHint')}
                  </small>
                </>
              ) : (
                <>
                  {dateLabel(r.date)} <small>{r.count}</small>
                </>
              )}
            </h2>
          ) : (
            <div key={`r${r.start}`} class="row" style={{ top: `${r.top}px`, height: `${r.height}px` }}>
              {items.slice(r.start, r.end).map((it, k) => (
                <Thumb
                  key={it.id}
                  item={it}
                  index={r.start + k}
                  size={cell}
                  onScreen={r.top < view.top + view.height && r.top + r.height > view.top}
                  selected={selected.has(it.id)}
                  stack={stacks?.get(it.id)}
                  onToggleStack={onToggleStack}
                  onOpen={onOpen}
                  onSelect={onSelect}
                />
              ))}
            </div>
          ),
        )}
      </div>
      <p class="grid-foot">
        {list.error ? (
          <>
            {t('grid.loadFailed', { message: list.error })}{' '}
            <button type="button" class="secondary" onClick={() => void list.more()}>
              {t('grid.retry')}
            </button>
          </>
        ) : list.loading ? (
          t('grid.loading')
        ) : list.done ? (
          items.length ? (
            t('grid.count', { n: list.items.length.toLocaleString(language()) })
          ) : (
            t('grid.none')
          )
        ) : (
          ''
        )}
      </p>
    </div>
  );
}
