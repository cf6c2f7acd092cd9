import type { Catalog } from '../library/catalog/open.js';

/**
 * The columns an item op sets (the same projection as src/library/catalog/ops.ts, which keeps
 * its own private): needed when an item row arrives on a drive after ops about it did.
 */
const PROJECT: Record<string, (v: unknown) => Record<string, unknown>> = {
  event: (v) => ({ event: v === null ? null : String(v) }),
  rating: (v) => ({ rating: v === null ? null : Number(v) }),
  priority: (v) => ({ priority: v ? 1 : 0 }),
  tags: (v) => ({ tags: JSON.stringify(Array.isArray(v) ? v : []) }),
  notes: (v) => ({ notes: v === null ? null : String(v) }),
  location: (v) => {
    const loc = v as { lat?: number; lon?: number } | null;
    return { location_lat: loc?.lat ?? null, location_lon: loc?.lon ?? null };
  },
  monitor: (v) => ({ monitor: String(v) }),
  deleted: (v) => ({ deleted: v ? 1 : 0 }),
};

/**
 * Set an item's attribute columns from the winning op of each field in this drive's op log
 * (fields without ops keep the row's values). Synchronous: call inside the row's transaction.
 */
export function projectItemOps(cat: Catalog, id: string): void {
  const rows = cat.sqlite
    .prepare(
      `select field, value from ops o where entity = 'item' and entity_id = ?
         and hlc = (select max(hlc) from ops where entity = 'item' and entity_id = o.entity_id and field = o.field)`,
    )
    .all(id) as { field: string; value: string }[];
  const cols: Record<string, unknown> = {};
  for (const r of rows) {
    const project = PROJECT[r.field];
    if (project) Object.assign(cols, project(JSON.parse(r.value) as unknown));
  }
  const keys = Object.keys(cols);
  if (keys.length === 0) return;
  cat.sqlite
    .prepare(`update items set ${keys.map((k) => `${k} = @${k}`).join(', ')} where id = @__id`)
    .run({ ...cols, __id: id });
}
