import { useEffect, useMemo, useState } from 'preact/hooks';
import { listItems } from './api';
import { apiQuery, type Filters } from './filters';
import type { Attributes, Item } from './types';

const PAGE = 200;

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
      const extra: Record<string, string> = { limit: String(PAGE) };
      if (this.cursor) extra.cursor = this.cursor;
      const page = await listItems(apiQuery(this.filters, extra));
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
