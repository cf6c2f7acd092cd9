import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { fsyncDir } from '../../adapters/fs-atomic.js';
import { openMbtiles } from '../../adapters/mbtiles.js';
import type { MapInfo } from '../../core/map-tiles.js';
import { buildContext } from '../context.js';
import { emit, formatBytes } from '../output.js';
import { run } from '../run.js';

interface TileFileSummary extends MapInfo {
  file: string;
  tiles: number;
  bytes: number;
}

function describe(path: string): Omit<TileFileSummary, 'bytes'> {
  const m = openMbtiles(path);
  try {
    return { file: path, ...m.info, tiles: m.count() };
  } finally {
    m.close();
  }
}

function human(s: TileFileSummary, verb: string): string {
  const b = s.bounds ? s.bounds.map((n) => n.toFixed(4)).join(', ') : 'not given';
  return [
    `${verb}${s.file}`,
    `  name:        ${s.name}`,
    `  tiles:       ${s.tiles} ${s.format} (${formatBytes(s.bytes)}), zoom ${s.minzoom}–${s.maxzoom}`,
    `  area:        ${b} (west, south, east, north)`,
    `  attribution: ${s.attribution ?? '(none in the file: add one, the map shows it)'}`,
  ].join('\n');
}

/**
 * Copy `from` to `to` so that the station never sees half a file: a temporary sibling, fsync,
 * checked again, renamed over the old one.
 */
async function installFile(from: string, to: string): Promise<void> {
  const dir = dirname(to);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = join(dir, `.${basename(to)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await copyFile(from, tmp);
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    // The station (user outpost) reads what root imported.
    await chmod(tmp, 0o644);
    describe(tmp); // the copy opens as the original did
    await rename(tmp, to);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

export function registerMap(program: Command): void {
  const map = program
    .command('map')
    .description("the offline map's tiles (raster MBTiles of the programme's area)");

  map
    .command('import')
    .description("check a raster MBTiles file and make it the station's map (replaces the previous one)")
    .argument('<file>', 'an .mbtiles file, e.g. from QGIS "Generate XYZ tiles (MBTiles)"')
    .option('--json', 'JSON output')
    .action((file: string, o: { json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const source = resolve(file);
        const checked = describe(source);
        const dest = ctx.config.station.map.file;
        const replaced = (await stat(dest).catch(() => null)) !== null;
        await installFile(source, dest);
        const out = { ...checked, file: dest, source, replaced, bytes: (await stat(dest)).size };
        emit(!!o.json, out, () =>
          human(out, replaced ? 'replaced the map tiles: ' : 'imported the map tiles: '),
        );
      }),
    );

  map
    .command('info')
    .description('show the map tiles the station holds')
    .option('--json', 'JSON output')
    .action((o: { json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const dest = ctx.config.station.map.file;
        const st = await stat(dest).catch(() => null);
        if (!st) {
          emit(
            !!o.json,
            { file: dest, tiles: null },
            () => `no map tiles at ${dest}: run \`outpost map import <file.mbtiles>\``,
          );
          return;
        }
        const out = { ...describe(dest), bytes: st.size };
        emit(!!o.json, out, () => human(out, ''));
      }),
    );
}
