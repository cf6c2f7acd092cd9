/**
 * The web app over HTTPS on the LAN (docs/https.md): Fastify serves on an HTTPS server made here
 * (its `serverFactory`), and a plain-HTTP listener beside it sends every request to the same path
 * over HTTPS — except the trust pages (`/trust…`), which must work before a tablet trusts the
 * station's certificate authority, and are answered by the same app. The certificate can be
 * replaced while serving (an address changed, renewal): new connections get the new one.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';

export interface LanHttps {
  /** Fastify's `serverFactory`: the HTTPS server, the app's handler on it. */
  serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => HttpsServer;
  /** The plain-HTTP listener (redirects; the trust pages). Listen on it yourself. */
  plain: HttpServer;
  /** The HTTPS port to send people to, once it is known (a test's port 0). */
  setHttpsPort(port: number): void;
  /** Serve with another key and certificate from now on. */
  setCertificate(tls: { key: string; cert: string }): void;
}

/** Paths answered over plain HTTP too: how to trust the station, and its CA certificate. */
export function isTrustPath(url: string | undefined): boolean {
  return /^\/trust(?:[/?]|$)/.test(url ?? '');
}

/** The HTTPS address of a plain-HTTP request (its host, the HTTPS port, the same path). */
export function httpsLocation(
  hostHeader: string | undefined,
  url: string | undefined,
  httpsPort: number,
): string {
  // The Host header names the station as the person typed it; without one, its mDNS name.
  const host = (hostHeader ?? 'outpost.local').replace(/:\d+$/, '');
  const safeHost = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)$/.test(host) ? host : 'outpost.local';
  const port = httpsPort === 443 ? '' : `:${httpsPort}`;
  const path = (url ?? '/').startsWith('/') ? (url ?? '/') : '/';
  return `https://${safeHost}${port}${path}`;
}

export function lanHttps(tls: { key: string; cert: string }): LanHttps {
  let httpsPort = 443;
  let server: HttpsServer | undefined;
  let appHandler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const plain = createHttpServer((req, res) => {
    if (isTrustPath(req.url) && appHandler) return appHandler(req, res);
    // 308 keeps the method and body (a POST stays a POST); nothing of the request is read here.
    res.writeHead(308, {
      location: httpsLocation(req.headers.host, req.url, httpsPort),
      'cache-control': 'no-store',
    });
    res.end();
  });
  return {
    serverFactory: (handler) => {
      appHandler = handler;
      server = createHttpsServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, handler);
      return server;
    },
    plain,
    setHttpsPort: (port) => void (httpsPort = port),
    setCertificate: (next) =>
      server?.setSecureContext({ key: next.key, cert: next.cert, minVersion: 'TLSv1.2' }),
  };
}
