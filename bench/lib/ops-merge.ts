/**
 * opsMergePerSec (issue 14 §5): stations push ops through several HQ nodes at once; how many ops
 * per second the cluster merges, and whether its final op heads equal a single-node SQLite replay
 * of the same ops (atomic per-field upserts: no lost or stale write under concurrency).
 *
 * Each station has its own items (facts sent first); its ops come from the station and two of its
 * tablets (`station:tab-a`, `station:tab-b`: the origins a station may push), 30 % of them on a
 * field another op of the same item already set (conflicts, decided by the HLC stamp), shuffled,
 * and 10 % sent twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeHlc } from '../../src/core/hlc.js';
import type { Op } from '../../src/core/ops.js';
import { upsertItemFacts, type StationItemFacts } from '../../src/library/catalog/hq-items.js';
import { openCatalog } from '../../src/library/catalog/open.js';
import { allOpHeads, mergeOps } from '../../src/library/catalog/ops.js';
import { HqTusTarget } from '../../src/uplink/targets/hq-tus.js';
import { itemFacts, prng } from '../../test/kit/hq.js';

const FIELDS = ['rating', 'event', 'notes'] as const;

function valueOf(field: (typeof FIELDS)[number], r: () => number): unknown {
  if (field === 'rating') return Math.floor(r() * 6);
  if (field === 'event') return `Event ${Math.floor(r() * 50)}`;
  return `note ${Math.floor(r() * 1e6)}`;
}

const hex64 = (r: () => number): string =>
  Array.from({ length: 64 }, () => Math.floor(r() * 16).toString(16)).join('');

export interface OpsMergeResult {
  opsPerSec: number;
  opsSent: number;
  seconds: number;
  identical: boolean;
  heads: number;
}

export async function opsMerge(o: {
  url: string;
  databaseUrl: string;
  key: (station: string) => Promise<string>;
  stations: number;
  opsPerStation: number;
  itemsPerStation: number;
  seed: number;
  log: (s: string) => void;
}): Promise<OpsMergeResult> {
  const r = prng(o.seed);
  const nowMs = Date.now() - 3600_000;
  const plans: { station: string; key: string; facts: StationItemFacts[]; ops: Op[]; send: Op[] }[] = [];
  for (let s = 0; s < o.stations; s++) {
    const station = `ops-station-${s}`;
    const ids = Array.from({ length: o.itemsPerStation }, () => hex64(r));
    const facts = ids.map((id, i) => itemFacts(id, (i % 59) + 1) as unknown as StationItemFacts);
    const origins = [station, `${station}:tab-a`, `${station}:tab-b`];
    const ops: Op[] = [];
    const touched: { id: string; field: (typeof FIELDS)[number] }[] = [];
    const counters = new Map<string, number>();
    for (let i = 0; i < o.opsPerStation; i++) {
      const origin = origins[Math.floor(r() * origins.length)]!;
      const conflict = touched.length > 0 && r() < 0.3;
      const target = conflict
        ? touched[Math.floor(r() * touched.length)]!
        : { id: ids[Math.floor(r() * ids.length)]!, field: FIELDS[Math.floor(r() * FIELDS.length)]! };
      if (!conflict) touched.push(target);
      // Stamps within the last hour, each origin's own clock; counters keep them unique.
      const wall = nowMs + Math.floor(r() * 3000_000);
      const c = (counters.get(`${origin}${wall}`) ?? -1) + 1;
      counters.set(`${origin}${wall}`, c);
      ops.push({
        entity: 'item',
        id: target.id,
        field: target.field,
        value: valueOf(target.field, r),
        hlc: encodeHlc({ wall, counter: c, node: origin }),
        origin,
      });
    }
    const send = [...ops, ...ops.filter(() => r() < 0.1)];
    for (let i = send.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [send[i], send[j]] = [send[j]!, send[i]!];
    }
    plans.push({ station, key: await o.key(station), facts, ops, send });
  }

  // Facts first (not timed): HQ takes ops about items a station holds only.
  for (const p of plans) {
    const t = new HqTusTarget({ url: o.url, key: p.key });
    for (let i = 0; i < p.facts.length; i += 2000)
      await t.sync({ items: p.facts.slice(i, i + 2000) as never, ops: [] });
    t.close();
  }
  const total = plans.reduce((n, p) => n + p.send.length, 0);
  o.log(`ops: ${o.stations} stations, ${total} ops (duplicates included) through the balancer`);
  const t0 = performance.now();
  await Promise.all(
    plans.map(async (p) => {
      const t = new HqTusTarget({ url: o.url, key: p.key, requestTimeoutMs: 120_000 });
      for (let i = 0; i < p.send.length; i += 2000) {
        const res = await t.sync({ items: [], ops: p.send.slice(i, i + 2000) });
        if (res.refused?.length) throw new Error(`ops refused: ${JSON.stringify(res.refused[0])}`);
      }
      t.close();
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const opsPerSec = Math.round(total / seconds);
  o.log(`ops: ${total} merged in ${seconds.toFixed(1)} s → ${opsPerSec} ops/s`);

  // The same ops, once each, in generation order, into one SQLite catalogue.
  const work = mkdtempSync(join(tmpdir(), 'outpost-ops-replay-'));
  const replay = await openCatalog(join(work, 'replay.sqlite'));
  const cluster = await openCatalog(o.databaseUrl);
  try {
    for (const p of plans) {
      await upsertItemFacts(replay, p.station, p.facts);
      for (let i = 0; i < p.ops.length; i += 5000)
        await mergeOps(replay, p.ops.slice(i, i + 5000), {
          node: 'replay',
          nowMs: Date.now(),
          mayMove: () => true,
        });
    }
    const key = (h: { entity: string; id: string; field: string }): string =>
      `${h.entity}/${h.id}/${h.field}`;
    const mine = new Set(plans.flatMap((p) => p.facts.map((f) => f.id)));
    const a = (await allOpHeads(cluster))
      .filter((h) => mine.has(h.id))
      .sort((x, y) => (key(x) < key(y) ? -1 : 1));
    const b = (await allOpHeads(replay)).sort((x, y) => (key(x) < key(y) ? -1 : 1));
    const identical = JSON.stringify(a) === JSON.stringify(b);
    if (!identical) {
      const diff = a.findIndex((h, i) => JSON.stringify(h) !== JSON.stringify(b[i]));
      o.log(
        `ops: heads differ (${a.length} vs ${b.length}), first at ${diff}: ${JSON.stringify(a[diff])} vs ${JSON.stringify(b[diff])}`,
      );
    }
    return { opsPerSec, opsSent: total, seconds: Math.round(seconds * 10) / 10, identical, heads: b.length };
  } finally {
    await replay.close();
    await cluster.close();
    rmSync(work, { recursive: true, force: true });
  }
}
