import type { Command } from 'commander';
import { startStationServices } from '../../station/services.js';
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
    .option('--port <port>', 'port of the web app and API (default 8080; 0 picks a free one)')
    .option('--no-server', 'do not serve the web app and API')
    .action((o: { library?: string; watch?: string; port?: string; server: boolean }, cmd: Command) =>
      run(cmd, false, async () => {
        const overrides: Record<string, unknown> = {};
        if (o.watch) overrides.station = { watchRoots: o.watch.split(',').filter(Boolean) };
        if (o.port !== undefined || !o.server)
          overrides.server = {
            ...(o.port !== undefined ? { port: Number(o.port) } : {}),
            ...(o.server ? {} : { enabled: false }),
          };
        const ctx = await buildContext(cmd.optsWithGlobals(), overrides);
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        process.once('SIGTERM', () => abort.abort());
        const library = o.library ?? ctx.config.library;
        ctx.log.info(
          { roots: ctx.config.station.watchRoots, library: library ?? '(first library drive mounted)' },
          'station started',
        );
        const station = startStation(ctx, { library, signal: abort.signal });
        const { events, done } = station;
        const services = startStationServices(ctx, station);
        events.on('ingest-progress', ({ mountPoint, progress }) => {
          if (progress.phase !== 'copy') ctx.log.debug({ mountPoint, phase: progress.phase }, 'ingest');
        });
        await done;
        await services.close();
      }),
    );
}
