import type { Command } from 'commander';
import { makeVideoCopies } from '../../library/intake/index.js';
import { buildContext, withLibraryCatalog } from '../context.js';
import { emit } from '../output.js';
import { progressBar } from '../progress.js';
import { run } from '../run.js';

export function registerVideos(program: Command): void {
  program
    .command('videos')
    .description(
      'make the small streaming copies of videos that need one (the station does this by itself after each card; camera recordings are left as they are)',
    )
    .option('--library <drive>', 'library drive')
    .option('--json', 'JSON summary')
    .option('--no-progress', 'no progress bar')
    .action((o: { library?: string; json?: boolean; progress?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        return withLibraryCatalog(ctx, o.library, async (cat, drive) => {
          const bar = progressBar(!o.json && o.progress !== false);
          const started = Date.now();
          try {
            const s = await makeVideoCopies(cat, drive.layout.root, ctx.analyzer, {
              now: () => ctx.clock.now().toISOString(),
              onProgress: (done, total) =>
                bar.update({
                  phase: 'videos',
                  filesDone: done,
                  filesTotal: total,
                  bytesDone: done,
                  bytesTotal: total,
                }),
            });
            bar.stop();
            const seconds = Math.round((Date.now() - started) / 100) / 10;
            emit(!!o.json, { ...s, seconds }, () =>
              [
                `${s.made} streaming copies made, ${s.notNeeded} videos stream as they are, ${s.failed} could not be encoded (${seconds}s)`,
                ...(s.failed > 0
                  ? ['  those play their original; `outpost ls --json` shows each warning']
                  : []),
              ].join('\n'),
            );
            return 0;
          } finally {
            bar.stop();
          }
        });
      }),
    );
}
