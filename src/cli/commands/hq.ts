import type { Command } from 'commander';
import { OutpostError } from '../../core/errors.js';
import { buildHqApp } from '../../hq/app.js';
import { openHqSnapshots } from '../../hq/snapshots.js';
import { openHqVideo } from '../../hq/video.js';
import { hqCatalogLocation, openHqDataDir } from '../../hq/data-dir.js';
import { hqObjectStore } from '../../hq/object-stores.js';
import { addStationKey, listStationKeys, revokeStationKey } from '../../hq/keys.js';
import { DEFAULT_MAX_UPLOAD, DEFAULT_UPLOAD_EXPIRY_MS } from '../../hq/uploads.js';
import { openCatalog, type Catalog } from '../../library/catalog/open.js';
import { ensureSearchIndexes } from '../../library/catalog/search-indexes.js';
import { announceIfNoUsers, announcedSetupCodes } from '../../server/first-user.js';
import { limitsFromConfig } from '../../server/http-limits.js';
import { startServer } from '../../server/server.js';
import { buildContext, type Context } from '../context.js';
import { emit, table } from '../output.js';
import { run } from '../run.js';

interface DataOpt {
  data?: string;
  json?: boolean;
}

function requireData(o: DataOpt): string {
  if (!o.data) throw new OutpostError('USAGE', 'no HQ data directory given', { hint: 'Pass --data <dir>.' });
  return o.data;
}

function positiveInt(flag: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new OutpostError('USAGE', `${flag} must be a whole number from ${min} to ${max}, not "${v}"`);
  return n;
}

/** HQ's own address, as its snapshot library uploads to it: loopback unless bound to one address. */
function ownUrl(host: string, port: number): string {
  const any = host === '0.0.0.0' || host === '::' || host === '' || host === 'localhost';
  const h = any ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/** `--data` given after a subcommand is parsed by `hq` itself (commander): look there too. */
function dataOf(o: DataOpt, cmd: Command): DataOpt {
  return { ...o, data: o.data ?? (cmd.optsWithGlobals() as DataOpt).data };
}

/** Open the data dir's catalogue for the length of `fn` (the keys commands). */
async function withHqCatalog<T>(ctx: Context, o: DataOpt, fn: (cat: Catalog) => T | Promise<T>): Promise<T> {
  const data = await openHqDataDir(requireData(o), ctx.clock.now());
  const cat = await openCatalog(hqCatalogLocation(data, ctx.config.hq.database));
  try {
    return await fn(cat);
  } finally {
    await cat.close();
  }
}

export function registerHq(program: Command): void {
  const hq = program
    .command('hq')
    .description('run HQ: receive uploads from stations and serve the web app online')
    .option('--data <dir>', 'HQ data directory (made on first start; laid out like a library drive)')
    .option('--port <port>', 'port (default: config server.port, 8080; 0 picks a free one)')
    .option('--host <host>', 'interface to listen on (default: config server.host, 0.0.0.0)')
    .option('--max-upload <bytes>', `largest upload accepted (default ${DEFAULT_MAX_UPLOAD}, 64 GiB)`)
    .option(
      '--upload-expiry-hours <h>',
      `incomplete uploads are deleted this long after creation (default ${DEFAULT_UPLOAD_EXPIRY_MS / 3600_000})`,
    )
    .action(
      (
        o: DataOpt & { port?: string; host?: string; maxUpload?: string; uploadExpiryHours?: string },
        cmd: Command,
      ) =>
        run(cmd, false, async () => {
          const ctx = await buildContext(cmd.optsWithGlobals());
          const port = positiveInt('--port', o.port, 0, 65535) ?? ctx.config.server.port;
          const host = o.host ?? ctx.config.server.host;
          const maxUploadSize = positiveInt('--max-upload', o.maxUpload, 1, Number.MAX_SAFE_INTEGER);
          const expiryH = positiveInt('--upload-expiry-hours', o.uploadExpiryHours, 1, 24 * 365);
          const data = await openHqDataDir(requireData(o), ctx.clock.now());
          const catalog = await openCatalog(hqCatalogLocation(data, ctx.config.hq.database));
          if (!(await ensureSearchIndexes(catalog)))
            ctx.log.warn(
              'the catalogue has no trigram indexes (the pg_trgm extension could not be created): event ' +
                'filters and search read the whole item table, slow with many items. As a PostgreSQL ' +
                'superuser run `CREATE EXTENSION pg_trgm;` in the database and restart HQ (docs/hq-deploy.md)',
            );
          const limits = limitsFromConfig(ctx.config.server.limits);
          let url = `http://<this server>:${port}`;
          const setupCode = announcedSetupCodes(ctx.config.server.setupCode, ctx.log, () => url);
          // IP cameras' snapshots: HQ as their FTP target (nothing when `snapshots:` names no camera).
          const snapshots = await openHqSnapshots({
            config: ctx.config,
            node: ctx.node,
            timeZone: ctx.timeZone,
            dataDir: data.drive.layout.root,
            catalog,
            clock: ctx.clock,
            log: ctx.log,
            runner: ctx.runner,
            analyzer: ctx.analyzer,
          });
          const store = await hqObjectStore(ctx.config.hq.objects, data.objectsDir);
          // Exports and edits of the stations' recordings and clips, made here (docs/video.md).
          const video = await openHqVideo({
            config: ctx.config,
            node: ctx.node,
            timeZone: ctx.timeZone,
            dataDir: data.drive.layout.root,
            catalog,
            store,
            clock: ctx.clock,
            log: ctx.log,
            runner: ctx.runner,
            analyzer: ctx.analyzer,
          });
          const { app } = await buildHqApp({
            ...(snapshots ? { snapshots: snapshots.control } : {}),
            video: video.control,
            data,
            catalog,
            store,
            ...(setupCode ? { setupCode } : {}),
            streams: limits.streams,
            trustProxy: ctx.config.server.trustProxy,
            allowedHosts: ctx.config.server.allowedHosts,
            clock: ctx.clock,
            log: ctx.log,
            node: ctx.node,
            ...(maxUploadSize !== undefined ? { maxUploadSize } : {}),
            ...(expiryH !== undefined ? { uploadExpiryMs: expiryH * 3600_000 } : {}),
          });
          const bound = await startServer(app, { host, port, limits: limits.http });
          url = bound.urls.join(' or ');
          ctx.log.info(
            { url: bound.url, open: bound.urls, data: data.drive.layout.root, catalogue: catalog.engine },
            'HQ listening',
          );
          process.stdout.write(`outpost hq listening on ${bound.url} (open ${url})\n`);
          await snapshots?.startUplink(ownUrl(host, bound.port));
          await video.startUplink(ownUrl(host, bound.port));
          await announceIfNoUsers(setupCode, catalog);
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          await snapshots?.close();
          await video.close();
          await app.close();
          await catalog.close();
        }),
    );

  const keys = hq.command('keys').description('upload keys of stations (only their SHA-256 is stored)');
  keys
    .command('add')
    .description('make a key for a station and print it (once: it cannot be shown again)')
    .argument('<station>', "the station's name (its `node` in the config): a-z, 0-9 and -")
    .option('--data <dir>', 'HQ data directory')
    .option('--json', 'JSON output')
    .action((station: string, o: DataOpt, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const added = await withHqCatalog(ctx, dataOf(o, cmd), (cat) =>
          addStationKey(cat, station, ctx.clock.now()),
        );
        emit(
          !!o.json,
          added,
          () =>
            `${added.key}\n\nThe key of station ${added.station}: put it in that station's uplink config. ` +
            'It is shown only now.',
        );
      }),
    );
  keys
    .command('list')
    .description('list stations and their keys (not the keys themselves)')
    .option('--data <dir>', 'HQ data directory')
    .option('--json', 'JSON output')
    .action((o: DataOpt, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const list = await withHqCatalog(ctx, dataOf(o, cmd), (cat) => listStationKeys(cat));
        emit(!!o.json, list, () =>
          list.length === 0
            ? 'no station keys yet: add one with `outpost hq keys add <station> --data <dir>`'
            : table([
                ['STATION', 'CREATED', 'STATE'],
                ...list.map((k) => [k.station, k.createdAt, k.revokedAt ? `revoked ${k.revokedAt}` : 'live']),
              ]),
        );
      }),
    );
  keys
    .command('revoke')
    .description("revoke a station's key (its next request gets 401)")
    .argument('<station>', "the station's name")
    .option('--data <dir>', 'HQ data directory')
    .option('--json', 'JSON output')
    .action((station: string, o: DataOpt, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const n = await withHqCatalog(ctx, dataOf(o, cmd), (cat) =>
          revokeStationKey(cat, station, ctx.clock.now()),
        );
        emit(!!o.json, { station, revoked: n }, () => `key of station ${station} revoked`);
      }),
    );
}
