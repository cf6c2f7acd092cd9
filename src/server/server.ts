import { hostname, networkInterfaces } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { lanUrls } from '../core/lan-urls.js';
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
 * Start listening, with the connection and body limits applied to the server. Resolves once the
 * server accepts connections with the bound address (`url`, e.g. `http://0.0.0.0:8080`) and the
 * addresses to open it at (`urls`: each LAN address and `<host>.local`); stop it with `app.close()`.
 */
export async function startServer(
  app: FastifyInstance,
  opts: ListenOptions,
): Promise<{ url: string; port: number; urls: string[] }> {
  guardHttpServer(app.server, { ...DEFAULT_HTTP_LIMITS, ...opts.limits }, { log: app.log });
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  // What a person types on a tablet: the LAN addresses and mDNS name, not 0.0.0.0.
  const urls = lanUrls(opts.host, port, networkInterfaces(), hostname());
  const scheme = 'setSecureContext' in app.server ? 'https' : 'http';
  return {
    url: `${scheme}://${host}:${port}`,
    port,
    urls: urls.map((u) => u.replace(/^http:/, `${scheme}:`)),
  };
}
