import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { decodeHlc, encodeHlc } from '../../../src/core/hlc.js';
import { foldOps, type Op } from '../../../src/core/ops.js';
import { dbOf } from '../../../src/library/catalog/handle.js';
import { getItem, insertPendingItem, markStored } from '../../../src/library/catalog/items.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import {
  newestOpSeq,
  mergeOps,
  opsSince,
  projectCardOps,
  projectItemOps,
  recordLocalOps,
  type MergeOptions,
} from '../../../src/library/catalog/ops.js';
import { ITEM_FACT_COLUMNS } from '../../../src/library/item-facts.js';
import { buildItemRow } from '../../../src/library/item-row.js';
import { upsertItemFacts, type StationItemFacts } from '../../../src/library/catalog/hq-items.js';
import { catalogEngines, testPostgresUrl } from '../../kit/catalogs.js';
import { prng } from '../../kit/prng.js';

/**
 * The op log's contract (src/library/catalog/ops.ts) on SQLite and PostgreSQL: last writer wins
 * per field by HLC stamp, whatever the order or repetition ops arrive in; refused ops leave no
 * trace; the winning values land on the item and card columns; the log pages by cursor.
 */

const T0 = Date.parse('2024-06-01T12:00:00Z');
const trust: Omit<MergeOptions, 'node' | 'nowMs'> = { mayMove: () => true };
const merge = (cat: Catalog, ops: Op[], nowMs = T0 + 3600_000) =>
  mergeOps(cat, ops, { node: 'hq', nowMs, ...trust });

const idOf = (n: number): string => n.toString(16).padStart(64, 'c');

async function addItem(cat: Catalog, id: string): Promise<void> {
  await insertPendingItem(
    cat,
    buildItemRow(
      {
        sha256: id,
        type: 'photo',
        ext: 'jpg',
        size: 1,
        monitor: 'Ana',
        originalName: 'a.jpg',
        mtimeMs: 0,
        importedAt: '2024-01-01T00:00:00Z',
        cardId: null,
        probe: { facts: {}, warnings: [] },
        timeZone: 'UTC',
      },
      `library/Ana/2024-01-01/${id.slice(-16)}.jpg`,
    ),
  );
  await markStored(cat, id);
}

function op(id: string, field: string, value: unknown, wall: number, node: string, counter = 0): Op {
  return { entity: 'item', id, field, value, hlc: encodeHlc({ wall, counter, node }), origin: node };
}

/** What a field's op says its column holds (ops.ts ITEM_FIELDS), to compare with the row. */
function expectedColumns(winners: Iterable<Op>): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const o of winners) {
    const cols = out.get(o.id) ?? {};
    const v = o.value;
    if (o.field === 'rating') cols.rating = v;
    else if (o.field === 'event') cols.event = v;
    else if (o.field === 'tags') cols.tags = JSON.stringify(v);
    else if (o.field === 'priority') cols.priority = v ? 1 : 0;
    else if (o.field === 'notes') cols.notes = v;
    out.set(o.id, cols);
  }
  return out;
}

async function heads(cat: Catalog): Promise<string[]> {
  const rows = await dbOf(cat)
    .selectFrom('op_heads')
    .selectAll()
    .orderBy('entity')
    .orderBy('entity_id')
    .orderBy('field')
    .execute();
  return rows.map((r) => `${r.entity}/${r.entity_id}/${r.field}=${r.value}@${r.hlc}`);
}

async function clockOf(cat: Catalog): Promise<string | undefined> {
  const row = await dbOf(cat).selectFrom('meta').select('value').where('key', '=', 'hlc').executeTakeFirst();
  return row?.value;
}

function shuffled<T>(xs: T[], rnd: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Random valid ops about `ids`, from three nodes whose clocks overlap (many close calls). */
function randomOps(ids: string[], n: number, rnd: () => number): Op[] {
  const nodes = ['station-a', 'station-b', 'hq'];
  const out: Op[] = [];
  for (let i = 0; i < n; i++) {
    const id = ids[Math.floor(rnd() * ids.length)]!;
    const node = nodes[Math.floor(rnd() * nodes.length)]!;
    const wall = T0 + Math.floor(rnd() * 20);
    const counter = Math.floor(rnd() * 3);
    const k = Math.floor(rnd() * 5);
    const v = i % 6;
    const [field, value] = (
      [
        ['rating', v],
        ['event', `EV-${i}`],
        ['tags', [`t${i}`]],
        ['priority', v % 2 === 0],
        ['notes', v === 0 ? null : `n${i}`],
      ] as const
    )[k]!;
    const o = op(id, field, value, wall, node, counter);
    // One stamp, origin and field is one op: a node never stamps two values alike.
    if (!out.some((x) => x.hlc === o.hlc && x.id === o.id && x.field === o.field)) out.push(o);
  }
  return out;
}

for (const engine of catalogEngines()) {
  describe(`op log contract (${engine.name})`, () => {
    it('merging is idempotent and order-independent: any order, batching and repetition converge on the highest stamps', async () => {
      const rnd = prng(12);
      const ids = [idOf(1), idOf(2), idOf(3)];
      const ops = randomOps(ids, 300, rnd);
      const want = expectedColumns(foldOps(ops).values());
      const results: string[][] = [];
      for (let round = 0; round < 3; round++) {
        const cat = await engine.open();
        for (const id of ids) await addItem(cat, id);
        // Shuffled, in random batches, with a third of them twice.
        const feed = shuffled([...ops, ...ops.filter((_, i) => i % 3 === round)], rnd);
        let applied = 0;
        for (let i = 0; i < feed.length;) {
          const size = 1 + Math.floor(rnd() * 40);
          applied += (await merge(cat, feed.slice(i, i + size))).applied;
          i += size;
        }
        assert.equal(applied, ops.length, 'each op counted once');
        for (const id of ids) {
          const row = await getItem(cat, id);
          const cols = want.get(id) ?? {};
          for (const [k, v] of Object.entries(cols))
            assert.deepEqual(row?.[k as keyof typeof row], v, `${id.slice(-2)} ${k} (round ${round})`);
        }
        // Merging everything again changes nothing.
        assert.equal((await merge(cat, ops)).applied, 0);
        results.push(await heads(cat));
      }
      assert.equal(results[0]!.length, foldOps(ops).size);
      assert.deepEqual(results[1], results[0]);
      assert.deepEqual(results[2], results[0]);
    });

    it('ties: a greater counter wins at the same wall time, then the node name in byte order; an equal or lower stamp never wins', async () => {
      const cat = await engine.open();
      const id = idOf(10);
      await addItem(cat, id);
      await merge(cat, [op(id, 'rating', 2, T0, 'station-a', 1)]);
      await merge(cat, [op(id, 'rating', 1, T0, 'station-a', 0)]);
      assert.equal((await getItem(cat, id))?.rating, 2, 'a lower counter loses');
      await merge(cat, [op(id, 'rating', 3, T0, 'station-b', 1)]);
      assert.equal((await getItem(cat, id))?.rating, 3, 'same wall and counter: "station-b" > "station-a"');
      // Byte order, not a linguistic one: "Z" (0x5a) sorts before "a" (0x61).
      await merge(cat, [op(id, 'event', 'from-a', T0, 'a'), op(id, 'event', 'from-Z', T0, 'Z')]);
      assert.equal((await getItem(cat, id))?.event, 'from-a');
      // The same stamp, origin and field again (even with another value) is the op already known.
      const r = await merge(cat, [op(id, 'rating', 5, T0, 'station-b', 1)]);
      assert.equal(r.applied, 0);
      assert.equal((await getItem(cat, id))?.rating, 3);
      // A greater wall time beats any counter.
      await merge(cat, [op(id, 'rating', 4, T0 + 1, 'station-a', 0)]);
      assert.equal((await getItem(cat, id))?.rating, 4);
      assert.deepEqual(
        (await heads(cat)).filter((h) => h.includes('/rating=')),
        [`item/${id}/rating=4@${encodeHlc({ wall: T0 + 1, counter: 0, node: 'station-a' })}`],
      );
    });

    it('refused ops change nothing (log, heads, columns, clock) and say why', async () => {
      const cat = await engine.open();
      const id = idOf(20);
      await addItem(cat, id);
      await merge(cat, [op(id, 'rating', 1, T0, 'station-a')]);
      const before = { log: await opsSince(cat, 0), heads: await heads(cat), clock: await clockOf(cat) };
      const nowMs = T0 + 1000;
      const r = await mergeOps(
        cat,
        [
          op(id, 'colour', 'red', T0 + 1, 'station-a'),
          op(id, 'rating', 5, T0 + 24 * 3600_000, 'station-a'),
          op(id, 'deleted', true, T0 + 2, 'station-a'),
          op(id, 'rating', 9, T0 + 3, 'station-a'),
          { ...op(id, 'rating', 3, T0 + 4, 'station-a'), origin: 'station-b' },
          op(id, 'rating', 4, T0 + 5, 'station-c'),
        ],
        {
          node: 'hq',
          nowMs,
          mayMove: () => 'no moves from here',
          mayWrite: (o) => o.origin !== 'station-c' || 'station-c holds nothing',
        },
      );
      assert.deepEqual(
        r.refused.map((x) => [x.index, x.code]),
        [
          [0, 'OP_INVALID'],
          [1, 'OP_CLOCK_AHEAD'],
          [2, 'OP_FORBIDDEN'],
          [3, 'OP_INVALID'],
          [4, 'OP_INVALID'],
          [5, 'OP_FORBIDDEN'],
        ],
      );
      assert.equal(r.refused[2]!.message, 'no moves from here');
      assert.equal(r.refused[5]!.message, 'station-c holds nothing');
      assert.deepEqual([r.applied, r.attributesChanged], [0, []]);
      assert.deepEqual(await opsSince(cat, 0), before.log);
      assert.deepEqual(await heads(cat), before.heads);
      assert.equal(await clockOf(cat), before.clock);
      assert.equal((await getItem(cat, id))?.rating, 1);
    });

    it('projects every item field and card monitors; rows that come after their ops take them on projection', async () => {
      const cat = await engine.open();
      const id = idOf(30);
      await addItem(cat, id);
      const late = idOf(31);
      const ops: Op[] = [
        op(id, 'event', 'EV-7', T0, 'station-a'),
        op(id, 'rating', 4, T0, 'station-a'),
        op(id, 'priority', true, T0, 'station-a'),
        op(id, 'tags', ['lion', 'dusk'], T0, 'station-a'),
        op(id, 'notes', 'by the river', T0, 'station-a'),
        op(id, 'location', { lat: -1.2921, lon: 36.8219 }, T0, 'station-a'),
        op(id, 'monitor', 'Ben', T0, 'station-a'),
        op(id, 'deleted', true, T0, 'station-a'),
        op(late, 'rating', 2, T0, 'station-a'),
        op(late, 'event', 'EV-late', T0, 'station-a'),
        {
          entity: 'card',
          id: 'uuid:1234-ABCD',
          field: 'monitor',
          value: 'Cleo',
          hlc: encodeHlc({ wall: T0, counter: 0, node: 'station-a' }),
          origin: 'station-a',
        },
      ];
      const r = await merge(cat, ops);
      assert.equal(r.applied, ops.length);
      assert.deepEqual(r.attributesChanged.sort(), [id, late].sort());
      const row = await getItem(cat, id);
      assert.deepEqual(
        {
          event: row?.event,
          rating: row?.rating,
          priority: row?.priority,
          tags: row?.tags,
          notes: row?.notes,
          lat: row?.location_lat,
          lon: row?.location_lon,
          monitor: row?.monitor,
          deleted: row?.deleted,
        },
        {
          event: 'EV-7',
          rating: 4,
          priority: 1,
          tags: '["lion","dusk"]',
          notes: 'by the river',
          lat: -1.2921,
          lon: 36.8219,
          monitor: 'Ben',
          deleted: 1,
        },
      );
      // Clearing: null values and false.
      await merge(cat, [op(id, 'location', null, T0 + 1, 'hq'), op(id, 'priority', false, T0 + 1, 'hq')]);
      const cleared = await getItem(cat, id);
      assert.deepEqual([cleared?.location_lat, cleared?.location_lon, cleared?.priority], [null, null, 0]);
      // The item row and the card row arrive after their ops.
      await addItem(cat, late);
      assert.equal((await getItem(cat, late))?.rating, null);
      await cat.transaction((tx) => projectItemOps(tx, late));
      const l = await getItem(cat, late);
      assert.deepEqual([l?.rating, l?.event], [2, 'EV-late']);
      await dbOf(cat)
        .insertInto('cards')
        .values({ id: 'uuid:1234-ABCD', kind: 'uuid', first_seen: 'x', last_seen: 'x' })
        .execute();
      await projectCardOps(cat, ['uuid:1234-ABCD']);
      const card = await dbOf(cat).selectFrom('cards').select('monitor').executeTakeFirst();
      assert.equal(card?.monitor, 'Cleo');
    });

    it('local edits get strictly increasing stamps of this node, after any stamp merged before', async () => {
      const cat = await engine.open();
      const id = idOf(40);
      await addItem(cat, id);
      await merge(cat, [op(id, 'rating', 5, T0 + 60_000, 'station-b')], T0);
      // This node's wall clock is a minute behind the op it received, and goes backwards.
      const a = await recordLocalOps(cat, [{ entity: 'item', id, field: 'rating', value: 1 }], 'hq', T0);
      const b = await recordLocalOps(
        cat,
        [
          { entity: 'item', id, field: 'rating', value: 2 },
          { entity: 'item', id, field: 'event', value: 'E' },
        ],
        'hq',
        T0 - 5000,
      );
      const stamps = [...a, ...b].map((o) => o.hlc);
      assert.deepEqual([...stamps].sort(), stamps);
      assert.equal(new Set(stamps).size, 3);
      assert.ok(
        stamps.every(
          (s) =>
            decodeHlc(s).node === 'hq' && s > encodeHlc({ wall: T0 + 60_000, counter: 0, node: 'station-b' }),
        ),
      );
      assert.equal((await getItem(cat, id))?.rating, 2, 'the later local edit wins');
      assert.equal(await clockOf(cat), stamps.at(-1));
      assert.deepEqual(await recordLocalOps(cat, [], 'hq', T0), []);
    });

    it('opsSince pages the log in arrival order from a cursor; newestOpSeq is the end', async () => {
      const cat = await engine.open();
      assert.deepEqual(await opsSince(cat, 0), { ops: [], cursor: 0 });
      assert.equal(await newestOpSeq(cat), 0);
      const id = idOf(50);
      const ops = Array.from({ length: 23 }, (_, i) => op(id, 'rating', i % 6, T0 + 100 - i, 'station-a'));
      // One call each: the log keeps arrival order from call to call.
      for (const o of ops.slice(0, 10)) await merge(cat, [o]);
      for (const o of ops.slice(5)) await merge(cat, [o]);
      const batch = [op(id, 'event', 'b', T0 + 7, 'hq'), op(id, 'event', 'a', T0 + 1, 'hq')];
      await merge(cat, [...batch, ...batch]);
      const seen: Op[] = [];
      const cursors: number[] = [];
      let cursor = 0;
      for (;;) {
        const page = await opsSince(cat, cursor, 7);
        if (!page.ops.length) {
          assert.equal(page.cursor, cursor);
          break;
        }
        assert.ok(page.ops.length <= 7);
        seen.push(...page.ops);
        cursors.push(page.cursor);
        cursor = page.cursor;
      }
      assert.deepEqual(seen.slice(0, ops.length), ops, 'every op once, in the order it arrived');
      assert.deepEqual(
        seen
          .slice(ops.length)
          .map((o) => o.value)
          .sort(),
        ['a', 'b'],
        'a batch: each once',
      );
      assert.deepEqual(
        [...cursors].sort((x, y) => x - y),
        cursors,
      );
      assert.equal(await newestOpSeq(cat), cursor);
      const more = await opsSince(cat, cursors[1]!, 1000);
      assert.deepEqual(more.ops.slice(0, ops.length - 14), ops.slice(14));
    });

    it('migration 0010 builds the heads from an existing log', async () => {
      const location = await freshLocation(engine.name);
      const cat = await openCatalog(location);
      const id = idOf(60);
      const ops = [
        op(id, 'rating', 1, T0 + 2, 'station-a'),
        op(id, 'rating', 3, T0 + 9, 'station-b'),
        op(id, 'rating', 2, T0 + 5, 'station-a'),
        op(id, 'event', 'E', T0, 'station-a'),
      ];
      await merge(cat, ops);
      // A log from before 0010: heads table gone, migration not run.
      await dbOf(cat).schema.dropTable('op_heads').execute();
      await sql`delete from kysely_migration where name = '0010_op_heads'`.execute(dbOf(cat));
      await cat.close();
      const again = await openCatalog(location);
      try {
        assert.deepEqual(await heads(again), [
          `item/${id}/event="E"@${ops[3]!.hlc}`,
          `item/${id}/rating=3@${ops[1]!.hlc}`,
        ]);
      } finally {
        await again.close();
      }
    });
  });
}

/** A fresh catalogue location that can be opened more than once. */
async function freshLocation(engine: 'sqlite' | 'postgres'): Promise<string> {
  if (engine === 'postgres') return testPostgresUrl();
  const dir = await mkdtemp(join(tmpdir(), 'outpost-ops-'));
  after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'catalog.sqlite');
}

/** Facts of an item as a station sends them to HQ (hq-items.ts), from the row a station builds. */
function factsOf(id: string): StationItemFacts {
  const row = buildItemRow(
    {
      sha256: id,
      type: 'photo',
      ext: 'jpg',
      size: 1,
      monitor: 'Ana',
      originalName: 'a.jpg',
      mtimeMs: 0,
      importedAt: '2024-01-01T00:00:00Z',
      cardId: null,
      probe: { facts: {}, warnings: [] },
      timeZone: 'UTC',
    },
    `library/Ana/2024-01-01/${id.slice(-16)}.jpg`,
  );
  const facts: Record<string, unknown> = { path: row.path };
  for (const c of ITEM_FACT_COLUMNS) facts[c] = row[c] ?? null;
  return facts as StationItemFacts;
}

describe('op log with two writers on one PostgreSQL catalogue', () => {
  it('concurrent merges and local edits of the same fields always leave the highest stamp in the head and the column', async () => {
    const url = await testPostgresUrl();
    const one = await openCatalog(url);
    const two = await openCatalog(url);
    try {
      const rnd = prng(7);
      for (let round = 0; round < 25; round++) {
        const id = idOf(1000 + round);
        // Every other round the item's facts arrive while the ops are being merged.
        const factsLate = round % 2 === 1;
        if (!factsLate) await addItem(one, id);
        const ops: Op[] = [];
        for (let i = 0; i < 24; i++) {
          const node = i % 2 ? 'station-a' : 'station-b';
          const field = i % 3 ? 'rating' : 'event';
          ops.push(op(id, field, field === 'rating' ? i % 6 : `E${round}-${i}`, T0 + (i % 7), node, i));
        }
        // Each writer gets most ops (many are merged by both), in its own order and batches,
        // every batch at once; each also records local edits of the same field meanwhile.
        const fed = new Set<Op>();
        const feed = (cat: Catalog, node: string): Promise<unknown>[] => {
          const mine = shuffled(ops, rnd).filter(() => rnd() < 0.7);
          for (const o of mine) fed.add(o);
          const batches: Op[][] = [];
          for (let i = 0; i < mine.length; i += 3) batches.push(mine.slice(i, i + 3));
          return batches.map((b) => mergeOps(cat, b, { node, nowMs: T0 + 60_000, ...trust }));
        };
        const local: Op[] = [];
        const edits = (cat: Catalog, node: string): Promise<unknown>[] =>
          [0, 1, 2].map(async (k) => {
            const done = await recordLocalOps(
              cat,
              [{ entity: 'item', id, field: 'rating', value: k }],
              node,
              T0 + 3 + k,
            );
            local.push(...done);
          });
        await Promise.all([
          ...feed(one, 'hq-1'),
          ...feed(two, 'hq-2'),
          ...edits(one, 'hq-1'),
          ...edits(two, 'hq-2'),
          ...(factsLate ? [upsertItemFacts(two, 'station-a', [factsOf(id)])] : []),
        ]);
        assert.equal(new Set(local.map((o) => o.hlc)).size, local.length, 'no two local edits share a stamp');
        const log = (await opsSince(one, 0, 100_000)).ops.filter((o) => o.id === id);
        assert.equal(log.length, fed.size + local.length, 'every op merged or recorded is in the log, once');
        const winners = foldOps([...fed, ...local]);
        for (const field of ['rating', 'event'] as const) {
          const w = winners.get(`item\u0000${id}\u0000${field}`);
          if (!w) continue;
          const head = await dbOf(two)
            .selectFrom('op_heads')
            .selectAll()
            .where('entity', '=', 'item')
            .where('entity_id', '=', id)
            .where('field', '=', field)
            .executeTakeFirstOrThrow();
          assert.equal(head.hlc, w.hlc, `round ${round}: head of ${field}`);
          const row = await getItem(one, id);
          assert.equal(row?.[field], w.value, `round ${round}: column ${field}`);
        }
      }
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('stamps compare byte for byte in a database whose collation is linguistic (ICU en-US)', async () => {
    const url = await testPostgresUrl();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const name = `${new URL(url).pathname.slice(1)}_icu`;
    try {
      await admin.query(
        `create database ${name} template template0 locale_provider icu icu_locale 'en-US' encoding 'UTF8'`,
      );
    } finally {
      await admin.end();
    }
    const u = new URL(url);
    u.pathname = `/${name}`;
    const cat = await openCatalog(u.toString());
    try {
      // The database itself sorts "Z" after "a" here, byte order puts it first.
      const { rows } = await sql<{ later: boolean }>`select 'Z' > 'a' as later`.execute(dbOf(cat));
      assert.equal(rows[0]?.later, true, 'a linguistic collation');
      const id = idOf(2000);
      await addItem(cat, id);
      await merge(cat, [op(id, 'event', 'from-a', T0, 'a')]);
      await merge(cat, [op(id, 'event', 'from-Z', T0, 'Z')]);
      assert.equal((await getItem(cat, id))?.event, 'from-a');
      const head = await dbOf(cat).selectFrom('op_heads').select('value').executeTakeFirstOrThrow();
      assert.equal(head.value, '"from-a"');
    } finally {
      await cat.close();
    }
  });
});
