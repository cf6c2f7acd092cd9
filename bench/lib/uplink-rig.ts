/**
 * Pieces of bench:uplink: the real `outpost hq` as a child process (its own event loop, as in
 * the field), a read-only look at its objects table, and a sampler of what the station's runner
 * has had confirmed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { openHeldObjectsProbe, type ObjectRendition } from '../../src/library/catalog/objects.js';
import type { UplinkRunner } from '../../src/uplink/runner.js';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'outpost');

export interface HqProcess {
  url: string;
  child: ChildProcess;
  /** True when HQ's objects table holds (item, rendition). */
  has(item: string, rendition?: string): boolean;
  close(): Promise<void>;
}

/** `outpost hq --data <dir>` on a free loopback port; resolves once it listens. */
export async function startHqProcess(dataDir: string, env: Record<string, string>): Promise<HqProcess> {
  const child = spawn(BIN, ['hq', '--data', dataDir, '--port', '0', '--host', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stderr.on('data', (b: Buffer) => {
    out = (out + b.toString()).slice(-4000);
  });
  const url = await new Promise<string>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`outpost hq did not start:\n${out}`)), 20_000);
    child.stdout.on('data', (b: Buffer) => {
      const m = /outpost hq listening on (\S+)/.exec(b.toString());
      if (m) {
        clearTimeout(t);
        ok(m[1]!);
      }
    });
    child.once('exit', (code) => fail(new Error(`outpost hq exited (${code}):\n${out}`)));
  });
  const probe = openHeldObjectsProbe(resolve(dataDir, '.outpost', 'catalog.sqlite'));
  return {
    url,
    child,
    has: (item, rendition = 'original') => probe.has(item, rendition as ObjectRendition),
    close: async () => {
      probe.close();
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

export interface Confirmation {
  /** performance.now() when the runner's confirmed offset moved. */
  t: number;
  /** Bytes still pending (all transfers). */
  pending: number;
  /** Bytes the proxy had delivered upstream by then. */
  up: number;
}

/**
 * Wait for the next time the runner's confirmed bytes grow (a chunk answered by HQ), polling
 * every 20 ms. The runner only moves its offset on HQ's answer, so this is "confirmed at HQ".
 */
export async function nextConfirmation(
  runner: UplinkRunner,
  upBytes: () => number,
  timeoutMs: number,
): Promise<Confirmation> {
  const from = runner.status().pendingBytes;
  const end = performance.now() + timeoutMs;
  for (;;) {
    const pending = runner.status().pendingBytes;
    if (pending < from) return { t: performance.now(), pending, up: upBytes() };
    if (performance.now() > end) throw new Error(`no chunk confirmed in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Payload bytes confirmed per second over at least `windowMs`, measured between two chunk
 * confirmations (whole chunks, so the per-request round trip is inside the window), and the
 * link's use over the same span (bytes the proxy delivered, headers included).
 */
export async function measureGoodput(
  runner: UplinkRunner,
  upBytes: () => number,
  windowMs: number,
  chunkTimeoutMs: number,
  progress: (s: string) => void,
): Promise<{ bps: number; linkBps: number; seconds: number; bytes: number; chunks: number }> {
  const first = await nextConfirmation(runner, upBytes, chunkTimeoutMs);
  let last = first;
  let chunks = 0;
  while (last.t - first.t < windowMs) {
    last = await nextConfirmation(runner, upBytes, chunkTimeoutMs);
    chunks++;
    const s = (last.t - first.t) / 1000;
    progress(
      `    ${s.toFixed(1)} s: ${((first.pending - last.pending) / 1e6).toFixed(2)} MB confirmed, ` +
        `${((first.pending - last.pending) / s / 1000).toFixed(1)} kB/s`,
    );
  }
  const seconds = (last.t - first.t) / 1000;
  const bytes = first.pending - last.pending;
  return { bps: bytes / seconds, linkBps: (last.up - first.up) / seconds, seconds, bytes, chunks };
}
