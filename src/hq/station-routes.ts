import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Clock } from '../adapters/clock.js';
import { ERROR_CATALOGUE } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import { haveObjects } from '../library/catalog/objects.js';
import { itemsHeldBy, upsertItemFacts } from '../library/catalog/hq-items.js';
import { newestOpSeq, mergeOps, opsSince } from '../library/catalog/ops.js';
import { ApiError, invalidInput, zodProblems } from '../server/errors.js';
import type { HqAuth } from './auth.js';
import { originBelongsTo } from './station-key.js';
import { haveBody, opsQuery, SYNC_BODY_LIMIT, syncBody } from './sync-schema.js';
import { UPLOADS_PATH, type Uploads } from './uploads.js';

/** The station side of HQ: /hq/v1/have, /sync, /ops and the tus uploads (docs/uplink-protocol.md). */
export interface StationRoutesDeps {
  catalog: Catalog;
  clock: Clock;
  /** HQ's node name: its HLC and the origin of ops its editors record. */
  node: string;
  auth: HqAuth;
  uploads: Uploads;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value ?? (where === 'query' ? {} : undefined));
  if (!r.success) throw invalidInput(zodProblems(where, r.error.issues));
  return r.data;
}

function stationOf(deps: StationRoutesDeps, req: FastifyRequest): string {
  const s = deps.auth.stationOf(req.raw);
  if (!s) throw new ApiError('UNAUTHENTICATED', 'no station key');
  return s;
}

export async function registerStationRoutes(app: FastifyInstance, deps: StationRoutesDeps): Promise<void> {
  const cat = deps.catalog;
  const hide = { hide: true };

  app.route({
    method: 'POST',
    url: '/hq/v1/have',
    config: { role: 'public' },
    bodyLimit: 2 * 1024 * 1024,
    schema: hide,
    handler: async (req) => {
      stationOf(deps, req);
      const body = parse(haveBody, req.body, 'body');
      return { have: await haveObjects(cat, body.objects) };
    },
  });

  app.route({
    method: 'POST',
    url: '/hq/v1/sync',
    config: { role: 'public' },
    bodyLimit: SYNC_BODY_LIMIT,
    schema: hide,
    handler: async (req) => {
      const station = stationOf(deps, req);
      const body = parse(syncBody, req.body, 'body');
      const foreign = body.ops.find((op) => !originBelongsTo(op.origin, station));
      if (foreign)
        throw new ApiError(
          'FORBIDDEN',
          `op origin "${foreign.origin.slice(0, 100)}" is not station ${station}`,
          {
            hint: `Push only the station's own ops (origin "${station}" or "${station}:..."); ops pulled from HQ stay local.`,
          },
        );
      const nowMs = deps.clock.now().getTime();
      const items = await upsertItemFacts(cat, station, body.items);
      // A station key writes ops about its own items only (those whose facts it sent), and
      // every op is checked like an edit (op-check.ts) before it is merged.
      const held = await itemsHeldBy(
        cat,
        station,
        body.ops.filter((op) => op.entity === 'item').map((op) => op.id),
      );
      const merged = await mergeOps(cat, body.ops, {
        node: deps.node,
        nowMs,
        mayWrite: (op) =>
          op.entity !== 'item' ||
          held.has(op.id) ||
          `station ${station} does not hold item ${op.id.slice(0, 16)}: a station writes ops about its own items only`,
        mayMove: () => true,
      });
      if (merged.refused.length)
        req.log.warn(
          { station, refused: merged.refused.length, first: merged.refused[0] },
          'sync: ops refused',
        );
      return {
        items,
        ops: merged.applied,
        refused: merged.refused.map((r) => ({ ...r, hint: ERROR_CATALOGUE[r.code].hint })),
        cursor: await newestOpSeq(cat),
      };
    },
  });

  app.route({
    method: 'GET',
    url: '/hq/v1/ops',
    config: { role: 'public' },
    schema: hide,
    handler: async (req) => {
      stationOf(deps, req);
      const q = parse(opsQuery, req.query, 'query');
      // HQ's node name: the origin of its editors' ops, which stations accept moves and deletes from.
      return { ...(await opsSince(cat, q.since, q.limit)), node: deps.node };
    },
  });

  // Every other GET under /hq/ is a JSON 404 here, never the web app's file lookup.
  app.route({
    method: 'GET',
    url: '/hq/*',
    config: { role: 'public' },
    schema: hide,
    handler: async (_req, reply) => reply.callNotFound(),
  });

  // tus owns the bytes of these requests: no body parser may read them, and no body limit applies
  // (tus enforces Upload-Length and the maximum upload size itself).
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
      stationOf(deps, req);
      // tus would create an upload for a POST to any URL under its path; only the collection may.
      const path = req.url.split('?')[0];
      if (req.method === 'POST' && path !== UPLOADS_PATH && path !== `${UPLOADS_PATH}/`)
        throw new ApiError('ROUTE_NOT_FOUND', 'create uploads with POST /hq/v1/uploads/');
      reply.hijack();
      try {
        await deps.uploads.handle(req.raw, reply.raw);
      } catch (e) {
        req.log.error({ err: e }, 'upload request failed');
        if (!reply.raw.headersSent)
          reply.raw.writeHead(500, {
            'content-type': 'application/json; charset=utf-8',
            connection: 'close',
          });
        reply.raw.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error', hint: '' } }));
      }
    };
    for (const url of [UPLOADS_PATH, `${UPLOADS_PATH}/*`])
      scope.route({
        method: ['POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS'],
        url,
        config: { role: 'public' },
        schema: hide,
        handler,
      });
  });
}
