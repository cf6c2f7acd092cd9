/**
 * Issue 4, §3–4 "Resume everywhere", for real: a library drive, the real `outpost uplink`
 * process sending it to the real `outpost hq` process through the flaky-link proxy, while the
 * uplink is killed with SIGKILL many times, HQ is killed with SIGKILL several times (once just as
 * an upload is about to finish) and restarted on the same data directory and port, and the link
 * is cut. Then, judged from the outside (files on HQ's disk, both catalogues read-only):
 * every original, thumbnail and preview is at HQ byte-exact, each object stored once, nothing
 * unverified marked done, the station's journal all `done`.
 *
 * The fault schedule comes from a seeded PRNG (printed; replay with OUTPOST_UPLINK_FAULT_SEED=<n>).
 * Faults are triggered by bytes that crossed the link since the previous fault, not by wall time,
 * so they land mid-transfer on a fast machine and a slow one alike.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { openCatalog } from '../../src/library/catalog/open.js';
import { derivedRelPath } from '../../src/library/layout.js';
import { json, outpost, spawnOutpost } from '../kit/cli.js';
import { corpusFiles, makeMp4 } from '../kit/fixtures.js';
import { startFlakyProxy, mbit, type FlakyProxy } from '../kit/flaky-proxy.js';
import { prng } from '../kit/hq.js';
import { addRawItem } from '../kit/uplink.js';

const SEED = Number(process.env.OUTPOST_UPLINK_FAULT_SEED ?? 4_2024_06);
const STATION = 'station-e2e';
const UPLINK_KILLS = 10;
const HQ_KILLS = 3;
const CUTS = 4;
/** Link: 4 Mbit/s, 40 ms each way. ~12 MB of media is ~25 s of pure transfer. */
const RATE = mbit(4);
const LATENCY_MS = 40;
/** "About to finish": this close to the end of an upload (~0.5 s on this link). */
const AT_END_BYTES = 256 * 1024;

interface Proc {
  child: ChildProcess;
  out: string[];
  exited: Promise<number | null>;
}

/** Spawn `outpost …` keeping the tail of its output (for the failure message). */
function spawnProc(args: string[], env: Record<string, string>): Proc {
  const child = spawnOutpost(args, env);
  const out: string[] = [];
  const keep = (b: Buffer): void => {
    out.push(b.toString());
    if (out.length > 400) out.splice(0, out.length - 400);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out, exited };
}

async function kill9(p: Proc | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGKILL');
  await p.exited;
}

async function stopGently(p: Proc | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await p.exited;
  clearTimeout(t);
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

/** Query a SQLite file read-only, closing it at once (the writer is another process). */
function query<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

let work: string;
let drive: string;
let hqData: string;
let stationConfig: string;
let key: string;
let hqPort = 0;
let proxy: FlakyProxy;
/** Mutable: the proxy reads host/port at each new connection. */
const proxyTarget = { host: '127.0.0.1', port: 0 };
let hq: Proc | undefined;
let uplink: Proc | undefined;
const hqLogs: string[] = [];
/** (item, rendition, sha256) the station must end up having sent, from its catalogue. */
const expected: {
  item: string;
  rendition: 'original' | 'thumb' | 'preview';
  sha256: string;
  size: number;
}[] = [];

async function startHq(): Promise<void> {
  const p = spawnProc(['hq', '--data', hqData, '--port', String(hqPort), '--host', '127.0.0.1'], {});
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`HQ did not start:\n${p.out.join('')}`)), 20_000);
    const onData = (b: Buffer): void => {
      const m = /outpost hq listening on (\S+)/.exec(b.toString());
      if (m) {
        clearTimeout(t);
        p.child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    p.child.stdout!.on('data', onData);
    void p.exited.then((code) => reject(new Error(`HQ exited (${code}):\n${p.out.join('')}`)));
  });
  hqPort = Number(new URL(url).port);
  proxyTarget.port = hqPort;
  hq = p;
  // Keep every HQ run's log: "object stored" lines are counted at the end.
  p.child.stderr!.on('data', (b: Buffer) => hqLogs.push(b.toString()));
}

function startUplink(): void {
  uplink = spawnProc(['uplink', '--library', drive], { OUTPOST_CONFIG: stationConfig });
}

function journal(): { state: string; n: number }[] {
  return query<{ state: string; n: number }>(
    join(drive, '.outpost', 'catalog.sqlite'),
    'select state, count(*) as n from uplink_transfers group by state',
  );
}

function allDone(): boolean {
  const j = journal();
  const total = j.reduce((s, r) => s + r.n, 0);
  return total === expected.length && j.every((r) => r.state === 'done');
}

/** Incomplete uploads in HQ's `uploads/`: id, announced size, bytes on disk, metadata. */
function uploadsOnDisk(): { id: string; size: number; have: number; metadata: Record<string, string> }[] {
  const dir = join(hqData, 'uploads');
  const out: { id: string; size: number; have: number; metadata: Record<string, string> }[] = [];
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    if (!f.endsWith('.json')) continue;
    const id = f.slice(0, -5);
    try {
      const info = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
        size?: number;
        metadata?: Record<string, string>;
      };
      const have = existsSync(join(dir, id)) ? statSync(join(dir, id)).size : 0;
      out.push({ id, size: info.size ?? -1, have, metadata: info.metadata ?? {} });
    } catch {
      // Being written (or torn by a kill): looked at again later.
    }
  }
  return out;
}

before(async () => {
  process.stderr.write(`uplink-faults: seed ${SEED} (replay with OUTPOST_UPLINK_FAULT_SEED=${SEED})\n`);
  work = await mkdtemp(join(tmpdir(), 'outpost-uplink-faults-'));
  drive = join(work, 'drive');
  hqData = join(work, 'hq');

  // The library: real ingest of a few corpus photos and a short video (thumbs, previews, a
  // poster), then raw stand-ins for a long video and larger photos (random bytes).
  const init = await outpost(['init-drive', drive, '--label', 'Faults']);
  assert.equal(init.code, 0, init.stderr);
  const card = join(work, 'card', 'DCIM', '100MEDIA');
  mkdirSync(card, { recursive: true });
  for (const f of corpusFiles()
    .filter((p) => !p.endsWith('corrupted.jpg'))
    .slice(0, 6))
    copyFileSync(f, join(card, f.split('/').pop()!));
  makeMp4(join(card, 'CLIP0001.MP4'), 2);
  const ing = await outpost(['ingest', join(work, 'card'), '--library', drive, '--json', '--no-progress']);
  assert.equal(ing.code, 0, ing.stderr);
  const cat = await openCatalog(join(drive, '.outpost', 'catalog.sqlite'));
  try {
    await addRawItem(cat, drive, { size: 10_000_000, type: 'video', ext: 'mp4', seed: `v${SEED}` });
    for (let i = 0; i < 3; i++)
      await addRawItem(cat, drive, {
        size: 600_000 + i * 150_000,
        type: 'photo',
        ext: 'jpg',
        seed: `p${SEED}:${i}`,
      });
  } finally {
    await cat.close(); // the uplink process is the only writer from here on
  }
  const items = query<{
    id: string;
    size: number;
    has_thumb: number;
    has_preview: number;
    has_poster: number;
  }>(
    join(drive, '.outpost', 'catalog.sqlite'),
    "select id, size, has_thumb, has_preview, has_poster from items where state = 'stored' and deleted = 0",
  );
  for (const i of items) {
    expected.push({ item: i.id, rendition: 'original', sha256: i.id, size: i.size });
    const derived: ['thumb' | 'preview', string][] = [];
    if (i.has_thumb) derived.push(['thumb', derivedRelPath(i.id, 'thumb')]);
    if (i.has_preview) derived.push(['preview', derivedRelPath(i.id, 'preview')]);
    else if (i.has_poster) derived.push(['preview', derivedRelPath(i.id, 'poster')]);
    for (const [rendition, rel] of derived) {
      const p = join(drive, rel);
      expected.push({ item: i.id, rendition, sha256: await sha256Of(p), size: statSync(p).size });
    }
  }
  assert.ok(expected.some((e) => e.rendition === 'thumb') && expected.some((e) => e.rendition === 'preview'));

  const k = await outpost(['hq', 'keys', 'add', STATION, '--data', hqData, '--json']);
  assert.equal(k.code, 0, k.stderr);
  key = json<{ key: string }>(k).key;
  await startHq();
  proxy = await startFlakyProxy({ target: proxyTarget, rateBitsPerSec: RATE, latencyMs: LATENCY_MS });
  stationConfig = join(work, 'station.yaml');
  await writeFile(
    stationConfig,
    [
      `node: ${STATION}`,
      'uplink:',
      '  enabled: true',
      `  hq: { url: "http://127.0.0.1:${proxy.port}", key: "${key}" }`,
      '  chunkSeconds: 2',
      '  stallTimeoutSeconds: 5',
      '',
    ].join('\n'),
  );
});

after(async () => {
  await kill9(uplink);
  await kill9(hq);
  await proxy?.close();
  if (work && !process.env.OUTPOST_KEEP_WORK) await rm(work, { recursive: true, force: true });
  else if (work) process.stderr.write(`uplink-faults: work dir kept: ${work}\n`);
});

it(
  'uplink and HQ killed -9 many times, link cut: everything arrives once, byte-exact, verified',
  { timeout: 170_000 },
  async () => {
    const total = expected.reduce((s, e) => s + e.size, 0);
    const rnd = prng(SEED);
    type Fault = 'uplink' | 'hq' | 'cut';
    const faults: Fault[] = [
      ...Array<Fault>(UPLINK_KILLS).fill('uplink'),
      ...Array<Fault>(HQ_KILLS - 1).fill('hq'),
      ...Array<Fault>(CUTS).fill('cut'),
    ];
    for (let i = faults.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [faults[i], faults[j]] = [faults[j]!, faults[i]!];
    }
    // HQ's downtimes come from their own stream: the kill at the end of an upload comes when it
    // comes, and must not shift the fault schedule drawn from `rnd`.
    const rndDown = prng(SEED ^ 0x5bd1e995);
    const done: string[] = [];
    let hqAtEnd = false;
    let hqKills = 0;
    const restartHq = async (why: string): Promise<void> => {
      await kill9(hq);
      hqKills++;
      done.push(why);
      // Down for a moment: the uplink meets refused connections and backs off.
      await sleep(300 + Math.floor(rndDown() * 1200));
      await startHq();
    };

    /**
     * Once: kill HQ as a big upload is about to finish (its last bytes on the wire, or HQ
     * hashing it): the next HEAD must verify before it says "offset = length".
     */
    const maybeKillHqAtEnd = async (): Promise<void> => {
      if (hqAtEnd) return;
      if (!uploadsOnDisk().some((u) => u.size >= 1_000_000 && u.have >= u.size - AT_END_BYTES)) return;
      hqAtEnd = true;
      await restartHq('hq-at-end');
    };

    startUplink();
    const t0 = Date.now();
    let finishedEarly = false;
    for (const fault of faults) {
      const from = proxy.stats().bytesUp;
      const need = 150_000 + Math.floor(rnd() * 500_000);
      const deadline = Date.now() + 45_000;
      let lastCheck = 0;
      while (proxy.stats().bytesUp - from < need) {
        if (Date.now() > deadline)
          assert.fail(
            `no progress for 45 s before fault ${done.length + 1} (${fault}); journal ${JSON.stringify(journal())}\n` +
              `uplink: ${uplink?.out.join('').slice(-3000)}`,
          );
        await maybeKillHqAtEnd();
        if (Date.now() - lastCheck > 500) {
          lastCheck = Date.now();
          if (allDone()) {
            finishedEarly = true;
            break;
          }
        }
        await sleep(15);
      }
      if (finishedEarly) break;
      if (fault === 'uplink') {
        await kill9(uplink);
        done.push('uplink');
        await sleep(Math.floor(rnd() * 500));
        startUplink();
      } else if (fault === 'hq') await restartHq('hq');
      else {
        proxy.cut();
        done.push('cut');
      }
    }
    process.stderr.write(
      `uplink-faults: faults ${done.join(',')} in ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
        `hq killed ${hqKills}× (as an upload finished: ${hqAtEnd})\n`,
    );

    // Let it finish (but for the kill of HQ at the end of an upload, if that has not come yet).
    const end = Date.now() + 90_000;
    let lastDoneCheck = 0;
    for (;;) {
      if (Date.now() - lastDoneCheck > 250) {
        lastDoneCheck = Date.now();
        if (allDone()) break;
      }
      if (Date.now() > end)
        assert.fail(
          `not done 90 s after the last fault: journal ${JSON.stringify(journal())}, want ${expected.length}\n` +
            `uplink: ${uplink?.out.join('').slice(-3000)}`,
        );
      await maybeKillHqAtEnd();
      await sleep(15);
    }
    const stats = proxy.stats();
    await stopGently(uplink);
    await stopGently(hq);
    process.stderr.write(
      `uplink-faults: all done in ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
        `${stats.bytesUp} bytes up for ${total} bytes of media (×${(stats.bytesUp / total).toFixed(3)}), ` +
        `${stats.connections} connections, ${stats.connectionsCut} cut; HQ killed ${hqKills}× ` +
        `(once as an upload was about to finish: ${hqAtEnd})\n`,
    );

    // The faults really happened, and while there was something to send.
    assert.equal(done.filter((d) => d === 'uplink').length, UPLINK_KILLS, `faults: ${done.join(',')}`);
    assert.ok(hqAtEnd, 'HQ was killed as an upload was about to finish');
    assert.equal(hqKills, HQ_KILLS, `HQ killed ${hqKills} times: ${done.join(',')}`);
    assert.ok(stats.cuts >= 1, 'the link was cut');

    // HQ's objects table: exactly the expected objects, each once (the primary key is
    // (item, rendition), so "once" is also checked in the logs below).
    const hqCatalog = join(hqData, '.outpost', 'catalog.sqlite');
    const rows = query<{ item: string; rendition: string; sha256: string; size: number; station: string }>(
      hqCatalog,
      'select item, rendition, sha256, size, station from objects',
    );
    const key3 = (o: { item: string; rendition: string; sha256: string }): string =>
      `${o.item}:${o.rendition}:${o.sha256}`;
    assert.deepEqual(new Set(rows.map(key3)), new Set(expected.map(key3)));
    assert.equal(rows.length, expected.length);
    for (const r of rows) assert.equal(r.station, STATION);

    // The object store: one file per distinct hash, nothing else, each file hashing to its name
    // and of the size HQ noted (re-hashed from disk: HQ killed mid-write must not leave a
    // corrupt object behind a "done").
    const objectsDir = join(hqData, 'objects');
    const files = readdirSync(objectsDir)
      .filter((d) => d !== '.tmp')
      .flatMap((d) => readdirSync(join(objectsDir, d)).map((f) => join(d, f)));
    const wantHashes = new Set(rows.map((r) => r.sha256));
    assert.deepEqual(new Set(files.map((f) => f.split('/')[1])), wantHashes);
    assert.equal(files.length, wantHashes.size, 'no stray or duplicate object files');
    for (const r of rows) {
      const p = join(objectsDir, r.sha256.slice(0, 2), r.sha256);
      assert.equal(await sha256Of(p), r.sha256, `object ${r.item} ${r.rendition} is intact`);
      assert.equal(statSync(p).size, r.size);
    }
    // And byte-exact against the station's files (originals by their own hash = name).
    for (const e of expected) assert.equal(e.sha256, rows.find((r) => key3(r) === key3(e))!.sha256);

    // Stored once: HQ logs "object stored" when it records a verified object; across every HQ
    // run, no object may be stored twice (that would be an upload sent again in full).
    const stored = new Map<string, number>();
    const mismatches: string[] = [];
    for (const line of hqLogs.join('').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const l = JSON.parse(line) as { msg?: string; item?: string; rendition?: string };
        if (l.msg === 'object stored') {
          const k = `${l.item}:${l.rendition}`;
          stored.set(k, (stored.get(k) ?? 0) + 1);
        }
        if (l.msg === 'upload checksum mismatch: deleted') mismatches.push(line);
      } catch {
        // a line cut by SIGKILL
      }
    }
    const twice = [...stored].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], 'no object stored twice');
    assert.deepEqual(mismatches, [], 'HQ never received bytes that did not hash (no corrupt resume)');

    // The station's journal: every transfer done, no failure left over.
    assert.deepEqual(journal(), [{ state: 'done', n: expected.length }]);
    // HQ has the facts of every item.
    const items = new Set(expected.map((e) => e.item));
    const hqItems = query<{ id: string }>(hqCatalog, 'select id from items');
    for (const id of items)
      assert.ok(
        hqItems.some((r) => r.id === id),
        `HQ has the facts of ${id}`,
      );

    // Leftovers in uploads/: partial uploads whose creation answer a cut or a kill swallowed
    // (they expire) are fine; a complete one must be a verified, stored object, never a
    // "done" for bytes that do not hash.
    const left = uploadsOnDisk();
    for (const u of left.filter((x) => x.have >= x.size)) {
      const sha = await sha256Of(join(hqData, 'uploads', u.id));
      assert.equal(sha, u.metadata.sha256, `complete leftover upload ${u.id} hashes to its announced sha256`);
      assert.ok(wantHashes.has(sha), `complete leftover upload ${u.id} is a stored object`);
    }
    process.stderr.write(
      `uplink-faults: ${rows.length} objects verified; uploads/ leftovers: ` +
        `${left.filter((x) => x.have < x.size).length} partial, ${left.filter((x) => x.have >= x.size).length} complete\n`,
    );
  },
);
