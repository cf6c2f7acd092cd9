import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { OutpostError } from '../../core/errors.js';
import { bestOffset, captureToUtcMs, parseGpx, positionAt, type TrackPoint } from '../../core/gpx.js';
import { applyPatches } from '../../library/attributes.js';
import { geotagCandidates, type GeotagCandidate } from '../../library/catalog/item-list.js';
import type { Catalog } from '../../library/catalog/open.js';
import type { ItemRow } from '../../library/catalog/schema.js';
import type { AppDeps } from '../deps.js';
import { galleryFilterOf } from '../item-query.js';
import { itemRecord } from '../item-record.js';
import { defineRoute } from '../route.js';
import { attributesSchema, listQuery } from '../schemas.js';

/** Largest GPX text accepted (characters of the JSON string). */
export const GPX_MAX_CHARS = 5 * 1024 * 1024;
/** The JSON body of a geotag call: the GPX (escaped: quotes and newlines grow it) plus the rest. */
const GEOTAG_BODY_LIMIT = 7 * 1024 * 1024;
/** Items one call considers at most (the filter should narrow it down to an outing). */
export const GEOTAG_MAX_ITEMS = 100_000;

const fullItemId = z.string().regex(/^[0-9a-f]{64}$/, 'must be a full item id (64 hex characters)');

const geotagFilter = listQuery
  .omit({ sort: true, limit: true, cursor: true })
  .describe('The filters of GET /api/items (monitor, type, from, to, event, minRating, priority, tag, q).');

const trackBody = z.strictObject({
  gpx: z
    .string()
    .min(1)
    .max(GPX_MAX_CHARS, `must be at most ${GPX_MAX_CHARS} characters`)
    .describe('The GPX file, as text.'),
  offsetMinutes: z
    .number()
    .int()
    .min(-14 * 60)
    .max(14 * 60)
    .describe('Camera clock zone minus UTC, in minutes (+180: the camera was set to UTC+3).'),
  driftSeconds: z
    .number()
    .min(-86_400)
    .max(86_400)
    .default(0)
    .describe('How far the camera clock was ahead of the true time (negative: behind).'),
  maxGapMinutes: z
    .number()
    .positive()
    .max(24 * 60)
    .default(10)
    .describe('Track points further apart than this give no position between them.'),
  filter: geotagFilter.optional(),
});
type TrackBody = z.output<typeof trackBody>;

const assignmentsBody = z.strictObject({
  assignments: z
    .array(
      z.strictObject({
        id: fullItemId,
        lat: z.number().min(-90).max(90),
        lon: z.number().min(-180).max(180),
      }),
    )
    .min(1)
    .max(GEOTAG_MAX_ITEMS)
    .describe('Positions from a preview, to apply as they are.'),
});

const applyBody = z.union([assignmentsBody, trackBody]);

const matchSchema = z.object({
  id: z.string(),
  capturedAt: z.string(),
  lat: z.number(),
  lon: z.number(),
});

const previewSchema = z.object({
  matched: z.array(matchSchema),
  unmatched: z
    .number()
    .int()
    .describe('Items without GPS the track says nothing about (outside it, or a gap).'),
  skippedHasGps: z.number().int().describe('Items left alone: their file has GPS.'),
  skippedHasLocation: z.number().int().describe('Items left alone: a location is already set.'),
  track: z.object({ start: z.string(), end: z.string(), points: z.number().int() }),
});

const applyResultSchema = z.object({
  updated: z.number().int(),
  unmatched: z.number().int(),
  skippedHasGps: z.number().int(),
  skippedHasLocation: z.number().int(),
  items: z.array(z.object({ id: z.string(), attributes: attributesSchema })),
});

interface Preview {
  matched: { id: string; capturedAt: string; lat: number; lon: number }[];
  unmatched: number;
  skippedHasGps: number;
  skippedHasLocation: number;
  track: { start: string; end: string; points: number };
  /** The offset (15-min steps over −14..+14 h) that matches the most photos ("find the offset"). */
  bestOffset: { offsetMinutes: number; matched: number };
}

/** Photos and videos the filter selects, oldest first (audio has no place to be). */
async function candidates(cat: Catalog, filter: TrackBody['filter']): Promise<GeotagCandidate[]> {
  const rows = await geotagCandidates(cat, galleryFilterOf(filter ?? {}), GEOTAG_MAX_ITEMS);
  if (rows.length > GEOTAG_MAX_ITEMS)
    throw new OutpostError('INVALID_INPUT', `the filter selects more than ${GEOTAG_MAX_ITEMS} items`, {
      hint: 'Narrow the filter (monitor, dates, event) to the outing the track covers.',
    });
  return rows;
}

async function preview(cat: Catalog, body: TrackBody): Promise<Preview> {
  const { points } = parseGpx(body.gpx);
  const maxGapMs = body.maxGapMinutes * 60_000;
  const out: Preview = {
    matched: [],
    unmatched: 0,
    skippedHasGps: 0,
    skippedHasLocation: 0,
    track: trackSummary(points),
    bestOffset: { offsetMinutes: body.offsetMinutes, matched: 0 },
  };
  const rows = await candidates(cat, body.filter);
  out.bestOffset = bestOffset(
    points,
    rows.filter((r) => r.lat === null && r.location_lat === null).map((r) => r.sort_time),
    { driftSeconds: body.driftSeconds, maxGapMs, prefer: body.offsetMinutes },
  );
  for (const r of rows) {
    if (r.lat !== null) out.skippedHasGps++;
    else if (r.location_lat !== null) out.skippedHasLocation++;
    else {
      const t = captureToUtcMs(r.sort_time, body.offsetMinutes, body.driftSeconds);
      const pos = t === undefined ? undefined : positionAt(points, t, maxGapMs);
      if (pos)
        out.matched.push({ id: r.id, capturedAt: r.sort_time, lat: round(pos.lat), lon: round(pos.lon) });
      else out.unmatched++;
    }
  }
  return out;
}

/** 1e-7 degrees (about 1 cm): what the sidecar keeps anyway. */
const round = (x: number): number => Math.round(x * 1e7) / 1e7;

function trackSummary(points: TrackPoint[]): Preview['track'] {
  return {
    start: new Date(points[0]!.t).toISOString(),
    end: new Date(points.at(-1)!.t).toISOString(),
    points: points.length,
  };
}

/** Set a location per item: all or nothing, one op each, then the sidecars (applyPatches). */
async function applyLocations(
  cat: Catalog,
  driveRoot: string | null,
  assignments: { id: string; lat: number; lon: number }[],
  ctx: { node: string; nowMs: number },
): Promise<ItemRow[]> {
  return applyPatches(
    cat,
    driveRoot,
    assignments.map((a) => ({
      id: a.id,
      patch: { location: { lat: a.lat, lon: a.lon, source: 'gpx' as const } },
    })),
    ctx,
  );
}

export function registerGeotagRoutes(app: FastifyInstance, deps: AppDeps): void {
  const cat = deps.catalog;
  const tags = ['geotag'];
  // A GPX file is bigger than the 1 MiB the rest of the API takes.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/geotag/')) route.bodyLimit = GEOTAG_BODY_LIMIT;
  });

  defineRoute(app, {
    method: 'POST',
    url: '/api/geotag/preview',
    role: 'viewer',
    tags,
    summary: 'Positions from a GPX track for the items without GPS (nothing changes)',
    description:
      'Photos and videos selected by `filter` whose file has no GPS and that have no location get the ' +
      'position interpolated at their capture time. Capture times are camera-local: `offsetMinutes` ' +
      '(and `driftSeconds`) turn them into UTC, the time base of GPX. Bodies up to 7 MiB.',
    body: trackBody,
    responses: { 200: previewSchema },
    handler: async ({ body }) => preview(cat, body),
  });

  defineRoute(app, {
    method: 'POST',
    url: '/api/geotag/apply',
    role: 'editor',
    tags,
    summary: 'Set the location of items from a GPX track (or from the assignments of a preview)',
    description:
      'With the body of the preview, the track is matched again and applied; with `assignments`, those ' +
      'positions are set as given. Each location is an op; the sidecars are rewritten. All or nothing ' +
      'for unknown ids (404).',
    body: applyBody,
    responses: { 200: applyResultSchema },
    handler: async ({ body }) => {
      let assignments: { id: string; lat: number; lon: number }[];
      let counts = { unmatched: 0, skippedHasGps: 0, skippedHasLocation: 0 };
      if ('assignments' in body) assignments = body.assignments;
      else {
        const p = await preview(cat, body);
        assignments = p.matched;
        counts = {
          unmatched: p.unmatched,
          skippedHasGps: p.skippedHasGps,
          skippedHasLocation: p.skippedHasLocation,
        };
      }
      const rows = assignments.length
        ? await applyLocations(
            cat,
            deps.files?.root ?? null,
            assignments.map((a) => ({ id: a.id, lat: a.lat, lon: a.lon })),
            { node: deps.node, nowMs: deps.clock.now().getTime() },
          )
        : [];
      return {
        updated: rows.length,
        ...counts,
        items: rows.map((r) => ({ id: r.id, attributes: itemRecord(r).attributes })),
      };
    },
  });
}
