import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { dbOf, sqliteOf } from './handle.js';
import type { Catalog } from './open.js';

/**
 * Synthetic stored items for query benchmarks and scale tests (no files behind them): `n` items
 * spread over monitors, types, two years of capture times, events, ratings and tags, the shape of
 * a busy programme's library. SQLite: one transaction of inserts; PostgreSQL: one
 * INSERT … SELECT over generate_series (a million items in under a minute), then ANALYZE.
 */
export async function fillSyntheticItems(cat: Catalog, n: number): Promise<void> {
  if (cat.engine === 'postgres') return fillPostgres(cat, n);
  fillSqlite(cat, n);
}

async function fillPostgres(cat: Catalog, n: number): Promise<void> {
  await sql`insert into items (id, type, state, path, monitor, size, ext, original_name, original_mtime_ms,
      captured_at, captured_source, sort_time, imported_at, facts, warnings, event, rating, priority,
      tags, derived_at, has_thumb)
    select encode(sha256(('item-' || i)::bytea), 'hex'),
           case when i % 10 = 0 then 'video' when i % 17 = 0 then 'audio' else 'photo' end,
           'stored', 'library/M' || (i % 12) || '/' || left(t, 10) || '/' || i || '.jpg', 'M' || (i % 12),
           1000 + (i % 5000), 'jpg', 'IMG_' || i || '.JPG', 0, t, 'exif', t, t, '{}', '[]',
           case when i % 10 = 3 then 'EV-' || (i % 40) end,
           case when i % 7 = 0 then null else i % 6 end,
           case when i % 50 = 0 then 1 else 0 end,
           case when i % 3 = 0 then '["lion","dusk"]' when i % 3 = 1 then '["river"]' else '[]' end,
           t, 1
    from (select i, to_char(timestamp '2024-01-01' + ((i::bigint * 7919) % (730 * 86400)) * interval '1 second',
                            'YYYY-MM-DD"T"HH24:MI:SS') as t
          from generate_series(1, ${n}::int) as g(i)) s`.execute(dbOf(cat));
  await sql`analyze items`.execute(dbOf(cat));
}

function fillSqlite(cat: Catalog, n: number): void {
  const insert = sqliteOf(cat).prepare(
    `insert into items (id, type, state, path, monitor, size, ext, original_name, original_mtime_ms, captured_at,
       captured_source, sort_time, imported_at, facts, warnings, event, rating, priority, tags, derived_at, has_thumb)
     values (@id, @type, 'stored', @path, @monitor, @size, @ext, @name, 0, @t, 'exif', @t, @t, '{}', '[]',
       @event, @rating, @priority, @tags, @t, 1)`,
  );
  const start = Date.UTC(2024, 0, 1);
  const span = 730 * 86_400_000;
  const tagPool = ['lion', 'elephant', 'dusk', 'river', 'herd', 'calf', 'night', 'rain'];
  sqliteOf(cat).transaction(() => {
    for (let i = 0; i < n; i++) {
      const id = createHash('sha256').update(`item-${i}`).digest('hex');
      const t = new Date(start + Math.floor((i * 7919) % span) + i).toISOString().slice(0, 19);
      const type = i % 10 === 0 ? 'video' : i % 17 === 0 ? 'audio' : 'photo';
      const ext = type === 'video' ? 'mp4' : type === 'audio' ? 'wav' : 'jpg';
      const monitor = `M${i % 12}`;
      insert.run({
        id,
        type,
        path: `library/${monitor}/${t.slice(0, 10)}/${t.replace(/[-:]/g, '').replace('T', '-')}_${id.slice(0, 16)}.${ext}`,
        monitor,
        size: 1000 + (i % 5000),
        ext,
        name: `IMG_${i}.${ext.toUpperCase()}`,
        t,
        event: i % 10 === 3 ? `EV-${i % 40}` : null,
        rating: i % 7 === 0 ? null : i % 6,
        priority: i % 50 === 0 ? 1 : 0,
        tags: JSON.stringify(i % 3 === 0 ? [tagPool[i % 8], tagPool[(i >> 3) % 8]] : []),
      });
    }
  })();
}
