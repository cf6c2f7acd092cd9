import Database from 'better-sqlite3';
import sharp from 'sharp';

/** Colour of the generated tile z/x/y (XYZ numbering): each tile is told apart by its colour. */
export function tileColour(z: number, x: number, y: number): { r: number; g: number; b: number } {
  return { r: (40 + z * 50) % 256, g: (x * 37 + 20) % 256, b: (y * 53 + 90) % 256 };
}

/**
 * A real raster MBTiles file at `path`: zoom levels `zooms`, every tile of each level, 256 px
 * PNGs of one colour (tileColour), rows in TMS order as the spec says; metadata as given.
 */
export async function writeMbtiles(
  path: string,
  opts: { zooms?: number[]; meta?: Record<string, string>; size?: number } = {},
): Promise<{ tiles: number }> {
  const zooms = opts.zooms ?? [0, 1, 2];
  const size = opts.size ?? 256;
  const db = new Database(path);
  try {
    db.exec(
      'create table metadata (name text, value text);' +
        'create table tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);' +
        'create unique index tile_index on tiles (zoom_level, tile_column, tile_row);',
    );
    const meta = {
      name: 'Test area',
      format: 'png',
      attribution: '<a href="https://example.org">© Test Maps contributors</a>, CC BY 4.0',
      bounds: '-80,-15,-70,-5',
      ...opts.meta,
    };
    const m = db.prepare('insert into metadata (name, value) values (?, ?)');
    for (const [k, v] of Object.entries(meta)) m.run(k, v);
    const t = db.prepare(
      'insert into tiles (zoom_level, tile_column, tile_row, tile_data) values (?, ?, ?, ?)',
    );
    let n = 0;
    for (const z of zooms) {
      const side = 2 ** z;
      for (let x = 0; x < side; x++)
        for (let y = 0; y < side; y++) {
          const png = await sharp({
            create: { width: size, height: size, channels: 3, background: tileColour(z, x, y) },
          })
            .png()
            .toBuffer();
          t.run(z, x, side - 1 - y, png);
          n++;
        }
    }
    return { tiles: n };
  } finally {
    db.close();
  }
}
