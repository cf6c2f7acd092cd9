import cliProgress from 'cli-progress';
import type { IngestProgress } from '../ingest/types.js';
import { formatBytes } from './output.js';

/** A progress bar on stderr when it is a terminal; silent otherwise (scripts, --json, CI). */
export function ingestProgressBar(enabled: boolean): { update(p: IngestProgress): void; stop(): void } {
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
      const payload = {
        phase: p.phase.padEnd(7),
        files: `${p.filesDone}/${p.filesTotal} files`,
        bytes: `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`,
        current: (p.current ?? '').slice(-40),
      };
      if (!started) {
        bar.start(Math.max(p.bytesTotal, 1), p.bytesDone, payload);
        started = true;
      } else {
        bar.setTotal(Math.max(p.bytesTotal, 1));
        bar.update(p.bytesDone, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
