/**
 * bench:cloud — a station's uplink straight to an object store (issue 14, §5): the real
 * UplinkRunner and BucketTarget in this process, sending to OpenStack Swift's s3api and to Azurite
 * (started here, as the tests do) through the flaky-link proxy at 2 Mbit/s with 150 ms each way.
 *   s3GoodputRatio     payload bytes confirmed per second over a steady window of a big video's
 *                      multipart upload (5 MiB parts at this rate) ÷ link rate (target ≥ 0.9)
 *   azureGoodputRatio  the same to an Azure container (block blob)
 *   s3RestartLostBytes, azureRestartLostBytes: a runner stopped mid-part and a fresh one started
 *                      (a station restart): bytes sent past the confirmed parts, sent again
 *                      (≤ one part); the fresh runner must resume exactly at the store's parts
 * The baseline is the link rate the proxy enforces in the same run. Production defaults
 * (15 s chunks, 60 s stall timeout). hqNodesThroughputRatio and opsMergePerSec: see hqNodes()
 * below and lib/ops-merge.ts; apiP95MsAt1M and searchP95MsAt1M: lib/api-at-scale.ts (`--quick`:
 * 200,000 items).
 * `--quick`: smaller video and windows. Ends with one JSON line {"bench":"cloud", ...}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from '../src/adapters/logger.js';
import { sleep } from '../src/adapters/sleep.js';
import { openCatalog, type Catalog } from '../src/library/catalog/open.js';
import { initDrive } from '../src/library/drive.js';
import { UplinkRunner } from '../src/uplink/runner.js';
import { AzureBackend } from '../src/uplink/targets/azure-backend.js';
import type { BucketBackend } from '../src/uplink/targets/bucket-backend.js';
import { BucketTarget } from '../src/uplink/targets/bucket-target.js';
import { S3Backend } from '../src/uplink/targets/s3-backend.js';
import { startTestAzurite, type TestAzurite } from '../test/kit/azurite.js';
import { newAzureContainer, newS3Bucket } from '../test/kit/buckets.js';
import { mbit, startFlakyProxy, type FlakyProxy } from '../test/kit/flaky-proxy.js';
import { startTestSwift, type TestSwift } from '../test/kit/swift.js';
import { addRawItem } from '../test/kit/uplink.js';
import { measureGoodput } from './lib/uplink-rig.js';
import { opsMerge, type OpsMergeResult } from './lib/ops-merge.js';
import { apiAtScale } from './lib/api-at-scale.js';
import { writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { S3ObjectStore } from '../src/hq/s3-store.js';
import { HqTusTarget } from '../src/uplink/targets/hq-tus.js';
import { s3ObjectsYaml, startHqCluster } from '../test/kit/hq-cluster.js';
import { itemFacts, randomBytesSeeded } from '../test/kit/hq.js';
import { startTestPostgres } from '../test/kit/postgres.js';

const quick = process.argv.includes('--quick');
/** Only the HQ-nodes and API parts, or only the API part (development). */
const apiOnly = process.argv.includes('--api-only');
const nodesOnly = apiOnly || process.argv.includes('--nodes-only');
const NO_NODES = {
  ratio: NaN,
  clusterMBps: NaN,
  rawMBps: NaN,
  ops: { opsPerSec: NaN, opsSent: 0, seconds: 0, identical: false, heads: 0 },
};
const SKIPPED = { ratio: NaN, seconds: NaN, resent: NaN, linkUse: NaN };
const LATENCY_MS = 150;
const RATE = mbit(2);
const MB = 1_000_000;
const P = quick ? { videoBytes: 24 * MB, windowMs: 45_000 } : { videoBytes: 60 * MB, windowMs: 90_000 };
const STATION = 'bench-station';

const t00 = performance.now();
const log = (s: string): void =>
  void process.stderr.write(`[${((performance.now() - t00) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The runner's per-request debug line on stderr: each part's size, time and drain. */
function partLogger(name: string): Logger {
  return pino<never>(
    { level: 'debug', base: undefined },
    {
      write(line: string) {
        try {
          const r = JSON.parse(line) as Record<string, unknown>;
          if (r.msg === 'uplink chunk')
            log(
              `  ${name} part: ${(Number(r.sent) / 1e6).toFixed(2)} MB in ${(Number(r.ms) / 1000).toFixed(1)} s, drain ${String(r.drainMs)} ms, pace ${r.paceBps ? (Number(r.paceBps) / 1000).toFixed(1) : '∞'} kB/s`,
            );
          else if (Number(r.level) >= 40) log(`  ${name} ${String(r.msg)} ${r.err ? String(r.err) : ''}`);
        } catch {
          // not JSON
        }
      },
    },
  );
}

interface Leg {
  name: 's3' | 'azure';
  port: number;
  backend(viaPort: number): Promise<BucketBackend>;
}

async function runLeg(
  leg: Leg,
  work: string,
): Promise<{ ratio: number; seconds: number; resent: number; linkUse: number }> {
  const proxy: FlakyProxy = await startFlakyProxy({
    target: { host: '127.0.0.1', port: leg.port },
    rateBitsPerSec: RATE,
    latencyMs: LATENCY_MS,
  });
  const drive = await initDrive(join(work, `drive-${leg.name}`), { label: leg.name, now: new Date() });
  const catalog: Catalog = await openCatalog(drive.layout.catalog);
  const backend = await leg.backend(proxy.port);
  const runners: { abort: AbortController; done: Promise<unknown>; target: BucketTarget }[] = [];
  const start = (): UplinkRunner => {
    const target = new BucketTarget(backend, 'outpost/');
    const runner = new UplinkRunner(
      {
        catalog,
        driveRoot: drive.layout.root,
        target,
        now: () => Date.now(),
        sleep,
        log: partLogger(leg.name),
      },
      { node: STATION },
    );
    const abort = new AbortController();
    runners.push({ abort, done: runner.run(abort.signal), target });
    return runner;
  };
  const stop = async (): Promise<void> => {
    const r = runners.pop()!;
    r.abort.abort();
    await r.done;
  };
  try {
    log(`${leg.name}: making a ${P.videoBytes / MB} MB video`);
    const video = await addRawItem(catalog, drive.layout.root, {
      size: P.videoBytes,
      type: 'video',
      ext: 'mp4',
    });
    const a = start();
    const up = (): number => proxy.stats().bytesUp;
    const t0 = Date.now();
    while (a.status().current?.item !== video.id) {
      if (Date.now() - t0 > 120_000) throw new Error(`${leg.name}: the video never went on the wire`);
      await sleep(100);
    }
    log(`${leg.name}: goodput over ≥ ${P.windowMs / 1000} s`);
    const g = await measureGoodput(a, up, P.windowMs, 180_000, log);
    const ratio = round3(g.bps / (RATE / 8));
    log(
      `${leg.name}: ${(g.bps / 1000).toFixed(1)} kB/s over ${g.seconds.toFixed(1)} s (${g.chunks} parts) → ${ratio}`,
    );
    // A station restart mid-part: what the runner had sent past the store's confirmed parts is
    // lost (sent again by the next runner, which resumes from the store's part list).
    await sleep(5000);
    const sa = a.status();
    await stop();
    const confirmed = video.bytes.length - sa.pendingBytes;
    const lost = sa.sentBytes - confirmed;
    log(
      `${leg.name}: stopped with ${confirmed} bytes confirmed of ${sa.sentBytes} sent: ${lost} to send again`,
    );
    const b = start();
    const t1 = Date.now();
    while (b.status().sentBytes === 0 && Date.now() - t1 < 60_000) await sleep(200);
    const resumedAt = video.bytes.length - b.status().pendingBytes;
    log(`${leg.name}: the next runner resumed at ${resumedAt} (the store's parts)`);
    await stop();
    if (resumedAt !== confirmed) throw new Error(`${leg.name}: resumed at ${resumedAt}, not at ${confirmed}`);
    return { ratio, seconds: round3(g.seconds), resent: lost, linkUse: round3(g.linkBps / (RATE / 8)) };
  } finally {
    for (const r of runners) {
      r.abort.abort();
      await r.done.catch(() => undefined);
    }
    backend.close();
    await catalog.close();
    await proxy.close();
  }
}

/**
 * hqNodesThroughputRatio: 4 parallel 64 MiB uploads (tus, 8 MiB requests) through two `outpost hq`
 * nodes (PostgreSQL, uploads kept in Swift, round-robin balancer), received, verified (read back)
 * and adopted, ÷ the same 4 objects put straight into Swift as multipart uploads, in parallel.
 */
async function hqNodes(
  swift: TestSwift,
  work: string,
): Promise<{ ratio: number; clusterMBps: number; rawMBps: number; ops: OpsMergeResult }> {
  const N = 4;
  const SIZE = (quick ? 32 : 64) * 1024 * 1024;
  const REQ = 8 * 1024 * 1024;
  const pg = await startTestPostgres();
  const databaseUrl = await pg.database();
  const s = await newS3Bucket(swift, 'hq/');
  const cluster = await startHqCluster({
    count: 2,
    databaseUrl,
    hqYaml: s3ObjectsYaml(s),
  });
  try {
    const key = await cluster.key('bench-nodes');
    const files = Array.from({ length: N }, (_, i) => randomBytesSeeded(SIZE, 900 + i));
    // Raw: the store alone, 4 multipart PUTs at once (64 MiB parts: S3ObjectStore's own).
    const raw = new S3ObjectStore({ ...s, prefix: 'raw/', partBytes: 8 * 1024 * 1024 });
    const paths = await Promise.all(
      files.map(async (b, i) => {
        const p = join(work, `raw-${i}`);
        await writeFile(p, b);
        return p;
      }),
    );
    const ids = files.map((b) => createHash('sha256').update(b).digest('hex'));
    let t0 = performance.now();
    await Promise.all(paths.map((p, i) => raw.putFile(ids[i]!, p)));
    const rawS = (performance.now() - t0) / 1000;
    // Through the nodes: facts, then each upload in 8 MiB PATCHes, until HQ holds it.
    const t = new HqTusTarget({ url: cluster.url, key });
    await t.sync({ items: ids.map((id, i) => itemFacts(id, i + 1) as { id: string }), ops: [] });
    t.close();
    t0 = performance.now();
    await Promise.all(
      files.map(async (b, i) => {
        const c = new HqTusTarget({ url: cluster.url, key });
        const up = {
          item: ids[i]!,
          rendition: 'original' as const,
          sha256: ids[i]!,
          size: SIZE,
          name: `V${i}.MP4`,
        };
        async function* body(from: number, to: number): AsyncGenerator<Buffer> {
          for (let o = from; o < to; o += 256 * 1024) yield b.subarray(o, Math.min(to, o + 256 * 1024));
        }
        const { url } = await c.create(up, body(0, 0));
        let offset = 0;
        while (offset < SIZE)
          offset = (await c.append(url, offset, body(offset, Math.min(SIZE, offset + REQ)))).offset;
        const [has] = await c.have([{ item: up.item, rendition: 'original', sha256: up.sha256 }]);
        if (!has) throw new Error(`upload ${i} not held`);
        c.close();
      }),
    );
    const clusterS = (performance.now() - t0) / 1000;
    const total = (N * SIZE) / 1e6;
    log(
      `hq nodes: ${total} MB in ${clusterS.toFixed(1)} s through two nodes; raw Swift ${rawS.toFixed(1)} s`,
    );
    const ops = await opsMerge({
      url: cluster.url,
      databaseUrl,
      key: (station) => cluster.key(station),
      stations: 10,
      opsPerStation: quick ? 10_000 : 100_000,
      itemsPerStation: quick ? 1_000 : 5_000,
      seed: 1414,
      log,
    });
    return {
      ratio: round3(rawS / clusterS),
      clusterMBps: round3(total / clusterS),
      rawMBps: round3(total / rawS),
      ops,
    };
  } finally {
    await cluster.stop();
    await pg.stop();
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'outpost-bench-cloud-'));
  let swift: TestSwift | undefined;
  let azurite: TestAzurite | undefined;
  try {
    log(`bench:cloud${quick ? ' --quick' : ''}: link 2 Mbit/s, ${LATENCY_MS} ms each way`);
    swift = await startTestSwift();
    azurite = await startTestAzurite();
    const sw = swift;
    const az = azurite;
    const s3 = nodesOnly
      ? SKIPPED
      : await runLeg(
          {
            name: 's3',
            port: Number(new URL(sw.endpoint).port),
            backend: async (viaPort) => {
              const s = await newS3Bucket(sw);
              return new S3Backend({ ...s, endpoint: `http://127.0.0.1:${viaPort}` });
            },
          },
          work,
        );
    const azure = nodesOnly
      ? SKIPPED
      : await runLeg(
          {
            name: 'azure',
            port: Number(new URL(az.blobEndpoint).port),
            backend: async (viaPort) => {
              const s = await newAzureContainer(az);
              return new AzureBackend({
                ...s,
                connectionString: s.connectionString.replace(
                  /BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/,
                  `BlobEndpoint=http://127.0.0.1:${viaPort}`,
                ),
              });
            },
          },
          work,
        );
    const nodes = apiOnly ? NO_NODES : await hqNodes(sw, work);
    // Set up as docs/hq-deploy.md tells a deployment: a quarter of the RAM for shared buffers, no JIT.
    const pgApi = await startTestPostgres({ shared_buffers: '2GB', jit: 'off' });
    const api = await apiAtScale({
      databaseUrl: await pgApi.database(),
      items: quick ? 200_000 : 1_000_000,
      nodes: 1,
      clients: 20,
      requestsPerClient: quick ? 20 : 40,
      log,
    }).finally(() => pgApi.stop());
    const result = {
      bench: 'cloud',
      quick,
      latencyMs: LATENCY_MS * 2,
      linkBitsPerSec: RATE,
      s3GoodputRatio: s3.ratio,
      azureGoodputRatio: azure.ratio,
      s3LinkUse: s3.linkUse,
      azureLinkUse: azure.linkUse,
      s3GoodputSeconds: s3.seconds,
      azureGoodputSeconds: azure.seconds,
      s3RestartLostBytes: s3.resent,
      azureRestartLostBytes: azure.resent,
      hqNodesThroughputRatio: nodes.ratio,
      hqNodesMBps: nodes.clusterMBps,
      rawSwiftMBps: nodes.rawMBps,
      opsMergePerSec: nodes.ops.opsPerSec,
      opsMerged: nodes.ops.opsSent,
      opsFinalStateIdentical: nodes.ops.identical,
      apiP95MsAt1M: api.apiP95Ms,
      searchP95MsAt1M: api.searchP95Ms,
      apiItems: api.items,
      apiRequestsPerSec: api.requestsPerSec,
      apiP95MsOneClient: api.apiP95MsOneClient,
      searchP95MsOneClient: api.searchP95MsOneClient,
      apiNodes: api.nodes,
      apiP95ByClients: api.p95ByClients,
      apiCpuMsPerRequest: api.cpuMsPerRequest,
      apiCores: api.cores,
      notBuilt: [],
      targets: {
        s3GoodputRatio: 0.9,
        azureGoodputRatio: 0.9,
        hqNodesThroughputRatio: 0.33,
        opsMergePerSec: 10_000,
        apiP95MsAt1M: 50,
        searchP95MsAt1M: 150,
      },
      met: {
        s3GoodputRatio: s3.ratio >= 0.9,
        azureGoodputRatio: azure.ratio >= 0.9,
        hqNodesThroughputRatio: nodes.ratio >= 0.33,
        opsMergePerSec: nodes.ops.opsPerSec >= 10_000 && nodes.ops.identical,
        apiP95MsAt1M: api.apiP95Ms < 50,
        searchP95MsAt1M: api.searchP95Ms < 150,
      },
      seconds: Math.round((performance.now() - t00) / 1000),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await swift?.stop();
    await azurite?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:cloud failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
