import assert from 'node:assert/strict';
import pgDriver from 'pg';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../../../src/adapters/sleep.js';
import { S3ObjectStore } from '../../../src/hq/s3-store.js';
import { HqTusTarget } from '../../../src/uplink/targets/hq-tus.js';
import { UploadFailure, type NewUpload } from '../../../src/uplink/targets/target.js';
import { newS3Bucket } from '../../kit/buckets.js';
import { itemFacts, randomBytesSeeded, prng } from '../../kit/hq.js';
import { s3ObjectsYaml, startHqCluster, type HqCluster } from '../../kit/hq-cluster.js';
import { startTestPostgres, type TestPostgres } from '../../kit/postgres.js';
import { startTestSwift, type TestSwift } from '../../kit/swift.js';

const MiB = 1024 * 1024;
const STATION = 'station-nodes';

async function* slices(b: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Several HQ nodes (real `outpost hq` processes) on one PostgreSQL database and one S3 bucket
 * (Swift), behind a round-robin balancer with no sticky sessions: uploads survive a node killed
 * mid-upload, two nodes never write one upload at once, and a dead node's locks are free at once.
 */
describe('several HQ nodes: PostgreSQL, one bucket, a round-robin balancer', { timeout: 600_000 }, () => {
  let pg: TestPostgres;
  let swift: TestSwift;
  let cluster: HqCluster;
  let store: S3ObjectStore;
  let key: string;
  let databaseUrl: string;
  let seed = 1;

  before(async () => {
    pg = await startTestPostgres();
    swift = await startTestSwift();
    const s = await newS3Bucket(swift, 'hq/');
    store = new S3ObjectStore(s);
    databaseUrl = await pg.database();
    cluster = await startHqCluster({
      count: 2,
      databaseUrl,
      hqYaml: s3ObjectsYaml(s),
    });
    key = await cluster.key(STATION);
  });
  after(async () => {
    await cluster?.stop();
    await swift?.stop();
    await pg?.stop();
  });

  const target = (url = cluster.url): HqTusTarget =>
    new HqTusTarget({ url, key, stallTimeoutMs: 5000, requestTimeoutMs: 5000 });

  /** A new item whose facts HQ holds, and its upload description. */
  async function newItem(t: HqTusTarget, size: number): Promise<{ bytes: Buffer; up: NewUpload }> {
    const bytes = randomBytesSeeded(size, seed++);
    const id = sha(bytes);
    await t.sync({ items: [itemFacts(id, seed) as { id: string }], ops: [] });
    return { bytes, up: { item: id, rendition: 'original', sha256: id, size, name: `V${seed}.MP4` } };
  }

  it('uploads resume on the other node when one is killed mid-upload: all arrive, byte-exact, little re-sent', async () => {
    const rnd = prng(4242);
    // Issue 14 §4: 20 uploads of 64 MiB, a random node killed at a random byte of each.
    const CHUNK = 4 * MiB;
    const UPLOADS = 20;
    const SIZE = 64 * MiB;
    let kills = 0;
    let resent = 0;
    for (let u = 0; u < UPLOADS; u++) {
      const t = target();
      const { bytes, up } = await newItem(t, SIZE);
      const created = await t.create(up, slices(Buffer.alloc(0)));
      const url = created.url;
      let offset = 0;
      let sent = 0;
      const killAt = CHUNK + Math.floor(rnd() * (SIZE - 2 * CHUNK));
      let killed = false;
      while (offset < SIZE) {
        const end = Math.min(SIZE, offset + CHUNK);
        try {
          if (!killed && end > killAt) {
            // Kill a random node while this request is on the wire.
            killed = true;
            const victim = cluster.nodes[Math.floor(rnd() * cluster.nodes.length)]!;
            // Settled either way before it is awaited: the kill may end it at once.
            const req = t.append(url, offset, slices(bytes.subarray(offset, end), 16 * 1024)).then(
              (r) => ({ r }),
              (e: unknown) => ({ e }),
            );
            await sleep(5);
            await victim.kill();
            kills++;
            const out = await req;
            if ('e' in out) throw out.e;
            sent += out.r.sent;
            offset = out.r.offset;
          } else {
            const r = await t.append(url, offset, slices(bytes.subarray(offset, end)));
            sent += r.sent;
            offset = r.offset;
          }
        } catch (e) {
          assert.ok(e instanceof UploadFailure, String(e));
          // Where the upload stands now, from whichever node answers.
          let known: number | undefined;
          for (let i = 0; i < 20 && known === undefined; i++) {
            known = await t.offset(url).catch(async () => {
              await sleep(250);
              return undefined;
            });
          }
          assert.ok(known !== undefined, 'the other node answers for the upload');
          assert.ok(known <= offset + CHUNK);
          offset = known;
        }
      }
      const [has] = await t.have([{ item: up.item, rendition: 'original', sha256: up.sha256 }]);
      assert.equal(has, true, `upload ${u} held and verified`);
      const got = createHash('sha256');
      for await (const c of await store.getStream(up.sha256)) got.update(c as Buffer);
      assert.equal(got.digest('hex'), up.sha256);
      resent += sent - SIZE;
      // At most one chunk and one part (@tus/s3-store: 8 MiB) sent again for a kill.
      assert.ok(sent - SIZE <= CHUNK + 8 * MiB, `upload ${u}: sent ${sent} for ${SIZE}`);
      t.close();
      for (const n of cluster.nodes) if (!n.alive()) await n.start();
    }
    assert.equal(kills, UPLOADS);
    assert.ok(resent >= 0);
  });

  it('the same upload PATCHed through both nodes at once: one side is refused (409/423), the object is whole', async () => {
    const [a, b] = cluster.nodes;
    const ta = target(a!.url);
    const tb = target(b!.url);
    const { bytes, up } = await newItem(ta, 6 * MiB);
    const { url: urlA } = await ta.create(up, slices(Buffer.alloc(0)));
    const urlB = urlA.replace(a!.url, b!.url);
    // Both send the whole upload from offset 0, slowly: they overlap.
    async function* slow(): AsyncGenerator<Buffer> {
      for await (const s of slices(bytes, 256 * 1024)) {
        await sleep(20);
        yield s;
      }
    }
    const results = await Promise.allSettled([ta.append(urlA, 0, slow()), tb.append(urlB, 0, slow())]);
    const refused = results.filter((r) => r.status === 'rejected');
    assert.ok(refused.length >= 1, 'one of the two was refused');
    for (const r of refused) {
      const e = (r as PromiseRejectedResult).reason as UploadFailure;
      assert.ok(e instanceof UploadFailure, String(e));
      assert.ok(
        [409, 423].includes(e.status ?? 0) || e.kind === 'conflict' || e.kind === 'server',
        `${e.kind} ${e.status} ${e.message}`,
      );
    }
    // The one that was let through finished the upload (or HQ says where it stands: finish it).
    const [held] = await ta.have([{ item: up.item, rendition: 'original', sha256: up.sha256 }]);
    if (!held) {
      let offset = await ta.offset(urlA);
      if (offset < bytes.length)
        offset = (await ta.append(urlA, offset, slices(bytes.subarray(offset)))).offset;
      assert.equal(offset, bytes.length);
    } else assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const got = createHash('sha256');
    for await (const c of await store.getStream(up.sha256)) got.update(c as Buffer);
    assert.equal(got.digest('hex'), up.sha256);
    ta.close();
    tb.close();
  });

  it('a live node holding an upload lets go when another node asks: no 5 s wait, no 423', async () => {
    const [a, b] = cluster.nodes;
    const ta = target(a!.url);
    const tb = target(b!.url);
    const { bytes, up } = await newItem(ta, 3 * MiB);
    const { url: urlA } = await ta.create(up, slices(Buffer.alloc(0)));
    const urlB = urlA.replace(a!.url, b!.url);
    // A request that holds the lock on node A and stalls (a station whose link went quiet).
    let stall!: () => void;
    const stalled = new Promise<void>((r) => (stall = r));
    async function* hold(): AsyncGenerator<Buffer> {
      yield bytes.subarray(0, 64 * 1024);
      await stalled;
    }
    // Told to stop, tus ends the request with what it stored (or the station's side fails): either
    // way it ends while the station's body is still open.
    const held = ta.append(urlA, 0, hold()).then(
      (r) => `ended at ${r.offset}`,
      () => 'ended in an error',
    );
    await sleep(500);
    const t0 = Date.now();
    const offset = await tb.offset(urlB);
    const first = await tb.append(urlB, offset, slices(bytes.subarray(offset, offset + 64 * 1024)));
    const ms = Date.now() - t0;
    // About 1 s on a quiet machine; without the request it is 5 s and a 423. 3 s leaves room for
    // a loaded CI machine and still tells the two apart.
    assert.ok(ms < 3000, `node B took the upload from live node A after ${ms} ms`);
    const ended = await Promise.race([held, sleep(3000).then(() => 'still running')]);
    assert.notEqual(ended, 'still running', "node A's stalled request was told to stop");
    assert.notEqual(ended, `ended at ${bytes.length}`);
    const r = await tb.append(urlB, first.offset, slices(bytes.subarray(first.offset)));
    assert.equal(r.offset, bytes.length);
    stall();
    ta.close();
    tb.close();
  });

  it('uploads in progress do not use up the database pool: with 12 held open, others still go', async () => {
    const [a] = cluster.nodes;
    const ta = target(a!.url);
    // 12 > the pool's 10 query connections: each of these requests holds its upload's lock and
    // stalls (stations whose links went quiet); the node must still answer everyone else.
    const stalledItems = await Promise.all(Array.from({ length: 12 }, () => newItem(ta, 256 * 1024)));
    let stall!: () => void;
    const stalled = new Promise<void>((r) => (stall = r));
    const held = await Promise.all(
      stalledItems.map(async ({ bytes, up }) => {
        const { url } = await ta.create(up, slices(Buffer.alloc(0)));
        async function* hold(): AsyncGenerator<Buffer> {
          yield bytes.subarray(0, 32 * 1024);
          await stalled;
          yield bytes.subarray(32 * 1024);
        }
        return { url, bytes, up, done: ta.append(url, 0, hold()).catch((e: unknown) => e) };
      }),
    );
    await sleep(1000);
    const { bytes, up } = await newItem(ta, 256 * 1024);
    const t0 = Date.now();
    const { url } = await ta.create(up, slices(Buffer.alloc(0)));
    const r = await ta.append(url, 0, slices(bytes));
    assert.equal(r.offset, bytes.length);
    const [have] = await ta.have([{ item: up.item, rendition: 'original', sha256: up.sha256 }]);
    assert.ok(have, 'stored');
    assert.ok(Date.now() - t0 < 5000, `another upload took ${Date.now() - t0} ms`);
    stall();
    for (const h of held) {
      const offset = await ta.offset(h.url).catch(() => h.bytes.length);
      if (offset < h.bytes.length) await ta.append(h.url, offset, slices(h.bytes.subarray(offset)));
    }
    ta.close();
  });

  it("a node's lock connection cut: its requests on uploads stop, and uploads go on with new locks", async () => {
    const [a, b] = cluster.nodes;
    const ta = target(a!.url);
    const tb = target(b!.url);
    const { bytes, up } = await newItem(ta, 3 * MiB);
    const { url: urlA } = await ta.create(up, slices(Buffer.alloc(0)));
    const urlB = urlA.replace(a!.url, b!.url);
    let stall!: () => void;
    const stalled = new Promise<void>((r) => (stall = r));
    async function* hold(): AsyncGenerator<Buffer> {
      yield bytes.subarray(0, 64 * 1024);
      await stalled;
    }
    const held = ta.append(urlA, 0, hold()).then(
      (r) => `ended at ${r.offset}`,
      () => 'ended in an error',
    );
    await sleep(500);
    // What a PostgreSQL restart or a cut connection does to the nodes' lock sessions.
    const admin = new pgDriver.Client({ connectionString: databaseUrl });
    await admin.connect();
    const cut = await admin.query<{ n: string }>(
      `select count(pg_terminate_backend(pid)) as n from pg_stat_activity
       where application_name = 'outpost upload locks'`,
    );
    await admin.end();
    assert.equal(Number(cut.rows[0]!.n), 2, 'both nodes had a lock session');
    const ended = await Promise.race([held, sleep(3000).then(() => 'still running')]);
    assert.notEqual(ended, 'still running', 'the request whose lock went with the connection stopped');
    const offset = await tb.offset(urlB);
    const r = await tb.append(urlB, offset, slices(bytes.subarray(offset)));
    assert.equal(r.offset, bytes.length);
    const [has] = await tb.have([{ item: up.item, rendition: 'original', sha256: up.sha256 }]);
    assert.equal(has, true);
    stall();
    ta.close();
    tb.close();
  });

  it("a killed node's upload lock is free at once: the other node takes the upload within 2 s", async () => {
    const [a, b] = cluster.nodes;
    const ta = target(a!.url);
    const tb = target(b!.url);
    const { bytes, up } = await newItem(ta, 3 * MiB);
    const { url: urlA } = await ta.create(up, slices(Buffer.alloc(0)));
    const urlB = urlA.replace(a!.url, b!.url);
    // A request that holds the lock on node A and stalls (its body never ends).
    let stall!: () => void;
    const stalled = new Promise<void>((r) => (stall = r));
    async function* hold(): AsyncGenerator<Buffer> {
      yield bytes.subarray(0, 64 * 1024);
      await stalled;
    }
    const held = ta.append(urlA, 0, hold()).catch((e: unknown) => e);
    await sleep(500);
    await a!.kill();
    const t0 = Date.now();
    const offset = await tb.offset(urlB);
    // The next PATCH on node B gets the upload's lock: no waiting out a lease.
    const first = await tb.append(urlB, offset, slices(bytes.subarray(offset, offset + 64 * 1024)));
    const ms = Date.now() - t0;
    assert.ok(ms < 2000, `node B took the upload ${ms} ms after node A died`);
    const r = await tb.append(urlB, first.offset, slices(bytes.subarray(first.offset)));
    assert.equal(r.offset, bytes.length);
    stall();
    await held;
    ta.close();
    tb.close();
    await a!.start();
  });
});
