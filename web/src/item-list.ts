import { useEffect, useMemo, useState } from 'preact/hooks';
import { listItems } from './api';
import { hasBootItems, takeBootItems } from './boot';
import { apiQuery, type Filters } from './filters';
import type { Attributes, Item, ItemPage } from './types';

/** The first page fills a tablet's screen or two (it is what a slow link waits for); later ones are larger. */
const FIRST_PAGE = 100;
const PAGE = 200;

let early: { key: string; page: Promise<ItemPage | null> } | undefined;

/**
 * Ask for the gallery's first page while the app still checks who is logged in: on a slow,
 * far link (1 Mbit/s, 300 ms) that is one round trip less before the first thumbnails. The first
 * list with the same query takes it; a refusal (not logged in) or a failure is dropped and the
 * list asks again through the API, which reports it.
 */
export function prefetchFirstPage(filters: Filters): void {
  const q = apiQuery(filters, { limit: String(FIRST_PAGE) });
  if (hasBootItems()) return; // the page came with it
  early = {
    key: q.toString(),
    page: fetch(`/api/items?${q}`, {
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
    }).then(
      (r) => (r.ok ? (r.json() as Promise<ItemPage>) : null),
      () => null,
    ),
  };
}

function takeEarly(q: URLSearchParams): Promise<ItemPage | null> | undefined {
  const booted = takeBootItems(q);
  if (booted) return Promise.resolve(booted);
  const e = early;
  early = undefined;
  return e?.key === q.toString() ? e.page : undefined;
}

/**
 * The items of one filter, loaded a page at a time (cursor paging) as the gallery scrolls.
 * A new filter makes a new list; stale pages of an old one are dropped.
 */
export class ItemList {
  items: Item[] = [];
  cursor: string | null = null;
  done = false;
  loading = false;
  error: string | null = null;
  private listeners = new Set<() => void>();
  private index = new Map<string, number>();
  private closed = false;

  constructor(readonly filters: Filters) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
  }

  indexOf(id: string): number {
    return this.index.get(id) ?? -1;
  }

  /** Load the next page unless one is loading or the list is complete. */
  async more(): Promise<void> {
    if (this.loading || this.done || this.closed) return;
    this.loading = true;
    this.error = null;
    this.emit();
    try {
      const extra: Record<string, string> = { limit: String(this.cursor ? PAGE : FIRST_PAGE) };
      if (this.cursor) extra.cursor = this.cursor;
      const q = apiQuery(this.filters, extra);
      const page = (await takeEarly(q)) ?? (await listItems(q));
      if (this.closed) return;
      for (const it of page.items) {
        if (this.index.has(it.id)) continue;
        this.index.set(it.id, this.items.length);
        this.items.push(it);
      }
      this.items = this.items.slice(); // new identity: memoised layouts recompute
      this.cursor = page.nextCursor;
      this.done = page.nextCursor === null;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.loading = false;
      this.emit();
    }
  }

  /** Every id of the filter (select all): the loaded ones, then the rest paged through. */
  async allIds(max: number): Promise<string[]> {
    while (!this.done && this.items.length < max && !this.error) await this.more();
    return this.items.slice(0, max).map((i) => i.id);
  }

  /** Start again from the first page (capture times changed: the order did too). */
  reset(): void {
    this.items = [];
    this.index = new Map();
    this.cursor = null;
    this.done = false;
    this.error = null;
    this.emit();
    void this.more();
  }

  /** Items deleted: out of the list at once. */
  remove(ids: Iterable<string>): void {
    const gone = new Set(ids);
    this.items = this.items.filter((it) => !gone.has(it.id));
    this.index = new Map(this.items.map((it, i) => [it.id, i]));
    this.emit();
  }

  /** New attributes from a PATCH or batch answer. */
  update(id: string, attributes: Attributes): void {
    const i = this.index.get(id);
    if (i === undefined) return;
    const it = this.items[i]!;
    this.items[i] = { ...it, attributes };
    this.items = this.items.slice();
    this.emit();
  }
}

/** The list of the current filters, re-rendering the caller on every change. */
export function useItemList(filters: Filters): ItemList {
  const key = JSON.stringify(filters);
  const list = useMemo(() => new ItemList(filters), [key]);
  const [, setTick] = useState(0);
  useEffect(() => {
    const off = list.subscribe(() => setTick((t) => t + 1));
    void list.more();
    return () => {
      off();
      list.close();
    };
  }, [list]);
  return list;
}
