import type { Item } from './types';

export const HEADER_HEIGHT = 40;

export type Row =
  | { kind: 'header'; top: number; height: number; date: string; count: number }
  | { kind: 'items'; top: number; height: number; start: number; end: number };

/** The undated group's key: items without a capture date (listed after the dated ones). */
export const NO_DATE = '';

/** Camera-local capture date of an item (its sort time's date part); NO_DATE without one. */
export const dayOf = (it: Item): string => (it.capturedAt ? it.sortTime.slice(0, 10) : NO_DATE);

/**
 * The gallery as rows: a header per capture date, then rows of `columns` cells. Pure, so the grid
 * can render only the rows in view (100,000 items are ~2,000 rows of plain numbers).
 */
export function layoutRows(items: Item[], columns: number, cell: number): { rows: Row[]; height: number } {
  const rows: Row[] = [];
  let top = 0;
  let i = 0;
  while (i < items.length) {
    const date = dayOf(items[i]!);
    let j = i;
    while (j < items.length && dayOf(items[j]!) === date) j++;
    rows.push({ kind: 'header', top, height: HEADER_HEIGHT, date, count: j - i });
    top += HEADER_HEIGHT;
    for (let s = i; s < j; s += columns) {
      rows.push({ kind: 'items', top, height: cell, start: s, end: Math.min(s + columns, j) });
      top += cell;
    }
    i = j;
  }
  return { rows, height: top };
}

/** Index of the first row whose bottom is below `y` (binary search). */
export function firstRowAt(rows: Row[], y: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = rows[mid]!;
    if (r.top + r.height <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A rectangle in grid-canvas pixels (any corner order). */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Indices of the items whose cells a rectangle touches (drag-selection). From the layout alone,
 * so it also counts cells scrolled out of the DOM while dragging.
 */
export function indicesInRect(rows: Row[], cell: number, r: Rect): number[] {
  const top = Math.min(r.y0, r.y1);
  const bottom = Math.max(r.y0, r.y1);
  const c0 = Math.floor(Math.max(0, Math.min(r.x0, r.x1)) / cell);
  const c1 = Math.floor(Math.max(0, Math.max(r.x0, r.x1)) / cell);
  const out: number[] = [];
  for (let i = firstRowAt(rows, top); i < rows.length; i++) {
    const row = rows[i]!;
    if (row.top > bottom) break;
    if (row.kind !== 'items') continue;
    for (let c = c0; c <= c1 && row.start + c < row.end; c++) out.push(row.start + c);
  }
  return out;
}
