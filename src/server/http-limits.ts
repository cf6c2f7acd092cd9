import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isIPv6, type Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { ApiError, toErrorBody } from './errors.js';
import type { StreamLimits } from './streams.js';

/**
 * Connection and request-body limits of a listening server (station and HQ), below Fastify: they
 * act on sockets, before any route runs. Node's own `requestTimeout` would do for bodies, but it
 * times the whole request, and HQ receives tus uploads that take minutes over a 256 kbit/s link;
 * so bodies are judged by their progress instead (docs: README "Limits").
 */
export interface HttpLimits {
  /**
   * Open connections one client address may hold (IPv6: one /64, which one client usually has to
   * itself); a connection beyond it is closed at once. 0: no cap (behind a reverse proxy every
   * client is the proxy's address: let the proxy cap them).
   */
  maxConnectionsPerAddress: number;
  /** A request body that sends no byte for this long is cut off (408), slow uploads included. */
  bodyIdleTimeoutMs: number;
  /**
   * After this long, a request body must have averaged at least `bodyMinBytesPerSecond` since its
   * headers, or it is cut off (408): a body trickled a byte at a time never dodges the idle rule
   * otherwise. Requests passed to {@link allowSlowBody} (HQ's authenticated station uploads, paced
   * by the station's own bandwidth timetable) are held to the idle rule only.
   */
  bodyGraceMs: number;
  bodyMinBytesPerSecond: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxConnectionsPerAddress: 64,
  // The station's uplink gives a request with no progress up after 60 s (uplink.stallTimeoutSeconds).
  bodyIdleTimeoutMs: 60_000,
  bodyGraceMs: 10_000,
  // 16 kbit/s: a sixteenth of the slowest link a station is expected to have.
  bodyMinBytesPerSecond: 2048,
};

/** Config `server.limits` as written (seconds). */
export interface ServerLimitsConfig {
  connectionsPerAddress: number;
  bodyIdleSeconds: number;
  bodyGraceSeconds: number;
  bodyMinBytesPerSecond: number;
  eventStreamsPerUser: number;
  liveViewsPerUser: number;
  streamStallSeconds: number;
}

/** The limits of config `server.limits` (seconds there, milliseconds here). Pure. */
export function limitsFromConfig(l: ServerLimitsConfig): { http: HttpLimits; streams: StreamLimits } {
  return {
    http: {
      maxConnectionsPerAddress: l.connectionsPerAddress,
      bodyIdleTimeoutMs: l.bodyIdleSeconds * 1000,
      bodyGraceMs: l.bodyGraceSeconds * 1000,
      bodyMinBytesPerSecond: l.bodyMinBytesPerSecond,
    },
    streams: {
      eventStreamsPerUser: l.eventStreamsPerUser,
      liveViewsPerUser: l.liveViewsPerUser,
      stallTimeoutMs: l.streamStallSeconds * 1000,
    },
  };
}

/** Requests whose body may be slow (but not stalled): set by an access check that knows the sender. */
const slowBodies = new WeakSet<IncomingMessage>();

/** Exempt an authenticated request from the minimum body rate (it keeps the idle timeout). */
export function allowSlowBody(req: IncomingMessage): void {
  slowBodies.add(req);
}

/**
 * The key a connection is counted under: IPv4 (also IPv4-mapped IPv6) as it is, other IPv6 by
 * its /64 (a client gets a whole /64 and could otherwise rotate addresses inside it). Pure.
 */
export function addressKey(remote: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
  if (mapped) return mapped[1]!;
  if (!isIPv6(remote)) return remote;
  const bare = remote.split('%')[0]!;
  const [head = '', tail] = bare.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::1.2.3.4) is two groups; the /64 never reaches it unless left is long.
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

export interface BodyProgress {
  /** Since the request's headers arrived. */
  elapsedMs: number;
  /** Since the body last made progress. */
  idleMs: number;
  /** Body bytes received so far. */
  received: number;
  /** The request may be slow (allowSlowBody), only not stalled. */
  slowAllowed: boolean;
}

export type BodyVerdict = 'ok' | 'stalled' | 'too-slow';

/** Whether an incomplete request body may go on. Pure. */
export function bodyVerdict(p: BodyProgress, limits: HttpLimits): BodyVerdict {
  if (p.idleMs >= limits.bodyIdleTimeoutMs) return 'stalled';
  if (p.slowAllowed || p.elapsedMs <= limits.bodyGraceMs) return 'ok';
  const owed = (limits.bodyMinBytesPerSecond * (p.elapsedMs - limits.bodyGraceMs)) / 1000;
  return p.received < owed ? 'too-slow' : 'ok';
}

interface BodyWatch {
  req: IncomingMessage;
  res: ServerResponse;
  socket: Socket;
  startedAt: number;
  /** socket.bytesRead when the headers were in: what came after is body. */
  baseRead: number;
  lastRead: number;
  lastProgressAt: number;
  /** Time the server itself was not reading (the body waited in its buffer): not the client's fault. */
  heldMs: number;
}

/** Whether a request has a body to wait for (Node's own rule: a length or a transfer coding). */
function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function timeoutResponse(message: string): string {
  const body = JSON.stringify(toErrorBody(new ApiError('REQUEST_TIMEOUT', message), '').body);
  return (
    'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nCache-Control: no-store\r\n' +
    `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

export interface GuardOptions {
  log?: Pick<FastifyBaseLogger, 'info' | 'warn'>;
  /** Milliseconds, monotonic; tests may pass a fake. */
  now?: () => number;
}

/**
 * Apply `limits` to a Node HTTP server (Fastify's `app.server`) before it listens. Returns
 * `connections(address)` (for tests and status) and `stop()`; closing the server stops it too.
 */
export function guardHttpServer(
  server: Server,
  limits: HttpLimits,
  opts: GuardOptions = {},
): { connections(remote: string): number; stop(): void } {
  const now = opts.now ?? (() => performance.now());
  const perAddress = new Map<string, number>();
  let refusedLogged = 0;

  const onConnection = (socket: Socket): void => {
    const remote = socket.remoteAddress;
    if (limits.maxConnectionsPerAddress <= 0 || remote === undefined) return;
    const key = addressKey(remote);
    const n = perAddress.get(key) ?? 0;
    if (n >= limits.maxConnectionsPerAddress) {
      // Closed before a byte is read: no request, no response. One log line a minute at most.
      if (now() - refusedLogged > 60_000) {
        refusedLogged = now();
        opts.log?.warn(
          { remote: key, max: limits.maxConnectionsPerAddress },
          'connection refused: this address already holds the most connections allowed (server.limits.connectionsPerAddress)',
        );
      }
      socket.destroy();
      return;
    }
    perAddress.set(key, n + 1);
    socket.once('close', () => {
      const left = (perAddress.get(key) ?? 1) - 1;
      if (left > 0) perAddress.set(key, left);
      else perAddress.delete(key);
    });
  };

  const bodies = new Set<BodyWatch>();
  let timer: NodeJS.Timeout | undefined;
  // Often enough that a cut-off comes within a tenth of the limit after it, at most once a second.
  const tickMs = Math.max(
    20,
    Math.min(1000, Math.round(Math.min(limits.bodyIdleTimeoutMs, limits.bodyGraceMs) / 10)),
  );

  const cut = (w: BodyWatch, verdict: BodyVerdict, idleMs: number): void => {
    bodies.delete(w);
    const { req, res, socket } = w;
    const message =
      verdict === 'stalled'
        ? `the request body stalled: no bytes for ${Math.round(idleMs / 1000)} s`
        : `the request body is too slow: under ${limits.bodyMinBytesPerSecond} bytes/s`;
    opts.log?.info(
      { remote: socket.remoteAddress, method: req.method, url: req.url?.slice(0, 200), verdict },
      'request body timed out',
    );
    if (!res.headersSent && socket.writable) {
      // The route has not answered (it still waits for the body): say why, then hang up. The
      // socket is destroyed once the answer is flushed, or after a second if the client reads nothing.
      const t = setTimeout(() => socket.destroy(), 1000);
      t.unref();
      socket.end(timeoutResponse(message), () => {
        clearTimeout(t);
        socket.destroy();
      });
    } else socket.destroy();
  };

  const tick = (): void => {
    const t = now();
    for (const w of bodies) {
      if (w.req.complete || w.socket.destroyed) {
        bodies.delete(w);
        continue;
      }
      const read = w.socket.bytesRead;
      const waiting = w.req.readableLength >= w.req.readableHighWaterMark;
      if (read !== w.lastRead || waiting) {
        if (waiting) w.heldMs += t - w.lastProgressAt;
        w.lastRead = read;
        w.lastProgressAt = t;
      }
      const idleMs = t - w.lastProgressAt;
      const verdict = bodyVerdict(
        {
          elapsedMs: t - w.startedAt - w.heldMs,
          idleMs,
          received: read - w.baseRead,
          // Once answered, the rest of a body is only read to be thrown away: no slack for it.
          slowAllowed: slowBodies.has(w.req) && !w.res.writableEnded,
        },
        limits,
      );
      if (verdict !== 'ok') cut(w, verdict, idleMs);
    }
    if (bodies.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.complete || !hasBody(req)) return;
    const socket = req.socket;
    const t = now();
    bodies.add({
      req,
      res,
      socket,
      startedAt: t,
      baseRead: socket.bytesRead,
      lastRead: socket.bytesRead,
      lastProgressAt: t,
      heldMs: 0,
    });
    if (!timer) {
      timer = setInterval(tick, tickMs);
      timer.unref();
    }
  };

  const stop = (): void => {
    server.off('connection', onConnection);
    server.off('request', onRequest);
    if (timer) clearInterval(timer);
    timer = undefined;
    bodies.clear();
  };
  server.on('connection', onConnection);
  server.on('request', onRequest);
  server.once('close', stop);
  return { connections: (remote) => perAddress.get(addressKey(remote)) ?? 0, stop };
}
