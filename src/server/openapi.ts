import type { FastifyInstance } from 'fastify';

export const DOCS_PREFIX = '/api/docs';
/** Version of the API contract (not of the package): bump on breaking changes. */
export const API_VERSION = '1.0.0';

/**
 * OpenAPI 3.0 document at /api/docs/json (and /yaml), Swagger UI at /api/docs. Must be registered
 * before the routes: @fastify/swagger collects them as they are added.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  // Loaded here so a process that never serves HTTP never loads them.
  const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([
    import('@fastify/swagger'),
    import('@fastify/swagger-ui'),
  ]);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Outpost API',
        version: API_VERSION,
        description:
          'Browse, review and tag the media of an Outpost library. Errors are JSON ' +
          '`{ "error": { "code", "message", "hint", "details"? } }` with a stable `code`. ' +
          'Inputs are validated strictly: unknown query keys and body fields are rejected with 400 INVALID_INPUT. ' +
          'Each operation states the role it needs (`x-required-role`: viewer or editor).',
      },
      tags: [
        { name: 'items', description: 'Photos, videos and audio: list, detail, attributes' },
        { name: 'media', description: 'Files: thumbnails, previews, posters, originals' },
        { name: 'cards', description: 'Cards and monitors' },
        { name: 'status', description: 'Station status and live events' },
        { name: 'map', description: 'Offline map tiles (MBTiles) and item positions' },
      ],
    },
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { docExpansion: 'list', deepLinking: true },
    // No staticCSP: its upgrade-insecure-requests would break the UI on a plain-HTTP LAN.
  });
}
