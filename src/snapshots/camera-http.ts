/**
 * One HTTP exchange with a camera, on node:http(s) so that the connect and whole-request limits,
 * the abort on stop and the body size are ours to hold: send, answer a 401 with the credentials the
 * challenge asks for, and hand back the response. Failures are {@link PullFailure}s whose kind is
 * what the puller counts.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { errnoCode } from '../core/errors.js';
import {
  basicAuthorization,
  DigestSession,
  parseWwwAuthenticate,
  pickDigestChallenge,
  type AuthChallenge,
} from './digest-auth.js';

export type PullFailureKind = 'http-error' | 'timeout' | 'garbage' | 'too-big' | 'auth';

/** Why one poll failed, with the counter it goes to. */
export class PullFailure extends Error {
  constructor(
    readonly kind: PullFailureKind,
    message: string,
    opts: { cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PullFailure';
  }
}

/** The reason a puller's stop() aborts with: not a failure of the camera. */
export class PullStopped extends Error {
  constructor() {
    super('snapshot puller stopped');
    this.name = 'PullStopped';
  }
}

export type AuthMode = 'auto' | 'basic' | 'digest';

export interface CameraCredentials {
  user?: string | undefined;
  password?: string | undefined;
  auth: AuthMode;
}

/**
 * What a camera asked for last time, kept between polls: the Digest nonce is reused (nc counts
 * up) until the camera calls it stale, which saves a round trip per poll; Basic is remembered only
 * once the camera asked for it.
 */
export interface AuthMemo {
  digest?: DigestSession;
  basic?: boolean;
}

export interface ExchangeRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Until the TCP (and TLS) connection is up. */
  connectTimeoutMs: number;
  /** Aborted on the whole-request deadline (reason: a timeout PullFailure) or on stop. */
  signal: AbortSignal;
}

/** Send one request; resolves when the response headers are in. */
export function send(r: ExchangeRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (r.signal.aborted) return reject(asFailure(r.signal.reason, r.signal));
    const headers: Record<string, string> = { 'user-agent': 'outpost-snapshots', ...r.headers };
    if (r.body) headers['content-length'] = String(r.body.length);
    const make = r.url.protocol === 'https:' ? httpsRequest : httpRequest;
    let connectTimer: NodeJS.Timeout | undefined;
    let settled = false;
    // agent:false: one connection per exchange; cameras drop idle keep-alive sockets without telling.
    const req = make(r.url, { method: r.method, headers, agent: false, signal: r.signal });
    const fail = (e: unknown): void => {
      clearTimeout(connectTimer);
      if (settled) return;
      settled = true;
      reject(asFailure(e, r.signal));
    };
    req.once('socket', (socket) => {
      const ready = (): void => clearTimeout(connectTimer);
      connectTimer = setTimeout(
        () => req.destroy(new PullFailure('timeout', `no connection within ${r.connectTimeoutMs} ms`)),
        r.connectTimeoutMs,
      );
      socket.once(r.url.protocol === 'https:' ? 'secureConnect' : 'connect', ready);
    });
    req.on('error', fail);
    req.once('response', (res) => {
      clearTimeout(connectTimer);
      settled = true;
      resolve(res);
    });
    req.end(r.body);
  });
}

/** Any error of an exchange as a PullFailure (or PullStopped when the puller stops). */
export function asFailure(e: unknown, signal?: AbortSignal): Error {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof PullFailure || reason instanceof PullStopped) return reason;
  }
  if (e instanceof PullFailure || e instanceof PullStopped) return e;
  const code = errnoCode(e);
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'ETIMEDOUT') return new PullFailure('timeout', msg, { cause: e });
  return new PullFailure('http-error', code ? `${code}: ${msg}` : msg, { cause: e });
}

/** Read and drop a response we do not use (a 401's page), so its socket closes cleanly. */
export function discard(res: IncomingMessage): void {
  res.resume();
  res.on('error', () => undefined);
}

/**
 * Send with authentication: answer a 401 with what its challenge asks (mode `auto`: Digest when
 * offered, the strongest algorithm; Basic only if the camera asked for it), retry once with a new
 * nonce when the camera calls ours stale. Resolves with the first non-401 response; a 401 we cannot
 * or may not answer is an `auth` failure.
 */
export async function sendAuthorized(
  r: ExchangeRequest,
  creds: CameraCredentials,
  memo: AuthMemo,
  cnonce?: () => string,
): Promise<IncomingMessage> {
  const target = r.url.pathname + r.url.search;
  const hasCreds = creds.user !== undefined && creds.user !== '';
  const user = creds.user ?? '';
  const password = creds.password ?? '';

  // What to send before any challenge: what worked last time, or Basic if the config says Basic.
  let authorization: string | undefined;
  let fromFreshChallenge = false;
  if (hasCreds) {
    if (memo.digest && creds.auth !== 'basic')
      authorization = memo.digest.authorization(r.method, target, r.body);
    else if (creds.auth === 'basic' || (creds.auth === 'auto' && memo.basic))
      authorization = basicAuthorization(user, password);
  }

  for (let attempt = 0; attempt < 4; attempt++) {
    const res = await send({
      ...r,
      headers: { ...r.headers, ...(authorization ? { authorization } : {}) },
    });
    if (res.statusCode !== 401) return res;
    discard(res);
    const challenges = parseWwwAuthenticate(res.headers['www-authenticate']);
    if (!hasCreds)
      throw new PullFailure('auth', `HTTP 401 (${describe(challenges)}) and no user is configured`);
    const digest = creds.auth === 'basic' ? undefined : pickDigestChallenge(challenges);
    const stale = digest !== undefined && (digest.params.stale ?? '').toLowerCase() === 'true';
    // An answer to a fresh challenge refused without "stale": the user or password is wrong.
    if (fromFreshChallenge && !stale)
      throw new PullFailure(
        'auth',
        `HTTP 401: the camera refuses ${user}'s password (${describe(challenges)})`,
      );
    if (digest) {
      memo.digest = new DigestSession(digest, user, password, cnonce);
      memo.basic = false;
      authorization = memo.digest.authorization(r.method, target, r.body);
    } else if (creds.auth === 'digest') {
      throw new PullFailure('auth', `auth is digest but the camera offers ${describe(challenges)}`);
    } else if (creds.auth === 'basic' || challenges.some((c) => c.scheme === 'basic')) {
      memo.digest = undefined;
      memo.basic = true;
      authorization = basicAuthorization(user, password);
    } else {
      throw new PullFailure('auth', `HTTP 401 with no challenge we can answer (${describe(challenges)})`);
    }
    fromFreshChallenge = true;
  }
  throw new PullFailure('auth', 'HTTP 401: the camera keeps asking for a new nonce');
}

function describe(challenges: AuthChallenge[]): string {
  if (challenges.length === 0) return 'no WWW-Authenticate';
  return challenges
    .map((c) => (c.scheme === 'digest' ? `Digest ${c.params.algorithm ?? 'MD5'}` : c.scheme))
    .join(', ');
}
