import { randomBytes } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  clearedSessionCookie,
  csrfOk,
  CSRF_HEADER,
  sessionCookie,
  sessionToken,
} from '../../auth/authenticate.js';
import { allowedHostNames, hostAllowed } from '../../auth/host-check.js';
import { hashPassword, verifyPassword } from '../../auth/passwords.js';
import {
  clientAddressKey,
  createAttemptLimiter,
  isReservation,
  LOGIN_LIMITS,
  type LimitedKey,
  type Reservation,
} from '../../auth/rate-limit.js';
import { createSession, lookupSession, revokeSession } from '../../auth/sessions.js';
import { setupCodeMatches } from '../../auth/setup-code.js';
import { addUser, countUsers, findUser, userNameKey } from '../../auth/users.js';
import { ApiError } from '../errors.js';
import type { AppDeps, LoginOptions } from '../deps.js';
import { fixedSetupCode } from '../first-user.js';
import { defineRoute } from '../route.js';

export type AuthRouteOptions = LoginOptions;

const credentials = z
  .object({
    name: z.string().min(1).max(200),
    password: z.string().min(1).max(4096),
  })
  .strict();

const setupBody = credentials
  .extend({
    setupCode: z.string().max(64).optional().describe('The code the station printed (when it asks for one)'),
  })
  .strict();

const userSchema = z.object({ name: z.string(), role: z.enum(['viewer', 'editor']) });
const loginResult = z
  .object({ user: userSchema, expiresAt: z.string().describe('ISO time the session ends if unused') })
  .describe('Logged in; the session cookie is set');
const meResult = z
  .object({
    user: userSchema.nullable().describe('null when not logged in'),
    setupRequired: z.boolean().describe('true while the library has no users: POST /api/auth/setup'),
    setupCodeRequired: z.boolean().describe('setup needs the one-time code the station printed'),
  })
  .describe('Who is logged in');

function requireCsrf(req: FastifyRequest): void {
  // Login and setup carry no cookie yet; the check still stops a foreign page logging a tablet
  // into an account of its choosing (login CSRF).
  if (!csrfOk(req))
    throw new ApiError('CSRF_REJECTED', `${req.method} ${req.url} needs the ${CSRF_HEADER}: 1 header`);
}

/**
 * Login routes: setup of the first editor, login, logout, and "who am I". All public (they decide
 * for themselves); login is rate-limited per client address and user name, and per client address.
 */
export function registerAuthRoutes(app: FastifyInstance, deps: AppDeps, opts: AuthRouteOptions = {}): void {
  const cat = deps.catalog;
  const clock = deps.clock;
  const tags = ['auth'];
  const limiter = opts.limiter ?? createAttemptLimiter(LOGIN_LIMITS);
  const verify = opts.verifyPassword ?? verifyPassword;
  const codes = typeof deps.setupCode === 'string' ? fixedSetupCode(deps.setupCode) : deps.setupCode;
  const hostNames = allowedHostNames(deps.hostname ?? osHostname(), deps.allowedHosts);
  // A failed login costs one scrypt whether or not the user exists (no user-name probing by time).
  const dummyHash = hashPassword(randomBytes(18).toString('base64'), opts.scrypt);
  dummyHash.catch(() => undefined);

  const startSession = async (
    req: FastifyRequest,
    user: string,
  ): Promise<{ expiresAt: string; cookie: string }> => {
    const now = clock.now();
    const s = await createSession(cat, user, now, opts);
    return { expiresAt: s.expiresAt.toISOString(), cookie: sessionCookie(req, s.token, s.expiresAt, now) };
  };

  /**
   * Count an attempt under `keys` before checking it (synchronously: a burst of requests cannot
   * all pass), or 429 with Retry-After while any key is at its limit.
   */
  const reserveAttempt = (keys: LimitedKey[], what: string): Reservation => {
    const r = limiter.attempt(keys, clock.now().getTime());
    if (isReservation(r)) return r;
    const seconds = Math.ceil(r.retryAfterMs / 1000);
    throw new ApiError('RATE_LIMITED', `too many ${what}: try again in ${seconds} s`, {
      headers: { 'retry-after': String(seconds) },
    });
  };

  /** DNS-rebinding defence: a page served under another name must not log in or set up here. */
  const requireOwnHost = (req: FastifyRequest): void => {
    if (hostAllowed(req.host, hostNames)) return;
    const shown = req.host ? `as "${req.host.slice(0, 100)}"` : 'without a Host header';
    // The hint names the key, not the allowed names: no need to tell a stranger what they are.
    const message = `login and setup refused: this server was reached ${shown}, not by one of its names`;
    throw new ApiError('HOST_NOT_ALLOWED', message, {
      hint:
        "Open the web app by the machine's IP address, localhost, its host name or <host name>.local; " +
        'to use this name, add it to server.allowedHosts in the config and restart.',
    });
  };

  defineRoute(app, {
    method: 'POST',
    url: '/api/auth/login',
    role: 'public',
    tags,
    summary: 'Log in with a user name and password',
    description:
      `Sets the httpOnly, SameSite=Strict session cookie. Needs the \`${CSRF_HEADER}: 1\` header and a ` +
      'Host naming this machine (HOST_NOT_ALLOWED). ' +
      `After ${LOGIN_LIMITS.perAddressAndName} failed attempts in 5 minutes for one user name from one address, or ` +
      `${LOGIN_LIMITS.perAddress} from one address, or ${LOGIN_LIMITS.perServer} from all addresses together: ` +
      '429 RATE_LIMITED with Retry-After.',
    body: credentials,
    responses: {
      200: loginResult,
      401: { description: 'Wrong user name or password (UNAUTHENTICATED)' },
      403: { description: 'Missing CSRF header (CSRF_REJECTED) or foreign Host (HOST_NOT_ALLOWED)' },
      429: { description: 'Too many failed attempts (RATE_LIMITED)' },
    },
    handler: async ({ body }, req, reply) => {
      requireCsrf(req);
      requireOwnHost(req);
      const addr = clientAddressKey(req.ip);
      // Counted before the password is checked, taken back when it is right.
      const attempt = reserveAttempt(
        [
          // `ED2`, ` ed2` and `Ed2 ` are one user; another device's failures do not lock them out here.
          { key: `login:${addr}|${userNameKey(body.name)}`, max: LOGIN_LIMITS.perAddressAndName },
          { key: `login-ip:${addr}`, max: LOGIN_LIMITS.perAddress },
          { key: 'login-all', max: LOGIN_LIMITS.perServer },
        ],
        'failed logins',
      );
      const user = await findUser(cat, body.name);
      const ok = await verify(body.password, user?.passwordHash ?? (await dummyHash));
      if (!user || !ok || user.disabled) {
        req.log.info({ name: body.name.slice(0, 64), ip: req.ip }, 'login failed');
        throw new ApiError('UNAUTHENTICATED', 'wrong user name or password', {
          hint: 'Check the user name and password; an editor can reset it with `outpost user passwd`.',
        });
      }
      attempt.succeeded();
      const s = await startSession(req, user.name);
      req.log.info({ name: user.name, ip: req.ip }, 'login');
      void reply.header('set-cookie', s.cookie);
      return { user: { name: user.name, role: user.role }, expiresAt: s.expiresAt };
    },
  });

  defineRoute(app, {
    method: 'POST',
    url: '/api/auth/setup',
    role: 'public',
    tags,
    summary: 'Create the first editor (only while the library has no users)',
    description:
      `Logs the new editor in. Needs the \`${CSRF_HEADER}: 1\` header, a Host naming this machine, and the ` +
      'one-time `setupCode` the station printed (at start, or when the library lost its last user; unless ' +
      'the station runs without codes). Refused (409 SETUP_DONE) once any user exists. ' +
      'Wrong codes are rate-limited per address.',
    body: setupBody,
    responses: {
      201: loginResult,
      403: {
        description:
          'Missing CSRF header (CSRF_REJECTED), foreign Host (HOST_NOT_ALLOWED) or wrong setup code (SETUP_CODE_WRONG)',
      },
      429: { description: 'Too many wrong codes (RATE_LIMITED)' },
      409: { description: 'The library already has users (SETUP_DONE)' },
    },
    handler: async ({ body }, req, reply) => {
      requireCsrf(req);
      requireOwnHost(req);
      // Decided now, not at start: the last user may have been removed since.
      if ((await countUsers(cat)) > 0) {
        codes?.retire();
        throw new ApiError('SETUP_DONE', 'this library already has users');
      }
      if (codes) {
        // Count, compare and take back with no await in between: guesses sent at once are each counted.
        const attempt = reserveAttempt(
          [{ key: `setup:${clientAddressKey(req.ip)}`, max: LOGIN_LIMITS.setupPerAddress }],
          'wrong setup codes',
        );
        if (!setupCodeMatches(codes.current(), body.setupCode)) {
          req.log.warn({ ip: req.ip }, 'first-user setup with a wrong setup code');
          throw new ApiError(
            'SETUP_CODE_WRONG',
            body.setupCode ? 'that is not the setup code' : 'the setup code is missing',
          );
        }
        attempt.succeeded();
      }
      const user = await addUser(cat, {
        name: body.name,
        password: body.password,
        role: 'editor',
        now: clock.now(),
        onlyIfFirst: true,
        ...(opts.scrypt ? { scrypt: opts.scrypt } : {}),
      });
      if (!user) throw new ApiError('SETUP_DONE', 'this library already has users');
      codes?.retire();
      const s = await startSession(req, user.name);
      req.log.info({ name: user.name, ip: req.ip }, 'first editor created');
      void reply.code(201).header('set-cookie', s.cookie);
      return { user: { name: user.name, role: user.role }, expiresAt: s.expiresAt };
    },
  });

  defineRoute(app, {
    method: 'POST',
    url: '/api/auth/logout',
    role: 'public',
    tags,
    summary: 'Log out: end this session and remove the cookie',
    responses: { 204: { description: 'Logged out', type: 'null' } },
    handler: async (_input, req, reply) => {
      const token = sessionToken(req);
      if (token) await revokeSession(cat, token);
      void reply.code(204).header('set-cookie', clearedSessionCookie(req));
      return reply.send();
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/auth/me',
    role: 'public',
    tags,
    summary: 'The logged-in user, and whether the library still needs its first editor',
    description:
      'Also renews the session cookie (the session itself slides on every request): the web app calls it when it starts.',
    responses: { 200: meResult },
    handler: async (_input, req, reply) => {
      const token = sessionToken(req);
      const now = clock.now();
      const user = req.outpostUser ?? (token ? await lookupSession(cat, token, now, opts) : undefined);
      if (token && user) void reply.header('set-cookie', sessionCookie(req, token, user.expiresAt, now));
      else if (token) void reply.header('set-cookie', clearedSessionCookie(req));
      const setupRequired = (await countUsers(cat)) === 0;
      // The web app asks this before it shows the setup form: a library that lost its last user
      // since start gets its fresh code printed now, for the person at the station to read.
      if (setupRequired) codes?.current();
      else codes?.retire();
      return {
        user: user ? { name: user.name, role: user.role } : null,
        setupRequired,
        setupCodeRequired: codes !== undefined,
      };
    },
  });
}
