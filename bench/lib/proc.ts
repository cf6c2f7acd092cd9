import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Timed {
  seconds: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set of the child (VmHWM, sampled every 50 ms and at exit), MB. */
  peakRssMB: number;
}

function vmHwmKB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Run a command, timing it and sampling its peak RSS. */
export function timed(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    const sample = (): void => {
      if (child.pid) peak = Math.max(peak, vmHwmKB(child.pid));
    };
    const iv = setInterval(sample, 50);
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', sample);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(iv);
      resolve({
        seconds: (performance.now() - t0) / 1000,
        code,
        stdout,
        stderr,
        peakRssMB: Math.round(peak / 1024),
      });
    });
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}
