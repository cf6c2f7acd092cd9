/**
 * Map tiles the station holds for its programme's area (docs/map.md): a raster MBTiles file
 * (an SQLite file: `tiles(zoom_level, tile_column, tile_row, tile_data)` in TMS row order, and
 * `metadata(name, value)`). Pure: the file is read by src/adapters/mbtiles.ts.
 */

/** Raster formats a browser shows as an image; vector tiles (pbf) need a renderer we do not ship. */
export const TILE_TYPES = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp' } as const;
export type TileFormat = keyof typeof TILE_TYPES;

/** Deepest zoom level accepted in a URL (a z of 30 already means 10^18 tiles). */
export const MAX_ZOOM = 24;

export interface MapInfo {
  name: string;
  /** Where the tiles come from and their licence, as the file says (HTML stripped). */
  attribution: string | null;
  description: string | null;
  format: TileFormat;
  minzoom: number;
  maxzoom: number;
  /** [west, south, east, north] in degrees, or null when the file does not say. */
  bounds: [number, number, number, number] | null;
  /** [lon, lat, zoom], or null. */
  center: [number, number, number] | null;
}

/** XYZ (the web map's y, 0 at the north) to the TMS row MBTiles stores (0 at the south). */
export function tmsRow(z: number, y: number): number {
  return 2 ** z - 1 - y;
}

/**
 * z/x/y of a tile URL as integers inside the grid of that zoom, or null (not a tile: 404).
 * Only plain decimal digits: no signs, exponents, hex or leading junk.
 */
export function parseTileAddress(
  z: string,
  x: string,
  y: string,
): { z: number; x: number; y: number } | null {
  if (![z, x, y].every((s) => /^\d{1,8}$/.test(s))) return null;
  const [zn, xn, yn] = [Number(z), Number(x), Number(y)];
  if (zn > MAX_ZOOM) return null;
  const n = 2 ** zn;
  if (xn >= n || yn >= n) return null;
  return { z: zn, x: xn, y: yn };
}

/** Text without markup: MBTiles attributions are often HTML links; the app shows text only. */
export function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&copy;/gi, '©')
    .replace(/&amp;/gi, '&')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;/gi, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

function numbers(s: string | undefined, count: number): number[] | null {
  if (s === undefined) return null;
  const parts = s.split(',').map((p) => Number(p.trim()));
  return parts.length === count && parts.every((n) => Number.isFinite(n)) ? parts : null;
}

/**
 * The metadata table's rows as map info. `format` missing: guessed from the first tile's bytes
 * (`sniffed`); zoom range missing: the tiles' own range. Returns a reason string when the file
 * is not a raster tile set the app can show.
 */
export function mapInfoOf(
  meta: Record<string, string>,
  tiles: { sniffed: TileFormat | null; minzoom: number | null; maxzoom: number | null },
): MapInfo | string {
  const declared = meta.format?.trim().toLowerCase();
  const format = declared === 'jpeg' ? 'jpg' : declared;
  if (format !== undefined && !(format in TILE_TYPES))
    return `tiles in format "${meta.format}": only raster tiles (png, jpg, webp) can be shown`;
  const fmt = (format as TileFormat | undefined) ?? tiles.sniffed;
  if (!fmt) return 'the tiles are not PNG, JPEG or WebP images';
  if (tiles.minzoom === null || tiles.maxzoom === null) return 'the file holds no tiles';
  const b = numbers(meta.bounds, 4);
  const bounds =
    b && b[0]! >= -180 && b[2]! <= 180 && b[1]! >= -90 && b[3]! <= 90 && b[0]! < b[2]! && b[1]! < b[3]!
      ? (b as [number, number, number, number])
      : null;
  const c = numbers(meta.center, 3);
  const minMeta = Number(meta.minzoom);
  const maxMeta = Number(meta.maxzoom);
  return {
    name: meta.name?.trim() || 'Map tiles',
    attribution: meta.attribution ? plainText(meta.attribution) || null : null,
    description: meta.description ? plainText(meta.description) || null : null,
    format: fmt,
    minzoom: Number.isInteger(minMeta) && meta.minzoom !== undefined ? minMeta : tiles.minzoom,
    maxzoom: Number.isInteger(maxMeta) && meta.maxzoom !== undefined ? maxMeta : tiles.maxzoom,
    bounds,
    center: c ? (c as [number, number, number]) : null,
  };
}

/** The image format of tile bytes, from their magic numbers. */
export function sniffTile(data: Uint8Array): TileFormat | null {
  if (data.length >= 8 && data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47)
    return 'png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpg';
  if (
    data.length >= 12 &&
    String.fromCharCode(...data.subarray(0, 4)) === 'RIFF' &&
    String.fromCharCode(...data.subarray(8, 12)) === 'WEBP'
  )
    return 'webp';
  return null;
}
