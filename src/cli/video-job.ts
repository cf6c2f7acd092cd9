import type { EditDeps } from '../video/edit.js';
import type { Context } from './context.js';
import { progressBar } from './progress.js';

/**
 * What `outpost export` and `outpost edit` run a video job with: the context's tools, a progress
 * bar (when shown), and Ctrl-C or SIGTERM cancelling it (nothing of it is kept). `done()` stops
 * the bar and lets the signals go; calling it twice is fine.
 */
export function cliVideoJob(
  ctx: Context,
  showBar: boolean,
  /** --json: progress as JSON lines on stderr (`{"progress":{…}}`), the result alone on stdout. */
  jsonLines = false,
): { deps: EditDeps; done(): void } {
  const bar = progressBar(showBar);
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    deps: {
      runner: ctx.runner,
      analyzer: ctx.analyzer,
      clock: ctx.clock,
      timeZone: ctx.timeZone,
      nameTemplate: ctx.config.ingest.nameTemplate,
      thumbnailSize: ctx.config.ingest.thumbnailSize,
      previewSize: ctx.config.ingest.previewSize,
      lowPriority: true,
      encoder: ctx.config.video.encoder,
      signal: abort.signal,
      onProgress: (p) => {
        if (jsonLines) process.stderr.write(`${JSON.stringify({ progress: p })}\n`);
        bar.update({ phase: p.phase, filesDone: p.step, filesTotal: p.steps, bytesDone: 0, bytesTotal: 0 });
      },
    },
    done: () => {
      bar.stop();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
