import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { silentLogger } from '../../../src/adapters/logger.js';
import type { Clock } from '../../../src/adapters/clock.js';
import {
  startSnapshotFtp,
  type FtpUpload,
  type SnapshotFtp,
  type SnapshotFtpOptions,
} from '../../../src/snapshots/ftp/index.js';

/**
 * The snapshot FTP server on loopback for tests, with real clients (curl, lftp, Python's ftplib)
 * run against it. Its `accept` moves each upload to `<work>/got/` and records what it was told.
 */
export interface TestFtp {
  srv: SnapshotFtp;
  port: number;
  work: string;
  areaDir: string;
  tmpDir: string;
  /** What accept was given, with the SHA-256 of the bytes it found in the file. */
  uploads: (FtpUpload & { fileSha256: string })[];
  url(user: string, password: string, path?: string): string;
  /** Files in tmpDir (nothing should be left there between uploads). */
  tmpFiles(): Promise<string[]>;
  stop(): Promise<void>;
}

export const USERS = [
  { user: 'cam1', password: 'pw-one', camera: 'gate' },
  { user: 'cam2', password: 'pw-two', camera: 'barn' },
];

/** A mutable clock: tests move it on to let a login window pass. */
export function testClock(start = Date.UTC(2026, 11, 4, 10, 15, 3)): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => (t += ms) };
}

let ranges = 0;
/** A passive range of its own for each server of a test file (files run side by side). */
function passiveRange(): { min: number; max: number } {
  const base = 20000 + ((process.pid * 7 + ranges++ * 211) % 400) * 100;
  return { min: base, max: base + 99 };
}

export async function startTestFtp(over: Partial<SnapshotFtpOptions> = {}): Promise<TestFtp> {
  const work = await mkdtemp(join(tmpdir(), 'outpost-ftp-'));
  const areaDir = join(work, 'area');
  const tmpDir = join(work, 'tmp');
  const got = join(work, 'got');
  await mkdir(got);
  const uploads: TestFtp['uploads'] = [];
  const srv = await startSnapshotFtp({
    host: '127.0.0.1',
    port: 0,
    passivePorts: passiveRange(),
    publicAddress: '127.0.0.1',
    users: USERS,
    areaDir,
    tmpDir,
    maxFileBytes: 1 << 20,
    maxConnections: 20,
    idleTimeoutMs: 5000,
    login: { maxFailures: 5, windowMs: 60_000 },
    accept: async (u) => {
      const fileSha256 = sha256(await readFile(u.file));
      await rename(u.file, join(got, String(uploads.length)));
      uploads.push({ ...u, fileSha256 });
    },
    log: silentLogger,
    clock: testClock(),
    ...over,
  });
  return {
    srv,
    port: srv.port,
    work,
    areaDir,
    tmpDir,
    uploads,
    url: (user, password, path = '/') => `ftp://${user}:${password}@127.0.0.1:${srv.port}${path}`,
    tmpFiles: async () => readdir(tmpDir),
    stop: async () => {
      await srv.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A small JPEG as a camera would send (a colour, a size, a little noise so each differs). */
export async function jpeg(seed: number, width = 320, height = 240): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    raw[i] = (x >>> 16) & 0xff;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 70 })
    .toBuffer();
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run a client program to its end (or kill it after `timeoutMs`). */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Run a Python script (ftplib) with arguments; its stdout is JSON. */
export async function python<T>(script: string, args: (string | number)[]): Promise<T> {
  const r = await run('python3', ['-c', script, ...args.map(String)], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`python failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Wait until `check` passes (the server finishes a failed upload after the client has seen it fail). */
export async function eventually(check: () => unknown | Promise<unknown>, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() - t0 > timeoutMs) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
