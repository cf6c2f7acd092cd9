import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../adapters/clock.js';
import type { Catalog } from '../library/catalog/open.js';
import { OutpostError } from '../core/errors.js';
import { lookupSession, type SessionOptions, type SessionUser } from './sessions.js';
import type { UserRole } from './users.js';

/** The cookie that holds the session token. */
export const SESSION_COOKIE = 'outpost_session';
/** Header the web app sends with every change: a custom header forces a CORS preflight, never granted. */
export const CSRF_HEADER = 'x-outpost-csrf';

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in user, set by the session check (absent on anonymous requests and with allowAll). */
    outpostUser?: SessionUser;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The access check the server runs before a route (its `Authenticate`): resolve to let the
 * request through, throw to refuse. `required` is the route's role.
 */
export type SessionCheck = (
  req: FastifyRequest,
  reply: FastifyReply,
  required: 'public' | UserRole,
) => Promise<void> | void;

/** The session token of the request's cookie, if any. */
export function sessionToken(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  // Our token is base64url: no quoting or decoding to handle. The first cookie of the name wins.
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** Set-Cookie for the session cookie (the token is base64url: nothing to encode). */
function serializeSessionCookie(req: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly${secure}; SameSite=Strict`;
}

/**
 * Whether a state-changing request provably comes from our own pages: the X-Outpost-CSRF: 1 header
 * (other sites cannot send it without a preflight), or an Origin equal to the Host it was sent to.
 * SameSite=Strict alone is not enough: another port on the same host is the same site.
 */
export function csrfOk(req: FastifyRequest): boolean {
  if (req.headers[CSRF_HEADER] === '1') return true;
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (!origin || !host || origin === 'null') return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** The Set-Cookie value for a session; Secure when the request came over https. */
export function sessionCookie(req: FastifyRequest, token: string, expiresAt: Date, now: Date): string {
  return serializeSessionCookie(
    req,
    token,
    Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)),
  );
}

/** The Set-Cookie value that removes the session cookie. */
export function clearedSessionCookie(req: FastifyRequest): string {
  return serializeSessionCookie(req, '', 0);
}

export interface SessionAuthOptions extends SessionOptions {
  catalog: Catalog;
  clock: Clock;
}

/**
 * The real access check (buildApp's default): the `outpost_session` cookie names a live session,
 * whose user has the route's role (editor ⊇ viewer). 'public' routes let anyone through but still
 * learn who is logged in. Mutations carrying the cookie must pass {@link csrfOk}.
 */
export function createSessionAuthenticate(o: SessionAuthOptions): SessionCheck {
  return async (req: FastifyRequest, reply: FastifyReply, required) => {
    const token = sessionToken(req);
    if (token && !SAFE_METHODS.has(req.method) && !csrfOk(req))
      throw new OutpostError(
        'CSRF_REJECTED',
        `${req.method} without the ${CSRF_HEADER} header or a same-origin Origin`,
      );
    const user = token ? await lookupSession(o.catalog, token, o.clock.now(), o) : undefined;
    if (user) req.outpostUser = user;
    if (required === 'public') return;
    if (!user) {
      // A stale cookie is removed so the web app shows its login page, not a loop of 401s.
      if (token) void reply.header('set-cookie', clearedSessionCookie(req));
      throw new OutpostError(
        'UNAUTHENTICATED',
        token ? 'your session has ended: log in again' : 'log in to use this library',
      );
    }
    if (required === 'editor' && user.role !== 'editor')
      throw new OutpostError('FORBIDDEN', `${user.name} is a ${user.role}: changes need the editor role`);
  };
}
