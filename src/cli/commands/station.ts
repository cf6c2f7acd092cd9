import type { Command } from 'commander';
import { startStation } from '../../station/station.js';
import type { FastifyInstance } from 'fastify';
import { buildContext, type Context } from '../context.js';
import { openCatalog, type Catalog } from '../../library/catalog/open.js';
import { openDrive } from '../../library/drive.js';
import { newSetupCode } from '../../auth/setup-code.js';
import { countUsers } from '../../auth/users.js';
import { buildApp } from '../../server/app.js';
import { startServer } from '../../server/server.js';
import type { StationEvents } from '../../station/events.js';
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
        const { events, done } = startStation(ctx, { library, signal: abort.signal });
        const web = ctx.config.server.enabled ? serveWhenAttached(ctx, events) : undefined;
        events.on('ingest-progress', ({ mountPoint, progress }) => {
          if (progress.phase !== 'copy') ctx.log.debug({ mountPoint, phase: progress.phase }, 'ingest');
        });
        await done;
        await web?.close();
      }),
    );
}

/**
 * The web app and API need a library: start serving when the first library drive is attached
 * (at once when one is configured). The catalogue connection is the server's own.
 */
function serveWhenAttached(ctx: Context, events: StationEvents): { close(): Promise<void> } {
  let app: FastifyInstance | undefined;
  let catalog: Catalog | undefined;
  let starting: Promise<void> | undefined;
  events.on('library-attached', ({ path }) => {
    if (starting) return;
    starting = (async () => {
      const drive = await openDrive(path);
      catalog = await openCatalog(drive.layout.catalog);
      const setupCode =
        ctx.config.server.setupCode && (await countUsers(catalog)) === 0 ? newSetupCode() : undefined;
      app = await buildApp({
        catalog,
        drive,
        node: ctx.node,
        clock: ctx.clock,
        log: ctx.log,
        events,
        ...(setupCode ? { setupCode } : {}),
      });
      const { url } = await startServer(app, { host: ctx.config.server.host, port: ctx.config.server.port });
      ctx.log.info({ url, library: path }, 'web app and API listening');
      if (setupCode) {
        // On the console and in the journal: whoever can read them may create the first editor.
        ctx.log.warn(
          { setupCode, url },
          'no users yet: open the web app and create the first editor with this setup code',
        );
        process.stderr.write(
          `\nOutpost has no users yet. Open ${url} and create the first editor with setup code ${setupCode}\n` +
            `(or run \`outpost user add <name> --role editor\` on the station).\n\n`,
        );
      }
    })().catch((e: unknown) => {
      const err = e as Error & { code?: string };
      ctx.log.error(
        {
          err,
          hint:
            err.code === 'EADDRINUSE'
              ? 'another program uses this port: set server.port or --port'
              : undefined,
        },
        'web app and API could not start',
      );
    });
  });
  return {
    close: async () => {
      await starting;
      await app?.close();
      await catalog?.close();
    },
  };
}
