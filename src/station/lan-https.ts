/**
 * The station's HTTPS (`server.https`, docs/https.md): its certificate authority and server
 * certificate made or renewed at start (adapters/lan-certificates.ts), the HTTPS server the app
 * runs on and the plain-HTTP listener beside it (server/lan-https.ts), and a look every ten
 * minutes at the station's addresses: a new one (another network, DHCP) gets a new certificate
 * at once, without a restart.
 */
import { hostname, networkInterfaces } from 'node:os';
import type { Clock } from '../adapters/clock.js';
import { ensureLanCertificates } from '../adapters/lan-certificates.js';
import type { Logger } from '../adapters/logger.js';
import { lanCertAddresses, lanCertNames } from '../core/lan-tls.js';
import type { AppDeps } from '../server/deps.js';
import { guardHttpServer, DEFAULT_HTTP_LIMITS, type HttpLimits } from '../server/http-limits.js';
import { lanHttps } from '../server/lan-https.js';

const LOOK_EVERY_MS = 10 * 60_000;

export interface StationHttps {
  deps: NonNullable<AppDeps['https']>;
  /** Listen for plain HTTP (redirects, trust pages) once the HTTPS port is known. */
  listenPlain(host: string, port: number, httpsPort: number, limits?: Partial<HttpLimits>): Promise<number>;
  /** Look at the addresses now (also every ten minutes): a new one renews the certificate. */
  check(): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function openStationHttps(o: {
  dir: string;
  clock: Clock;
  log: Logger;
  /** Test seams: the machine's names and addresses. */
  host?: () => string;
  addresses?: () => string[];
}): Promise<StationHttps> {
  const host = o.host ?? hostname;
  const addresses = o.addresses ?? (() => lanCertAddresses(networkInterfaces()));
  const want = () => ({ host: host(), names: lanCertNames(host()), ips: addresses() });
  const first = await ensureLanCertificates({ dir: o.dir, ...want(), now: o.clock.now() });
  if (first.renewed)
    o.log.info(
      { reason: first.renewed, until: first.notAfter, ca: first.caFingerprint },
      `https: a new certificate for the station (${first.renewed})`,
    );
  const server = lanHttps(first);
  let httpsPort = 0;
  const check = async (): Promise<string | undefined> => {
    const next = await ensureLanCertificates({ dir: o.dir, ...want(), now: o.clock.now() });
    if (!next.renewed) return undefined;
    server.setCertificate(next);
    o.log.info(
      { reason: next.renewed, until: next.notAfter },
      `https: certificate renewed (${next.renewed})`,
    );
    return next.renewed;
  };
  const timer = setInterval(() => {
    check().catch((err: unknown) => o.log.warn({ err }, 'https: the certificate could not be renewed'));
  }, LOOK_EVERY_MS);
  timer.unref();
  return {
    deps: {
      serverFactory: server.serverFactory,
      trust: { caCert: first.caCert, caFingerprint: first.caFingerprint, httpsPort: () => httpsPort },
    },
    listenPlain: async (h, port, hp, limits) => {
      httpsPort = hp;
      server.setHttpsPort(hp);
      guardHttpServer(server.plain, { ...DEFAULT_HTTP_LIMITS, ...limits }, { log: o.log });
      await new Promise<void>((ok, fail) => {
        server.plain.once('error', fail);
        server.plain.listen(port, h, () => ok());
      });
      const a = server.plain.address();
      return typeof a === 'object' && a ? a.port : port;
    },
    check,
    close: async () => {
      clearInterval(timer);
      await new Promise<void>((r) => server.plain.close(() => r()));
      server.plain.closeAllConnections();
    },
  };
}
