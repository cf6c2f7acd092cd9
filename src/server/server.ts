import type { FastifyInstance } from 'fastify';
import { DEFAULT_HTTP_LIMITS, guardHttpServer, type HttpLimits } from './http-limits.js';

export interface ListenOptions {
  /** Interface to bind: '0.0.0.0' (every interface) serves the LAN; '127.0.0.1' only this machine. */
  host: string;
  /** TCP port; 0 picks a free one (tests). The station's default is 8080. */
  port: number;
  /** Connections per address and request-body timeouts; the rest from DEFAULT_HTTP_LIMITS. */
  limits?: Partial<HttpLimits>;
}

/**
 * Start listening, with the connection and body limits applied to the server. Resolves with the bound address (e.g. `http://127.0.0.1:8080`) once the
 * server accepts connections; stop it with `app.close()`.
 */
export async function startServer(
  app: FastifyInstance,
  opts: ListenOptions,
): Promise<{ url: string; port: number }> {
  guardHttpServer(app.server, { ...DEFAULT_HTTP_LIMITS, ...opts.limits }, { log: app.log });
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return { url: `http://${host}:${port}`, port };
}
