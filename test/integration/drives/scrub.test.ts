/**
 * Scrub and repair on real drives made by real ingest and made identical by the mirror: a bit
 * flipped on one drive is found and repaired from the other (both hashes checked), the corrupt
 * bytes are kept in quarantine, damage on both drives is reported and nothing is overwritten,
 * the rate limit holds, and an interrupted scrub continues where it stopped.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { mirrorDrives } from '../../../src/drives/mirror.js';
import { runScrub, scrubDrive, scrubStatusOf } from '../../../src/drives/scrub.js';
import type { ScrubProgress } from '../../../src/drives/scrub-types.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { makeTempDir } from '../../kit/mounts.js';
import { deps, ingestInto, makePhotoCard, mirrorOpts, treeHashes, clockAt } from './helpers.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

interface Pair {
  a: Drive;
  b: Drive;
}

/** Photos `0..n` (the last with a WAV memo and a camera XMP) ingested on A, mirrored to B. */
async function identicalPair(work: string, n: number): Promise<Pair> {
  const a = await initDrive(join(work, 'A'), { label: 'A', now: new Date('2024-06-01T00:00:00Z') });
  const b = await initDrive(join(work, 'B'), { label: 'B', now: new Date('2024-06-01T00:00:00Z') });
  makePhotoCard(join(work, 'card'), 0, n, true);
  await ingestInto(a, join(work, 'card'), 'Ana', clockAt('2024-06-01T10:00:00Z'), 'station-test');
  const m = await mirrorDrives(a, b, mirrorOpts(), deps());
  assert.equal(m.copiedAtoB, n);
  assert.deepEqual(treeHashes(b.layout.root), treeHashes(a.layout.root));
  return { a, b };
}

async function rows(d: Drive, q: string): Promise<Record<string, unknown>[]> {
  const cat = await openCatalog(d.layout.catalog);
  try {
    return sqliteOf(cat).prepare(q).all() as Record<string, unknown>[];
  } finally {
    await cat.close();
  }
}

async function original(d: Drive, i: number): Promise<{ id: string; path: string }> {
  const r = await rows(d, `select id, path from items where state = 'stored' order by path`);
  return r[i] as { id: string; path: string };
}

async function sidecar(d: Drive): Promise<{ path: string; sha256: string }> {
  const r = await rows(d, `select path, sha256 from companions where ext = 'xmp' order by path`);
  assert.ok(r.length > 0, 'the memo photo has an XMP companion');
  return r[0] as { path: string; sha256: string };
}

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Flip one bit in the middle of a file (same size: only a hash can tell). */
function flipBit(p: string): Buffer {
  const buf = readFileSync(p);
  buf[buf.length >> 1]! ^= 0x10;
  writeFileSync(p, buf);
  return buf;
}

const scrubDeps = deps(clockAt('2024-07-01T00:00:00Z'));

describe('scrub and repair between two mirrored drives', () => {
  let work: string;
  before(async () => {
    work = await makeTempDir('outpost-scrub-');
  });

  it('finds exactly the flipped files, repairs each from the other drive, quarantines the bad bytes', async () => {
    const { a, b } = await identicalPair(join(work, 'repair'), 6);
    const orig = await original(b, 2);
    const side = await sidecar(a);
    const goodSide = readFileSync(join(a.layout.root, side.path));
    const badOrig = flipBit(join(b.layout.root, orig.path));
    const badSide = flipBit(join(a.layout.root, side.path));

    const s = await runScrub(a, b, { repair: true, partnerCycle: true }, scrubDeps);
    assert.deepEqual(
      s.bad.map((f) => `${f.code} ${f.kind} ${f.path}`).sort(),
      [`CORRUPT companion ${side.path}`, `CORRUPT original ${orig.path}`].sort(),
    );
    assert.equal(s.repaired.length, 2);
    assert.deepEqual(s.unrepaired, []);
    assert.equal(s.openDamage, 0);
    assert.equal(s.complete, true);
    // The right bytes are back on both drives.
    assert.equal(sha(join(b.layout.root, orig.path)), orig.id);
    assert.equal(sha(join(a.layout.root, side.path)), side.sha256);
    assert.deepEqual(readFileSync(join(a.layout.root, side.path)), goodSide);
    assert.deepEqual(treeHashes(b.layout.root), treeHashes(a.layout.root));
    // The corrupt bytes are kept, not deleted.
    const qB = s.repaired.find((r) => r.path === orig.path)!;
    const qA = s.repaired.find((r) => r.path === side.path)!;
    assert.equal(qB.from, a.layout.root);
    assert.ok(qB.quarantine?.startsWith('.outpost/quarantine/'), String(qB.quarantine));
    assert.deepEqual(readFileSync(join(b.layout.root, qB.quarantine!)), badOrig);
    assert.deepEqual(readFileSync(join(a.layout.root, qA.quarantine!)), badSide);
    assert.deepEqual(await rows(b, `select path, state, quarantine from scrub_findings`), [
      { path: orig.path, state: 'repaired', quarantine: qB.quarantine },
    ]);
    // Nothing left in tmp, and a second scrub (a new cycle) is clean.
    for (const d of [a, b]) assert.deepEqual(readdirSync(d.layout.tmpDir), [], 'tmp is empty');
    const again = await runScrub(a, b, { repair: true, partnerCycle: true }, scrubDeps);
    assert.deepEqual(again.bad, []);
    assert.equal(again.checked, s.checked);
  });

  it('damage on both drives is reported unrepaired and nothing is overwritten', async () => {
    const { a, b } = await identicalPair(join(work, 'both'), 4);
    const orig = await original(a, 1);
    const badA = flipBit(join(a.layout.root, orig.path));
    const badB = flipBit(join(b.layout.root, orig.path)); // same bit: the same wrong bytes
    const s = await runScrub(a, b, { repair: true, partnerCycle: true }, scrubDeps);
    assert.equal(s.bad.length, 2);
    assert.deepEqual(s.repaired, []);
    assert.deepEqual(
      s.unrepaired.map((u) => u.reason),
      ['PARTNER_BAD', 'PARTNER_BAD'],
    );
    assert.equal(s.openDamage, 2);
    assert.deepEqual(readFileSync(join(a.layout.root, orig.path)), badA);
    assert.deepEqual(readFileSync(join(b.layout.root, orig.path)), badB);
    assert.equal(existsSync(join(a.layout.root, '.outpost', 'quarantine')), false);
    // The catalogue remembers it for the station's status.
    const st = await scrubStatusOf(a.layout.catalog);
    assert.equal(st.damaged, 1);
  });

  it('partner away: reported, then repaired when it comes back (re-check only, no new cycle)', async () => {
    const { a, b } = await identicalPair(join(work, 'away'), 4);
    const orig = await original(a, 0);
    flipBit(join(a.layout.root, orig.path));
    const alone = await runScrub(a, undefined, { repair: true }, scrubDeps);
    assert.deepEqual(
      alone.unrepaired.map((u) => [u.path, u.reason]),
      [[orig.path, 'PARTNER_ABSENT']],
    );
    assert.equal((await scrubStatusOf(a.layout.catalog)).awaitingPartner, 1);
    const back = await runScrub(a, b, { repair: true, cycle: false }, scrubDeps);
    assert.equal(back.checked, 1, 'only the damaged file is read again');
    assert.deepEqual(
      back.repaired.map((r) => r.path),
      [orig.path],
    );
    assert.equal(back.openDamage, 0);
    assert.equal(sha(join(a.layout.root, orig.path)), orig.id);
  });

  it('a missing original is put back without clobbering', async () => {
    const { a, b } = await identicalPair(join(work, 'missing'), 3);
    const orig = await original(b, 0);
    rmSync(join(b.layout.root, orig.path));
    const s = await runScrub(b, a, { repair: true }, scrubDeps);
    assert.deepEqual(
      s.repaired.map((r) => [r.code, r.quarantine]),
      [['MISSING', undefined]],
    );
    assert.equal(sha(join(b.layout.root, orig.path)), orig.id);
  });

  it('honours the rate limit', async () => {
    const { a } = await identicalPair(join(work, 'rate'), 20);
    const total = (await rows(a, `select sum(size) as n from items`))[0]!.n as number;
    const comp = (await rows(a, `select coalesce(sum(size), 0) as n from companions`))[0]!.n as number;
    const bytes = total + comp;
    const fast = await scrubDrive(a, {}, scrubDeps);
    assert.equal(fast.bytes, bytes);
    const rate = bytes / 1.5; // about 1.5 s of reading, less the first burst (1 MiB)
    const t0 = performance.now();
    const slow = await scrubDrive(a, { bytesPerSecond: rate }, scrubDeps);
    const secs = (performance.now() - t0) / 1000;
    const expected = Math.max(0, bytes - 1024 * 1024) / rate;
    assert.equal(slow.bytes, bytes);
    assert.ok(secs >= expected * 0.8, `took ${secs}s, expected about ${expected}s`);
    assert.ok(secs <= expected * 3 + 1, `took ${secs}s, expected about ${expected}s`);
    assert.ok(fast.seconds < secs, 'unthrottled is faster');
  });

  it('an interrupted scrub continues where it stopped', async () => {
    const { a } = await identicalPair(join(work, 'resume'), 12);
    const ac = new AbortController();
    const seen1: ScrubProgress[] = [];
    const first = await scrubDrive(
      a,
      {
        signal: ac.signal,
        onProgress: (p) => {
          seen1.push(p);
          if (p.itemsDone >= 6) ac.abort();
        },
      },
      scrubDeps,
    );
    assert.equal(first.aborted, true);
    assert.equal(first.complete, false);
    const st = await scrubStatusOf(a.layout.catalog);
    assert.ok(st.cursor, 'the cursor is kept');
    const seen2: ScrubProgress[] = [];
    const second = await scrubDrive(a, { onProgress: (p) => seen2.push(p) }, scrubDeps);
    assert.equal(second.complete, true);
    assert.ok(second.resumedAt >= 6, `resumed at ${second.resumedAt}`);
    assert.equal(seen2[0]!.itemsDone, second.resumedAt, 'progress starts where the last run stopped');
    assert.equal(seen2.at(-1)!.itemsDone, 12);
    // Together the two runs read each file about once (an item cut off mid-way is read again).
    const files = 12 + ((await rows(a, `select count(*) as n from companions`))[0]!.n as number);
    assert.ok(second.checked < files, `second run checked ${second.checked} of ${files}`);
    assert.ok(
      first.checked + second.checked <= files + 3,
      `${first.checked} + ${second.checked} vs ${files}`,
    );
    const done = await scrubStatusOf(a.layout.catalog);
    assert.equal(done.cursor, undefined);
    assert.ok(done.lastCompletedAt);
    // The next run is a fresh cycle from the start.
    const third = await scrubDrive(a, {}, scrubDeps);
    assert.equal(third.resumedAt, 0);
    assert.equal(third.checked, files);
  });
});
