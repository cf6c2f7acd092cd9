import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sql } from 'kysely';
import { dbOf, sqliteOf } from './handle.js';
import type { Catalog } from './open.js';

/**
 * Synthetic stored items for query benchmarks and scale tests (no files behind them): `n` items
 * spread over monitors, types, two years of capture times, events, ratings and tags, the shape of
 * a busy programme's library. SQLite: one transaction of inserts; PostgreSQL: one
 * INSERT … SELECT over generate_series (a million items in under a minute), then VACUUM ANALYZE.
 */
export async function fillSyntheticItems(cat: Catalog, n: number): Promise<void> {
  if (cat.engine === 'postgres') return fillPostgres(cat, n);
  fillSqlite(cat, n);
}

async function fillPostgres(cat: Catalog, n: number): Promise<void> {
  // One item in 23 is a camera recording's segment (card `cam:<camera>`, facts naming it), the
  // others camera photos, videos and audio with the facts an ingest writes (a few hundred bytes).
  // Each attribute from its own hash of i (hashint4), so that monitor, rating, tags and event are
  // independent of each other as in real libraries (i mod k for each would tie them together:
  // monitor M7 would only ever hold one rating).
  await sql`insert into items (id, type, state, path, monitor, size, ext, original_name, original_mtime_ms,
      captured_at, captured_source, sort_time, imported_at, card_id, width, height, make, model, facts,
      warnings, event, rating, priority, notes, tags, derived_at, has_thumb)
    select encode(sha256(('item-' || i)::bytea), 'hex'),
           case when rec then 'video' when h1 % 10 = 0 then 'video' when h1 % 17 = 0 then 'audio' else 'photo' end,
           'stored', 'library/' || m || '/' || left(t, 10) || '/' || i || '.jpg', m,
           1000 + (i % 5000), 'jpg', 'IMG_' || i || '.JPG', 0, t, 'exif', t, t,
           case when rec then 'cam:cam' || (h2 % 4) else 'card-' || (h2 % 97) end,
           4000, 3000, 'Browning', 'BTC-' || (h3 % 9),
           case when rec
             then json_build_object('capturedAt', json_build_object('local', t, 'source', 'recorder'),
                    'durationS', 10, 'width', 1920, 'height', 1080,
                    'recording', json_build_object('camera', 'cam' || (h2 % 4), 'mode', 'continuous', 'start', t))::text
             else json_build_object('capturedAt', json_build_object('local', t, 'source', 'exif'),
                    'width', 4000, 'height', 3000, 'make', 'Browning', 'model', 'BTC-' || (h3 % 9),
                    'exposureS', 0.008, 'fNumber', 2.8, 'iso', 100 * (1 + h3 % 8), 'focalLengthMm', 4.5,
                    'software', 'BTC firmware 1.' || (h4 % 5), 'temperatureC', h4 % 35)::text
           end,
           '[]',
           case when h4 % 10 = 3 then 'EV-' || (h5 % 37) end,
           case when h5 % 7 = 0 then null else h6 % 6 end,
           case when h6 % 50 = 7 then 1 else 0 end,
           case when h7 % 11 = 0 then 'seen at dusk near the river' when h7 % 11 = 5 then 'battery low' end,
           case when h8 % 3 = 0 then '["lion","dusk"]' when h8 % 3 = 1 then '["river"]' else '[]' end,
           t, 1
    from (select i, t, 'M' || (abs(hashint4(i * 8 + 1)::bigint) % 12) as m, abs(hashint4(i * 8 + 2)::bigint) % 23 = 0 as rec,
                 abs(hashint4(i * 8 + 3)::bigint) as h1, abs(hashint4(i * 8 + 4)::bigint) as h2, abs(hashint4(i * 8 + 5)::bigint) as h3,
                 abs(hashint4(i * 8 + 6)::bigint) as h4, abs(hashint4(i * 8 + 7)::bigint) as h5, abs(hashint4(i * 8)::bigint) as h6,
                 abs(hashint4(-i)::bigint) as h7, abs(hashint4(-i - 1000000000)::bigint) as h8
          from (select i, to_char(timestamp '2024-01-01' + ((i::bigint * 7919) % (730 * 86400)) * interval '1 second',
                                  'YYYY-MM-DD"T"HH24:MI:SS') as t
                from generate_series(1, ${n}::int) as g(i)) s) h`.execute(dbOf(cat));
  // As autovacuum leaves a long-lived table: visibility map set, hint bits written, statistics fresh.
  await sql`vacuum analyze items`.execute(dbOf(cat));
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
        event: i % 10 === 3 ? `EV-${i % 37}` : null,
        rating: i % 7 === 0 ? null : i % 6,
        priority: i % 50 === 0 ? 1 : 0,
        tags: JSON.stringify(i % 3 === 0 ? [tagPool[i % 8], tagPool[(i >> 3) % 8]] : []),
      });
    }
  })();
  // Planner statistics, as a library that has been in use has them.
  sqliteOf(cat).exec('analyze');
}

/**
 * Give each synthetic item of a library catalogue a real file under `root` (a few distinct
 * bytes at its path), and re-key its row to those bytes' hash and size: a library whose files
 * hash to their ids (mirror and scrub benchmarks). SQLite only.
 */
export function writeSyntheticFiles(cat: Catalog, root: string): void {
  const db = sqliteOf(cat);
  const rows = db.prepare('select id, path from items').all() as { id: string; path: string }[];
  const upd = db.prepare('update items set id = ?, size = ?, has_thumb = 0 where id = ?');
  db.transaction(() => {
    for (const r of rows) {
      const body = Buffer.from(`synthetic ${r.id}\n`);
      const p = join(root, r.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, body);
      upd.run(createHash('sha256').update(body).digest('hex'), body.length, r.id);
    }
  })();
}

/**
 * PostgreSQL, for benchmarks: a catalogue as a server that has been answering for a while holds
 * it, not in the wake of a bulk load: dirty pages written out (checkpoint), autovacuum done (up to
 * two minutes), the item table and its indexes in the buffers (pg_prewarm, shipped with
 * PostgreSQL). A no-op on SQLite.
 */
export async function settleCatalog(cat: Catalog): Promise<void> {
  if (cat.engine !== 'postgres') return;
  const db = dbOf(cat);
  await sql`checkpoint`.execute(db);
  for (let i = 0; i < 120; i++) {
    const { rows } = await sql<{ n: string | number }>`
      select count(*) as n from pg_stat_activity where backend_type = 'autovacuum worker'`.execute(db);
    if (Number(rows[0]?.n ?? 0) === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await sql`create extension if not exists pg_prewarm`.execute(db);
  await sql`select pg_prewarm(c.oid) from pg_class c
    where c.relname = 'items' or c.oid in (select indexrelid from pg_index where indrelid = 'items'::regclass)`.execute(
    db,
  );
}
