/**
 * Meter a Raspberry Pi camera's exposure before a recording: run rpicam-vid for a few seconds
 * with the camera's size, frame rate and controls, its per-frame metadata on stdout and its
 * pictures thrown away, and decide what auto-exposure settled at (exposure-lock.ts). The process
 * runner is passed in; this spawns nothing itself.
 */
import type { ProcessRunner } from '../adapters/process-runner.js';
import { OutpostError, isOutpostError } from '../core/errors.js';
import {
  parseRpicamMetadata,
  settledExposure,
  type ExposureOutcome,
  type SettleOptions,
} from './exposure-lock.js';
import { rpicamControlArgs } from './rpicam-controls.js';
import { parseSource } from './sources.js';

/** Options of {@link meterExposure}. */
export interface MeterOptions {
  runner: ProcessRunner;
  /** The camera's `rpicam:` source URL: metered at its size, frame rate, camera and controls. */
  source: string;
  /** How long rpicam-vid runs (its `-t`), milliseconds. Default 3000. */
  settleMs?: number;
  /** Kill rpicam-vid after this long (the frames read so far are still used). Default settleMs + 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  settle?: SettleOptions;
  /** The program (default `rpicam-vid`). */
  cmd?: string;
}

/**
 * Source URL keys not passed to the metering run: not camera controls (as in sources.ts), and
 * `sync` (a metering run must not lead or follow the other Pis' frame sync).
 */
const NOT_METERED = new Set(['codec', 'width', 'height', 'fps', 'camera', 'sync']);

/**
 * rpicam-vid's arguments to meter a source: raw frames to /dev/null (no encoder load), the
 * metadata as JSON on stdout, for `settleMs`. Throws RECORDER_SOURCE for a bad or non-rpicam URL.
 */
export function meteringArgs(source: string, settleMs: number): string[] {
  const spec = parseSource(source);
  if (spec.kind !== 'rpicam' || !spec.size || spec.fps === undefined)
    throw new OutpostError(
      'RECORDER_SOURCE',
      `camera source "${source}": exposure lock needs an rpicam: source`,
    );
  const q = new URLSearchParams(source.slice('rpicam:'.length).replace(/^\?/, ''));
  const args = ['-t', String(Math.max(1, Math.round(settleMs))), '-n', '--codec', 'yuv420'];
  args.push('--width', String(spec.size.width), '--height', String(spec.size.height));
  args.push('--framerate', String(spec.fps));
  const camera = q.get('camera');
  if (camera !== null) args.push('--camera', camera);
  args.push(...rpicamControlArgs(Object.fromEntries([...q].filter(([k]) => !NOT_METERED.has(k)))));
  args.push('--metadata', '-', '--metadata-format', 'json', '-o', '/dev/null');
  return args;
}

const lastLines = (s: string, n = 3): string =>
  s
    .trim()
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .join(' | ');

/**
 * What the camera's auto-exposure settled at (status `settled`), or the last values when it
 * did not settle in time (status `unsettled`, with why). Throws TOOL_MISSING when rpicam-vid is
 * not installed, RECORDER_SOURCE when it fails or reports no exposure metadata.
 */
export async function meterExposure(
  o: MeterOptions,
): Promise<Exclude<ExposureOutcome, { status: 'no-frames' }>> {
  const cmd = o.cmd ?? 'rpicam-vid';
  const settleMs = o.settleMs ?? 3000;
  const args = meteringArgs(o.source, settleMs);
  let res;
  try {
    res = await o.runner.run(cmd, args, {
      timeoutMs: o.timeoutMs ?? settleMs + 10_000,
      maxStdoutBytes: 32 * 1024 * 1024,
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } catch (e) {
    if (isOutpostError(e) && e.code === 'TOOL_MISSING')
      throw new OutpostError(
        'TOOL_MISSING',
        `${cmd} is not installed: cannot meter the exposure to lock it`,
        {
          hint: 'Install rpicam-apps on the Pi (`sudo apt install rpicam-apps`), or record without exposure lock.',
          cause: e,
        },
      );
    throw e;
  }
  o.signal?.throwIfAborted();
  const outcome = settledExposure(parseRpicamMetadata(res.stdout.toString('utf8')), o.settle);
  const killed = res.code === null;
  if (res.code !== 0 && !(killed && outcome.status !== 'no-frames'))
    throw new OutpostError(
      'RECORDER_SOURCE',
      killed
        ? `${cmd} gave no frames before it was stopped (${res.signal ?? 'killed'}) while metering the exposure`
        : `${cmd} failed (exit ${res.code}) while metering the exposure: ${lastLines(res.stderr) || 'no message'}`,
      {
        hint: 'Check the camera: `rpicam-hello --list-cameras` must list it (ribbon cable seated, camera enabled), and no other program may be using it.',
        details: { args, stderr: lastLines(res.stderr, 10) },
      },
    );
  if (outcome.status === 'no-frames')
    throw new OutpostError(
      'RECORDER_SOURCE',
      `${cmd} gave no exposure metadata while metering: ${outcome.why}`,
      {
        hint: 'This needs an rpicam-apps with --metadata (update it: `sudo apt install --only-upgrade rpicam-apps`); or record without exposure lock.',
        details: { args, stderr: lastLines(res.stderr, 10) },
      },
    );
  return outcome;
}
