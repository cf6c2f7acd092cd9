import type { Catalog } from '../library/catalog/open.js';
import { itemOpsAfter, lastOpSeq } from '../library/catalog/station-ops.js';
import { catalogueVersion, storedItemsMark } from '../library/catalog/uplink-items.js';
import { transferKey, type Journal, type JournalRow } from './journal.js';

/** Rating and priority changes, tombstones: what can reorder or cancel the queue. */
const WATCHED_FIELDS = new Set(['rating', 'priority', 'deleted']);

export interface QueueChanges {
  /** Transfers that are no longer open (their item was deleted): out of the queue. */
  closed: string[];
  /** Open journal rows to track: new ones, and known ones whose rating or priority changed. */
  open: JournalRow[];
  /** Every open row after new items were queued: the ones not tracked yet are new. */
  added: JournalRow[];
}

/**
 * Watches the catalogue other connections write (the web app, ingest) for what changes the
 * uplink's queue: ratings and priorities, deletions, new stored items. Cheap when nothing
 * changed: one read of the catalogue's data version.
 */
export class CatalogueWatcher {
  private dataVersion = -1;
  private lastOpSeq = 0;
  private lastItemMark = '';

  constructor(
    private readonly catalog: Catalog,
    private readonly journal: Journal,
    private readonly nowIso: () => string,
  ) {}

  /** Bring the journal up to date and answer every open transfer; later changes come from `poll`. */
  start(): JournalRow[] {
    const now = this.nowIso();
    this.journal.cancelDeleted(now);
    this.journal.enqueueNew(now);
    const open = this.journal.open();
    this.lastOpSeq = lastOpSeq(this.catalog);
    this.lastItemMark = storedItemsMark(this.catalog);
    this.dataVersion = catalogueVersion(this.catalog);
    return open;
  }

  /** What changed since the last look; undefined when the catalogue did not change at all. */
  poll(): QueueChanges | undefined {
    const v = catalogueVersion(this.catalog);
    if (v === this.dataVersion) return undefined;
    this.dataVersion = v;
    const out: QueueChanges = { closed: [], open: [], added: [] };
    const changed = itemOpsAfter(this.catalog, this.lastOpSeq);
    if (changed.length) this.lastOpSeq = changed.at(-1)!.seq;
    const items = [...new Set(changed.filter((c) => WATCHED_FIELDS.has(c.field)).map((c) => c.id))];
    if (items.length) {
      this.journal.cancelDeleted(this.nowIso());
      const open = this.journal.openOf(items);
      const stillOpen = new Set(open.map((r) => transferKey(r.item, r.rendition)));
      for (const id of items)
        for (const r of ['original', 'thumb', 'preview'] as const) {
          const key = transferKey(id, r);
          if (!stillOpen.has(key)) out.closed.push(key);
        }
      out.open.push(...open);
    }
    const mark = storedItemsMark(this.catalog);
    if (mark !== this.lastItemMark) {
      this.lastItemMark = mark;
      if (this.journal.enqueueNew(this.nowIso()) > 0) out.added.push(...this.journal.open());
    }
    return out;
  }
}
