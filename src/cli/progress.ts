import cliProgress from 'cli-progress';
import { formatBytes } from './output.js';

/** What a long command reports: ingest, mirror, scrub. */
export interface Progress {
  phase: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  current?: string | undefined;
}

/** A progress bar (bytes) on stderr when it is a terminal; silent otherwise (scripts, --json, CI). */
export function progressBar(enabled: boolean): { update(p: Progress): void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{phase} |{bar}| {percentage}% {files} {bytes} {eta_formatted} {current}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      // Work counted in steps, not bytes (a video job): the bar goes by the steps.
      const byBytes = p.bytesTotal > 0;
      const payload = {
        phase: p.phase.padEnd(8),
        files: byBytes ? `${p.filesDone}/${p.filesTotal} files` : `${p.filesDone}/${p.filesTotal} steps`,
        bytes: byBytes ? `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}` : '',
        current: (p.current ?? '').slice(-40),
      };
      const total = Math.max(byBytes ? p.bytesTotal : p.filesTotal, 1);
      const done = byBytes ? p.bytesDone : p.filesDone;
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export const ingestProgressBar = progressBar;
