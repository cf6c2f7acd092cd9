/**
 * bench:uplink — the station's uplink (the real UplinkRunner and tus client, in this process)
 * sending to the real `outpost hq` (a child process) through the flaky-link proxy with 150 ms
 * one-way latency (300 ms round trip). Issue 4, §4:
 *   goodputRatio          payload bytes confirmed at HQ per second over a steady window of a big
 *                         video upload ÷ link rate, at 2 Mbit/s (target ≥ 0.9);
 *                         goodputRatio256k the same at 256 kbit/s (a fresh runner: a station
 *                         restarted on a slower link)
 *   priorityLatencyChunks a ~2 MB photo added and rated 5 stars (through another catalogue
 *                         connection, as the web app does) while a 200 MB video is uploading at
 *                         2 Mbit/s: time until HQ's objects table has its original, in chunk-times
 *                         (chunk.targetSeconds, 15 s by default) (target ≤ 2)
 *   resentRatio           bytes sent twice ÷ bytes of a 48 MB upload at 2 Mbit/s cut off 5 times
 *                         (target ≤ 0.01); wasteRatio: the same from the other side (bytes
 *                         handed to the socket minus bytes confirmed)
 * The runner runs with production defaults (15 s chunks, 60 s stall timeout, 500 ms poll).
 * Ratios are against the link rate the proxy enforces in the same run, not absolute times.
 * `--quick`: smaller files and windows (a smoke run of ~2 minutes). Seeded (print + UPLINK_BENCH_SEED).
 * Ends with one JSON line {"bench":"uplink", ...}.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from '../src/adapters/logger.js';
import { sleep } from '../src/adapters/sleep.js';
import { openCatalog, type Catalog } from '../src/library/catalog/open.js';
import { recordLocalOps } from '../src/library/catalog/ops.js';
import { initDrive } from '../src/library/drive.js';
import { UplinkRunner } from '../src/uplink/runner.js';
import { HqTusTarget } from '../src/uplink/targets/hq-tus.js';
import { kbit, mbit, startFlakyProxy } from '../test/kit/flaky-proxy.js';
import { prng } from '../test/kit/hq.js';
import { addRawItem } from '../test/kit/uplink.js';
import { timed } from './lib/proc.js';
import { measureGoodput, startHqProcess, type HqProcess } from './lib/uplink-rig.js';

const quick = process.argv.includes('--quick');
const SEED = Number(process.env.UPLINK_BENCH_SEED ?? 20240601);
const STATION = 'bench-station';
const LATENCY_MS = 150;
const FAST = mbit(2);
const SLOW = kbit(256);
/** The runner's default chunk target (chunk-size.ts): the unit of priorityLatencyChunks. */
const CHUNK_SECONDS = 15;
const MB = 1_000_000;
const P = quick
  ? {
      videoBytes: 40 * MB,
      onWireMs: 10_000,
      settleMs: 5_000,
      window2m: 30_000,
      warm256: 20_000,
      window256: 30_000,
      resentBytes: 12 * MB,
      cutEveryMs: 8_000,
    }
  : {
      videoBytes: 200 * MB,
      onWireMs: 10_000,
      settleMs: 10_000,
      window2m: 75_000,
      warm256: 25_000,
      window256: 45_000,
      resentBytes: 48 * MB,
      cutEveryMs: 30_000,
    };
const CUTS = 5;

const t00 = performance.now();
const log = (s: string): void =>
  void process.stderr.write(`[${((performance.now() - t00) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

async function waitFor(cond: () => boolean, ms: number, what: string, everyMs = 50): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The runner's per-chunk debug line, summarised on stderr: what the pacer and sizer did. */
function chunkLogger(phase: { name: string }): Logger {
  return pino<never>(
    { level: 'debug', base: undefined },
    {
      write(line: string) {
        try {
          const r = JSON.parse(line) as Record<string, unknown>;
          if (r.msg === 'uplink chunk')
            log(
              `  ${phase.name} chunk ${String(r.cls)}: ${(Number(r.sent) / 1000).toFixed(0)} kB in ${(Number(r.ms) / 1000).toFixed(1)} s, ` +
                `drain ${String(r.drainMs)} ms, pace ${r.paceBps ? (Number(r.paceBps) / 1000).toFixed(1) : '∞'} kB/s, ` +
                `est ${r.estBps ? (Number(r.estBps) / 1000).toFixed(1) : '–'} kB/s`,
            );
          else if (Number(r.level) >= 30)
            log(`  ${phase.name} ${String(r.msg)} ${r.err ? String(r.err) : ''}`);
        } catch {
          // not JSON
        }
      },
    },
  );
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'outpost-bench-uplink-'));
  const cfg = join(work, 'config.yaml');
  writeFileSync(cfg, 'log: { level: warn }\n');
  const env = { OUTPOST_CONFIG: cfg, TZ: 'UTC' };
  let hq: HqProcess | undefined;
  let catalog: Catalog | undefined;
  let editor: Catalog | undefined;
  const runners: { abort: AbortController; done: Promise<unknown>; target: HqTusTarget }[] = [];
  try {
    log(
      `bench:uplink${quick ? ' --quick' : ''}: seed ${SEED}, link 2 Mbit/s and 256 kbit/s, ${LATENCY_MS} ms each way`,
    );
    const hqData = join(work, 'hq');
    const k = await timed(
      join(import.meta.dirname, '..', 'bin', 'outpost'),
      ['hq', 'keys', 'add', STATION, '--data', hqData, '--json'],
      env,
    );
    if (k.code !== 0) throw new Error(`keys add failed: ${k.stderr}`);
    const key = (JSON.parse(k.stdout) as { key: string }).key;
    hq = await startHqProcess(hqData, env);
    const hqPort = Number(new URL(hq.url).port);
    const proxy = await startFlakyProxy({
      target: { host: '127.0.0.1', port: hqPort },
      rateBitsPerSec: FAST,
      latencyMs: LATENCY_MS,
    });
    const up = (): number => proxy.stats().bytesUp;

    const drive = await initDrive(join(work, 'drive'), { label: 'Bench', now: new Date() });
    catalog = await openCatalog(drive.layout.catalog);
    editor = await openCatalog(drive.layout.catalog);
    const root = drive.layout.root;
    const rnd = prng(SEED);
    log(`making a ${P.videoBytes / MB} MB video (random bytes)...`);
    const video = await addRawItem(catalog, root, { size: P.videoBytes, type: 'video', ext: 'mp4' });

    const phase = { name: 'A' };
    const startRunner = (): UplinkRunner => {
      const target = new HqTusTarget({ url: `http://127.0.0.1:${proxy.port}`, key });
      const runner = new UplinkRunner(
        { catalog: catalog!, driveRoot: root, target, now: () => Date.now(), sleep, log: chunkLogger(phase) },
        { node: STATION },
      );
      const abort = new AbortController();
      runners.push({ abort, done: runner.run(abort.signal), target });
      return runner;
    };
    const stopRunner = async (): Promise<void> => {
      const r = runners.pop()!;
      r.abort.abort();
      await r.done;
      r.target.close();
    };

    // ---- A: 2 Mbit/s, the 200 MB video; a photo rated 5 while it is on the wire; goodput.
    log('A: 2 Mbit/s — video on the wire');
    const a = startRunner();
    await waitFor(() => a.status().current?.item === video.id, 60_000, 'the video on the wire');
    await sleep(P.onWireMs);
    log(`A: rating a new ~2 MB photo 5 stars (video ${(a.status().current?.offset ?? 0) / MB} MB confirmed)`);
    const t0 = performance.now();
    const photo = await addRawItem(editor, root, {
      size: 2_000_000 + Math.floor(rnd() * 1000),
      type: 'photo',
      ext: 'jpg',
    });
    await recordLocalOps(
      editor,
      [{ entity: 'item', id: photo.id, field: 'rating', value: 5 }],
      STATION,
      Date.now(),
    );
    await waitFor(() => hq!.has(photo.id), 180_000, 'the rated photo at HQ', 20);
    const priorityLatencyMs = Math.round(performance.now() - t0);
    const priorityLatencyChunks = round3(priorityLatencyMs / (CHUNK_SECONDS * 1000));
    const photoAlone = (photo.bytes.length / (FAST / 8)) * 1000;
    log(
      `A: photo at HQ after ${priorityLatencyMs} ms = ${priorityLatencyChunks} chunk-times (its bytes alone: ${Math.round(photoAlone)} ms)`,
    );
    if (hq.has(video.id)) throw new Error('the video finished before the photo: make it bigger');

    await sleep(P.settleMs);
    log(`A: goodput over ≥ ${P.window2m / 1000} s`);
    const g2 = await measureGoodput(a, up, P.window2m, 120_000, log);
    const goodputRatio = round3(g2.bps / (FAST / 8));
    log(
      `A: ${(g2.bps / 1000).toFixed(1)} kB/s payload over ${g2.seconds.toFixed(1)} s (${g2.chunks} chunks), link carried ${(g2.linkBps / 1000).toFixed(1)} kB/s of ${FAST / 8000} → goodputRatio ${goodputRatio}`,
    );
    await stopRunner();

    // ---- B: 256 kbit/s, a fresh runner (a station restarted on a slower link) resumes the video.
    phase.name = 'B';
    proxy.setRate(SLOW);
    proxy.cut();
    log('B: 256 kbit/s — a fresh runner resumes the video');
    const b = startRunner();
    await sleep(P.warm256);
    log(`B: goodput over ≥ ${P.window256 / 1000} s`);
    const g256 = await measureGoodput(b, up, P.window256, 180_000, log);
    const goodputRatio256k = round3(g256.bps / (SLOW / 8));
    log(
      `B: ${(g256.bps / 1000).toFixed(2)} kB/s payload over ${g256.seconds.toFixed(1)} s (${g256.chunks} chunks), link carried ${(g256.linkBps / 1000).toFixed(2)} kB/s of ${SLOW / 8000} → goodputRatio256k ${goodputRatio256k}`,
    );
    await stopRunner();

    // ---- C: 2 Mbit/s, a new video (shortest-remaining-first: it goes before the big one),
    // cut off 5 times at spaced, jittered moments while it uploads.
    phase.name = 'C';
    proxy.setRate(FAST);
    proxy.cut();
    const v2 = await addRawItem(catalog, root, { size: P.resentBytes, type: 'video', ext: 'mp4' });
    log(`C: 2 Mbit/s — ${P.resentBytes / MB} MB video, ${CUTS} cuts about every ${P.cutEveryMs / 1000} s`);
    const c = startRunner();
    const upAtStart = up();
    await waitFor(() => c.status().current?.item === v2.id, 60_000, 'the new video on the wire');
    const tc = performance.now();
    let cuts = 0;
    for (let i = 1; i <= CUTS; i++) {
      const at = tc + i * P.cutEveryMs + (rnd() - 0.5) * 0.3 * P.cutEveryMs;
      await waitFor(() => performance.now() >= at || hq!.has(v2.id), 3_600_000, 'the next cut', 20);
      if (hq.has(v2.id)) break;
      const n = proxy.cut();
      cuts++;
      const s = c.status();
      log(
        `C: cut ${i} (${n} connections) at ${((performance.now() - tc) / 1000).toFixed(1)} s, ${(s.current?.offset ?? 0) / MB} MB confirmed, resent so far ${s.resentBytes}`,
      );
    }
    await waitFor(() => hq!.has(v2.id), 3_600_000, 'the cut video at HQ', 100);
    const sc = c.status();
    await stopRunner();
    if (cuts < CUTS) throw new Error(`only ${cuts} cuts landed before the upload finished`);
    // sentBytes also counts what went after the video (the big one resumes at once): only the
    // resent counter is attributable; it counts bytes below the highest byte ever sent.
    const resentRatio = round3(sc.resentBytes / v2.bytes.length);
    log(
      `C: ${sc.resentBytes} bytes sent twice for ${v2.bytes.length} (${cuts} cuts; link carried ${up() - upAtStart} bytes) → resentRatio ${resentRatio}`,
    );

    const result = {
      bench: 'uplink',
      quick,
      seed: SEED,
      latencyMs: LATENCY_MS * 2,
      goodputRatio,
      goodputRatio256k,
      goodputSeconds: round3(g2.seconds),
      goodput256kSeconds: round3(g256.seconds),
      linkUse: round3(g2.linkBps / (FAST / 8)),
      linkUse256k: round3(g256.linkBps / (SLOW / 8)),
      priorityLatencyMs,
      priorityLatencyChunks,
      chunkSeconds: CHUNK_SECONDS,
      photoBytes: photo.bytes.length,
      videoBytes: video.bytes.length,
      resentRatio,
      resentBytes: sc.resentBytes,
      resentOf: v2.bytes.length,
      cuts,
      targets: { goodputRatio: 0.9, priorityLatencyChunks: 2, resentRatio: 0.01 },
      met: {
        goodputRatio: goodputRatio >= 0.9,
        priorityLatencyChunks: priorityLatencyChunks <= 2,
        resentRatio: resentRatio <= 0.01,
      },
      seconds: Math.round((performance.now() - t00) / 1000),
    };
    await proxy.close();
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    for (const r of runners) {
      r.abort.abort();
      await r.done.catch(() => undefined);
      r.target.close();
    }
    await editor?.close();
    await catalog?.close();
    await hq?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:uplink failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
