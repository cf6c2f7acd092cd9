import { sqliteOf } from './handle.js';
import type { Catalog } from './open.js';

/**
 * The station's own bookkeeping in `meta` (mirror cursors, scrub cycle, uplink cursors): keys
 * only a library drive's catalogue holds, read and written synchronously (SQLite) because the
 * mirror's no-change pass and the uplink's poll read them on every turn. For this folder's
 * query modules; callers outside speak in their intents (changes.ts, scrub-findings.ts…).
 */
export function stationMetaValue(cat: Catalog, key: string): string | undefined {
  const row = sqliteOf(cat).prepare('select value from meta where key = ?').get(key) as
    { value: string } | undefined;
  return row?.value;
}

export function setStationMetaValue(cat: Catalog, key: string, value: string): void {
  sqliteOf(cat)
    .prepare(
      'insert into meta (key, value) values (?, ?) on conflict(key) do update set value = excluded.value',
    )
    .run(key, value);
}

export function deleteStationMetaValue(cat: Catalog, key: string): void {
  sqliteOf(cat).prepare('delete from meta where key = ?').run(key);
}
