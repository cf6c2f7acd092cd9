import { spawn } from 'node:child_process';
import { OutpostError, errnoCode } from '../core/errors.js';

export interface RunOptions {
  signal?: AbortSignal;
  /** Kill the child after this long. */
  timeoutMs?: number;
  /** Stop collecting stdout past this many bytes (the child is killed). */
  maxStdoutBytes?: number;
  stdin?: Buffer | string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs external programs. One instance is passed to whatever needs ffmpeg, exiftool, lsblk... */
export interface ProcessRunner {
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

/**
 * Spawns a child, collects its output, honours an AbortSignal and a timeout, and kills only
 * its own child (never a process group it does not own).
 */
export const nodeProcessRunner: ProcessRunner = {
  run(cmd, args, opts = {}) {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let outBytes = 0;
      let err = '';
      let timer: NodeJS.Timeout | undefined;
      const kill = (): void => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      };
      const onAbort = (): void => kill();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs) timer = setTimeout(kill, opts.timeoutMs);
      child.stdout.on('data', (b: Buffer) => {
        outBytes += b.length;
        if (opts.maxStdoutBytes !== undefined && outBytes > opts.maxStdoutBytes) {
          kill();
          return;
        }
        out.push(b);
      });
      child.stderr.on('data', (b: Buffer) => {
        if (err.length < 64 * 1024) err += b.toString('utf8');
      });
      child.stdin.on('error', () => {
        /* child may exit before reading stdin */
      });
      if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
      else child.stdin.end();
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (errnoCode(e) === 'ENOENT')
          reject(new OutpostError('TOOL_MISSING', `${cmd} is not installed`, { cause: e }));
        else reject(e);
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve({ code, signal, stdout: Buffer.concat(out), stderr: err });
      });
    });
  },
};
