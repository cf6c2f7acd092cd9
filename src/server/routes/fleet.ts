import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppDeps, FleetControl } from '../deps.js';
import { defineRoute } from '../route.js';
import { noQuery } from '../schemas.js';

/** Fleet sessions' ids and `<group>/<session>` names (the protocol's names). */
const sessionKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{3,130}$/, 'a session id or group/session');
const sessionParams = z.strictObject({ id: sessionKey });

const startBody = z.strictObject({
  config: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.ya?ml$/, 'a fleet config file name (.yaml)')
    .describe('A file of GET /api/fleet/configs'),
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, ".", "_" or "-" (at most 63)')
    .optional()
    .describe("Session name, over the config's"),
  durationS: z
    .number()
    .positive()
    .max(7 * 24 * 3600)
    .optional()
    .describe("Maximum duration in seconds, over the config's"),
});

const stationSchema = z.object({
  station: z.string(),
  online: z.boolean(),
  instance: z.string(),
  lastSeenMs: z.number(),
  status: z.record(z.string(), z.unknown()).optional().describe('Presence and health (docs/fleet.md)'),
  duplicates: z.array(z.string()).describe('Other instances seen under this name'),
});
const overviewSchema = z.object({
  broker: z.object({ url: z.string(), connected: z.boolean() }),
  stations: z.array(stationSchema),
  sessions: z.array(z.record(z.string(), z.unknown())),
  alerts: z
    .array(
      z.object({
        kind: z.enum(['station-offline', 'camera-failed', 'camera-not-recording']),
        station: z.string(),
        camera: z.string().optional(),
        session: z.string().optional(),
        since: z.string(),
      }),
    )
    .describe('What needs attention: raised after fleet.conductor.alertAfterSeconds, oldest first'),
});
const configsSchema = z.object({
  configs: z.array(
    z.object({
      file: z.string(),
      group: z.string().nullable(),
      session: z.string().nullable(),
      maxDurationS: z.number().nullable(),
      cameras: z.array(z.object({ station: z.string(), camera: z.string() })),
      problems: z.array(z.string()).nullable(),
    }),
  ),
});
const manifestSchema = z
  .record(z.string(), z.unknown())
  .describe('A session manifest (docs/fleet.md "Sessions")');

/** The overview without a broker password in a URL (`mqtt://user:pass@host`). */
function overviewOf(fleet: FleetControl): ReturnType<FleetControl['overview']> {
  const o = fleet.overview();
  return { ...o, broker: { ...o.broker, url: o.broker.url.replace(/\/\/[^@/]*@/, '//') } };
}

/**
 * `/api/fleet…`: the conductor's view for the Fleet page — stations and sessions, the fleet
 * configs to start from, start and stop (editors), and the session manifests. Registered only
 * where the conductor runs (`deps.fleet`).
 */
export function registerFleetRoutes(app: FastifyInstance, deps: AppDeps): void {
  const fleet = deps.fleet;
  if (!fleet) return;
  const tags = ['fleet'];

  defineRoute(app, {
    method: 'GET',
    url: '/api/fleet',
    role: 'viewer',
    tags,
    summary: 'Stations on the broker (presence, cameras, health) and the sessions set now',
    query: noQuery,
    responses: { 200: overviewSchema },
    handler: async () => overviewOf(fleet),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/fleet/configs',
    role: 'viewer',
    tags,
    summary: 'The fleet configs sessions can be started from, each with its problems if invalid',
    query: noQuery,
    responses: { 200: configsSchema },
    handler: async () => ({ configs: await fleet.configs() }),
  });

  defineRoute(app, {
    method: 'POST',
    url: '/api/fleet/sessions',
    role: 'editor',
    tags,
    summary: 'Start a session from a fleet config: answers within 2 s (accepted, refused, silent)',
    description:
      'Clocks are checked, the start is scheduled a few seconds ahead, and every station answers. ' +
      'The report names who accepted, who refused (code and reason) and who is silent (nobody ' +
      'accepting is a report too); 503 FLEET_BROKER_UNREACHABLE when the broker is down.',
    query: noQuery,
    body: startBody,
    responses: { 200: z.record(z.string(), z.unknown()) },
    handler: async ({ body }) => {
      const r = await fleet.start(body.config, {
        ...(body.name ? { name: body.name } : {}),
        ...(body.durationS ? { durationS: body.durationS } : {}),
      });
      return r;
    },
  });

  defineRoute(app, {
    method: 'POST',
    url: '/api/fleet/sessions/:id/stop',
    role: 'editor',
    tags,
    summary: 'Stop a session on every station; says who stopped and who is silent',
    params: sessionParams,
    query: noQuery,
    responses: { 200: z.object({ stopped: z.array(z.string()), silent: z.array(z.string()) }) },
    handler: async ({ params }) => fleet.stop(params.id),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/fleet/sessions',
    role: 'viewer',
    tags,
    summary: 'Session manifests kept here, newest first',
    query: noQuery,
    responses: { 200: z.object({ sessions: z.array(manifestSchema) }) },
    handler: async () => ({ sessions: await fleet.sessions() }),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/fleet/sessions/:id',
    role: 'viewer',
    tags,
    summary: 'One session manifest: per station and camera, answer, start, stop, segments, gaps',
    params: sessionParams,
    query: noQuery,
    responses: { 200: manifestSchema },
    handler: async ({ params }) => fleet.manifest(params.id),
  });
}
