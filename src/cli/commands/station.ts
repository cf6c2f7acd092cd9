import type { Command } from 'commander';
import { startStation } from '../../station/station.js';
import { buildContext } from '../context.js';
import { run } from '../run.js';

export function registerStation(program: Command): void {
  program
    .command('station')
    .description('run the station: ingest every card inserted under the watched mount roots')
    .option(
      '--library <drive>',
      'library drive (default: config `library`, else the first library drive mounted)',
    )
    .option('--watch <dirs>', 'comma-separated mount roots to watch (default: /media,/run/media)')
    .action((o: { library?: string; watch?: string }, cmd: Command) =>
      run(cmd, false, async () => {
        const overrides = o.watch ? { station: { watchRoots: o.watch.split(',').filter(Boolean) } } : {};
        const ctx = await buildContext(cmd.optsWithGlobals(), overrides);
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        process.once('SIGTERM', () => abort.abort());
        const library = o.library ?? ctx.config.library;
        ctx.log.info(
          { roots: ctx.config.station.watchRoots, library: library ?? '(first library drive mounted)' },
          'station started',
        );
        const { events, done } = startStation(ctx, { library, signal: abort.signal });
        events.on('ingest-progress', ({ mountPoint, progress }) => {
          if (progress.phase !== 'copy') ctx.log.debug({ mountPoint, phase: progress.phase }, 'ingest');
        });
        await done;
      }),
    );
}
