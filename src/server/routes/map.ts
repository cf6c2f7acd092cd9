import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseTileAddress, TILE_TYPES } from '../../core/map-tiles.js';
import { positionedItems, type PositionedItem } from '../../library/catalog/positions.js';
import type { AppDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { etagMatches } from '../http-range.js';
import { galleryFilterOf } from '../item-query.js';
import { defineRoute } from '../route.js';
import { listQuery } from '../schemas.js';

/** Points one map request returns at most (newest first; `more` says when there are others). */
export const MAP_MAX_POINTS = 20_000;

/** Tiles change only when an area is imported again: an hour, then revalidated by ETag. */
const TILE_CACHE = 'private, max-age=3600';

const infoSchema = z.object({
  tiles: z
    .object({
      name: z.string(),
      attribution: z.string().nullable().describe('Where the tiles come from and their licence (text).'),
      description: z.string().nullable(),
      format: z.enum(['png', 'jpg', 'webp']),
      minzoom: z.number().int(),
      maxzoom: z.number().int(),
      bounds: z.array(z.number()).length(4).nullable().describe('[west, south, east, north], degrees.'),
      center: z.array(z.number()).length(3).nullable().describe('[lon, lat, zoom].'),
      count: z.number().int().describe('Tiles the file holds.'),
      url: z.string().describe('Tile URL template, {z}/{x}/{y} as web maps number them.'),
    })
    .nullable()
    .describe('The tiles this station holds; null: none imported (or the file cannot be read).'),
  problem: z.string().nullable().describe('Why a tile file that is there cannot be used.'),
});

const pointSchema = z.object({
  id: z.string(),
  type: z.enum(['photo', 'video', 'audio']),
  lat: z.number(),
  lon: z.number(),
  source: z
    .enum(['camera', 'location'])
    .describe('camera: GPS in the file; location: set by hand or from a GPX track (it wins over the file).'),
});

const pointsSchema = z.object({
  points: z.array(pointSchema),
  more: z.boolean().describe(`More than ${MAP_MAX_POINTS} items have a position: these are the newest.`),
});

/** Where an item is shown: its location attribute when set (a person decided), else its GPS. */
export function mapPoint(r: PositionedItem): z.output<typeof pointSchema> | null {
  if (r.location_lat !== null && r.location_lon !== null)
    return { id: r.id, type: r.type, lat: r.location_lat, lon: r.location_lon, source: 'location' };
  if (r.lat !== null && r.lon !== null)
    return { id: r.id, type: r.type, lat: r.lat, lon: r.lon, source: 'camera' };
  return null;
}

const tileParams = z.strictObject({ z: z.string(), x: z.string(), y: z.string() });

/** The map: the station's offline tiles (an imported MBTiles file) and the items' positions. */
export function registerMapRoutes(app: FastifyInstance, deps: AppDeps): void {
  const tags = ['map'];

  defineRoute(app, {
    method: 'GET',
    url: '/api/map/info',
    role: 'viewer',
    tags,
    summary: 'The map tiles this station holds (name, area, zoom range, attribution)',
    responses: { 200: infoSchema },
    handler: async () => {
      const cur = deps.map?.current() ?? { tiles: null, problem: null };
      if (!cur.tiles) return { tiles: null, problem: cur.problem };
      const i = cur.tiles.info;
      return {
        tiles: { ...i, count: cur.tiles.count(), url: '/api/map/tiles/{z}/{x}/{y}' },
        problem: null,
      };
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/map/tiles/:z/:x/:y',
    role: 'viewer',
    tags,
    summary: 'One map tile (XYZ numbering) from the imported MBTiles file',
    description:
      'z/x/y as web maps number tiles (y = 0 at the north); the MBTiles file stores TMS rows, flipped ' +
      'here. 404 MAP_TILE_NOT_FOUND outside the file, the grid or its zoom range. ETag: the tile bytes.',
    params: tileParams,
    responses: {
      200: {
        description: 'The tile image',
        content: {
          'image/png': { schema: { type: 'string', format: 'binary' } },
          'image/jpeg': { schema: { type: 'string', format: 'binary' } },
          'image/webp': { schema: { type: 'string', format: 'binary' } },
        },
      },
      304: { description: 'Not modified (If-None-Match)', type: 'null' },
    },
    handler: async ({ params }, req, reply) => {
      const where = `${params.z.slice(0, 20)}/${params.x.slice(0, 20)}/${params.y.slice(0, 20)}`;
      const cur = deps.map?.current();
      if (!cur?.tiles)
        throw new ApiError('MAP_TILE_NOT_FOUND', `no map tiles on this station (tile ${where})`);
      const at = parseTileAddress(params.z, params.x, params.y);
      const data = at && cur.tiles.tile(at.z, at.x, at.y);
      if (!data) throw new ApiError('MAP_TILE_NOT_FOUND', `no map tile ${where}`);
      const etag = `"${createHash('sha256').update(data).digest('base64url').slice(0, 22)}"`;
      void reply.headers({ etag, 'cache-control': TILE_CACHE });
      if (etagMatches(req.headers['if-none-match'], etag)) return reply.code(304).send();
      return reply.type(TILE_TYPES[cur.tiles.info.format]).send(data);
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/map/points',
    role: 'viewer',
    tags,
    summary: 'Positions of the items the gallery filter selects (for the map)',
    description:
      'Every item with a position: GPS in its file, or a location set by hand or from a GPX track ' +
      `(which wins). Newest first, at most ${MAP_MAX_POINTS}.`,
    query: listQuery.omit({ sort: true, limit: true, cursor: true }),
    responses: { 200: pointsSchema },
    handler: async ({ query }) => {
      const rows = await positionedItems(deps.catalog, galleryFilterOf(query), MAP_MAX_POINTS);
      const more = rows.length > MAP_MAX_POINTS;
      const points = rows.slice(0, MAP_MAX_POINTS).flatMap((r) => mapPoint(r) ?? []);
      return { points, more };
    },
  });
}
