import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUTPOST_BIN } from './paths.js';

/** An empty config file: embedded defaults, and no dependence on the machine's /etc/outpost. */
export const EMPTY_CONFIG = join(mkdtempSync(join(tmpdir(), 'outpost-cfg-')), 'config.yaml');
// Embedded defaults, except the clock's state file: a test run must not write the machine's own
// /var/lib/outpost/clock.json (the station's "last good time").
writeFileSync(
  EMPTY_CONFIG,
  `# embedded defaults\nstation:\n  clock:\n    stateFile: ${join(EMPTY_CONFIG, '..', 'clock.json')}\n`,
);

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the real `outpost` CLI as a child process. */
export function outpost(
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnOutpost(args, opts.env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function spawnOutpost(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(OUTPOST_BIN, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OUTPOST_CONFIG: EMPTY_CONFIG, ...env, TZ: env.TZ ?? 'UTC' },
  });
}

/** Parse the JSON a `--json` command printed, with the output in the error when it is not JSON. */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

/**
 * Run `outpost <args>` (a server: `hq`, `station`) until its output matches `ready`, then stop it
 * with SIGTERM; fails with its output when it exits or takes longer than `ms` first.
 */
export async function startsAndServes(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  ms = 30_000,
): Promise<void> {
  const child = spawnOutpost(args, env);
  const exited = new Promise((r) => child.once('exit', r));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const t0 = Date.now();
    while (!ready.test(out)) {
      if (child.exitCode !== null) throw new Error(`outpost ${args.join(' ')} exited:\n${out}`);
      if (Date.now() - t0 > ms) throw new Error(`outpost ${args.join(' ')} did not get ready:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}
