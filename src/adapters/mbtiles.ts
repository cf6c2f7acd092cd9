import { statSync } from 'node:fs';
// A tile file is not the catalogue: this adapter only reads an MBTiles file (read-only, never
// created), so it is the one exception to the catalogue's SQL door in eslint.config.js.
import Database from 'better-sqlite3';
import { OutpostError } from '../core/errors.js';
import { mapInfoOf, sniffTile, tmsRow, type MapInfo } from '../core/map-tiles.js';

/** An open raster MBTiles file (docs/map.md). */
export interface MapTiles {
  readonly path: string;
  readonly info: MapInfo;
  /** The tile at XYZ z/x/y (rows flipped to TMS here), or undefined. */
  tile(z: number, x: number, y: number): Buffer | undefined;
  /** How many tiles the file holds. */
  count(): number;
  close(): void;
}

const invalid = (path: string, why: string, cause?: unknown): OutpostError =>
  new OutpostError('MAP_TILES_INVALID', `${path} is not a map tile file Outpost can use: ${why}`, {
    ...(cause === undefined ? {} : { cause }),
  });

/**
 * Opens an MBTiles file read-only and checks it: an SQLite file with a `tiles` table or view
 * (zoom_level, tile_column, tile_row, tile_data) holding raster tiles, and a `metadata` table.
 * Throws MAP_TILES_INVALID (not SQLite, damaged, vector tiles, no tiles, missing file).
 */
export function openMbtiles(path: string): MapTiles {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw invalid(path, (e as Error).message, e);
  }
  try {
    const objects = db
      .prepare(
        `select name from sqlite_master where type in ('table', 'view') and name in ('tiles', 'metadata')`,
      )
      .all() as { name: string }[];
    const names = new Set(objects.map((o) => o.name));
    if (!names.has('tiles')) throw invalid(path, 'it has no "tiles" table');
    if (!names.has('metadata')) throw invalid(path, 'it has no "metadata" table');
    const meta: Record<string, string> = {};
    for (const r of db.prepare('select name, value from metadata').all() as {
      name: unknown;
      value: unknown;
    }[])
      if (typeof r.name === 'string' && (typeof r.value === 'string' || typeof r.value === 'number'))
        meta[r.name.trim().toLowerCase()] = String(r.value);
    const range = db.prepare('select min(zoom_level) as lo, max(zoom_level) as hi from tiles').get() as {
      lo: number | null;
      hi: number | null;
    };
    const first = db.prepare('select tile_data as d from tiles limit 1').get() as { d: unknown } | undefined;
    const sniffed = first && Buffer.isBuffer(first.d) ? sniffTile(first.d) : null;
    const info = mapInfoOf(meta, { sniffed, minzoom: range.lo, maxzoom: range.hi });
    if (typeof info === 'string') throw invalid(path, info);
    const one = db.prepare(
      'select tile_data as d from tiles where zoom_level = ? and tile_column = ? and tile_row = ?',
    );
    const count = db.prepare('select count(*) as n from tiles');
    return {
      path,
      info,
      tile(z, x, y) {
        const r = one.get(z, x, tmsRow(z, y)) as { d: unknown } | undefined;
        return r && Buffer.isBuffer(r.d) ? r.d : undefined;
      },
      count: () => (count.get() as { n: number }).n,
      close: () => db.close(),
    };
  } catch (e) {
    db.close();
    if (e instanceof OutpostError) throw e;
    // SQLITE_NOTADB, SQLITE_CORRUPT, a tiles table without the columns, ...
    throw invalid(path, (e as Error).message, e);
  }
}

/** The station's tile file as it is now: reopened when an import replaces it. */
export interface MapTileSource {
  /** The open file, or null with the reason (none imported, or it cannot be read). */
  current(): { tiles: MapTiles; problem?: undefined } | { tiles: null; problem: string | null };
  close(): void;
}

/** A source for the file at `path` (absent: no tiles; `outpost map import` puts one there). */
export function mbtilesAt(path: string): MapTileSource {
  let key = '';
  let open: MapTiles | null = null;
  let problem: string | null = null;
  return {
    current() {
      const st = statSync(path, { throwIfNoEntry: false });
      const now = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '';
      if (now !== key) {
        open?.close();
        open = null;
        problem = null;
        key = now;
        if (st)
          try {
            open = openMbtiles(path);
          } catch (e) {
            problem = (e as Error).message;
          }
      }
      return open ? { tiles: open } : { tiles: null, problem };
    },
    close() {
      open?.close();
      open = null;
      key = '';
    },
  };
}
