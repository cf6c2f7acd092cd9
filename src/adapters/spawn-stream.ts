import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { OutpostError, errnoCode } from '../core/errors.js';

export interface StreamSpawnOptions {
  /** Extra output pipes after stdout/stderr: 2 gives fd 3 and fd 4. */
  extraFds?: number;
  /** A readable with a file descriptor (another child's stdout) becomes the child's stdin. */
  stdin?: Readable;
  /** Give the child a stdin pipe we write to (`StreamChild.stdin`): interactive tools (gpioset -i). */
  stdinPipe?: boolean;
  /** Aborting kills the child (SIGKILL). */
  signal?: AbortSignal;
  /**
   * Start the child in its own process group, so a Ctrl-C at the terminal reaches only us and
   * we stop it with exactly one signal (a second SIGINT makes ffmpeg drop the open segment).
   */
  ownGroup?: boolean;
}

export interface StreamChild {
  pid: number | undefined;
  stdout: Readable;
  stderr: Readable;
  /** The child's stdin, when spawned with `stdinPipe`. */
  stdin?: Writable;
  /** `fds[0]` is fd 3, `fds[1]` fd 4, … */
  fds: Readable[];
  /** Resolves when the child has exited and its pipes are closed; never rejects. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: OutpostError }>;
  /** Signal the child (only this child: never a process group). False when it has already exited. */
  kill(signal: NodeJS.Signals): boolean;
  alive(): boolean;
}

/** Spawns a long-running child whose outputs are streamed (camera pipelines). */
export interface StreamSpawner {
  spawn(cmd: string, args: readonly string[], opts?: StreamSpawnOptions): StreamChild;
}

export const nodeStreamSpawner: StreamSpawner = {
  spawn(cmd, args, opts = {}) {
    const extra = Array.from({ length: opts.extraFds ?? 0 }, () => 'pipe' as const);
    const child: ChildProcess = spawn(cmd, args, {
      stdio: [opts.stdin ?? (opts.stdinPipe ? 'pipe' : 'ignore'), 'pipe', 'pipe', ...extra],
      detached: opts.ownGroup ?? false,
    });
    const alive = (): boolean => child.exitCode === null && child.signalCode === null;
    const kill = (sig: NodeJS.Signals): boolean => (alive() ? child.kill(sig) : false);
    const onAbort = (): void => void kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: OutpostError }>(
      (resolve) => {
        child.once('error', (e) => {
          opts.signal?.removeEventListener('abort', onAbort);
          const error =
            errnoCode(e) === 'ENOENT'
              ? new OutpostError('TOOL_MISSING', `${cmd} is not installed`, { cause: e })
              : new OutpostError('RECORDER_FAILED', `cannot start ${cmd}: ${e.message}`, { cause: e });
          resolve({ code: null, signal: null, error });
        });
        child.once('close', (code, signal) => {
          opts.signal?.removeEventListener('abort', onAbort);
          resolve({ code, signal });
        });
      },
    );
    const fds = extra.map((_, i) => child.stdio[3 + i] as Readable);
    // A child that exits while we write must not crash us (EPIPE); its exit is reported by `exited`.
    child.stdin?.on('error', () => undefined);
    return {
      pid: child.pid,
      stdout: child.stdout!,
      stderr: child.stderr!,
      ...(opts.stdinPipe && child.stdin ? { stdin: child.stdin } : {}),
      fds,
      exited,
      kill,
      alive,
    };
  },
};
