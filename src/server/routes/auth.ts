import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  clearedSessionCookie,
  csrfOk,
  CSRF_HEADER,
  sessionCookie,
  sessionToken,
} from '../../auth/authenticate.js';
import { ApiError } from '../errors.js';
import { hashPassword, verifyPassword, type ScryptParams } from '../../auth/passwords.js';
import { createAttemptLimiter, LOGIN_LIMIT, type AttemptLimiter } from '../../auth/rate-limit.js';
import { createSession, lookupSession, revokeSession, type SessionOptions } from '../../auth/sessions.js';
import { setupCodeMatches } from '../../auth/setup-code.js';
import { addUser, countUsers, findUser } from '../../auth/users.js';
import type { AppDeps } from '../deps.js';
import { defineRoute } from '../route.js';

export interface AuthRouteOptions extends SessionOptions {
  /** Failed-login limiter (per IP and per user name); defaults to 10 failures per 5 minutes. */
  limiter?: AttemptLimiter;
  /** scrypt cost for passwords set through the API (tests lower it). */
  scrypt?: ScryptParams;
}

const credentials = z
  .object({
    name: z.string().min(1).max(200),
    password: z.string().min(1).max(4096),
  })
  .strict();

const setupBody = credentials
  .extend({
    setupCode: z
      .string()
      .max(64)
      .optional()
      .describe('The code the station printed at start (when it asks for one)'),
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
    setupCodeRequired: z.boolean().describe('setup needs the one-time code the station printed at start'),
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
 * for themselves); login is rate-limited per client address and per user name.
 */
export function registerAuthRoutes(app: FastifyInstance, deps: AppDeps, opts: AuthRouteOptions = {}): void {
  const cat = deps.catalog;
  const clock = deps.clock;
  const tags = ['auth'];
  const limiter = opts.limiter ?? createAttemptLimiter(LOGIN_LIMIT);
  // A failed login costs one scrypt whether or not the user exists (no user-name probing by time).
  const dummyHash = hashPassword(randomBytes(18).toString('base64'), opts.scrypt);
  dummyHash.catch(() => undefined);

  const startSession = (req: FastifyRequest, user: string): { expiresAt: string; cookie: string } => {
    const now = clock.now();
    const s = createSession(cat, user, now, opts);
    return { expiresAt: s.expiresAt.toISOString(), cookie: sessionCookie(req, s.token, s.expiresAt, now) };
  };

  /** 429 with Retry-After while any of `keys` is over the failed-attempt limit. */
  const refuseWhenLimited = (keys: string[], what: string): void => {
    const nowMs = clock.now().getTime();
    const wait = Math.max(...keys.map((k) => limiter.retryAfterMs(k, nowMs)));
    if (wait <= 0) return;
    const seconds = Math.ceil(wait / 1000);
    throw new ApiError('RATE_LIMITED', `too many ${what}: try again in ${seconds} s`, {
      headers: { 'retry-after': String(seconds) },
    });
  };

  defineRoute(app, {
    method: 'POST',
    url: '/api/auth/login',
    role: 'public',
    tags,
    summary: 'Log in with a user name and password',
    description:
      `Sets the httpOnly, SameSite=Strict session cookie. Needs the \`${CSRF_HEADER}: 1\` header. ` +
      'After 10 failed attempts in 5 minutes from one address or for one user name: 429 RATE_LIMITED ' +
      'with Retry-After.',
    body: credentials,
    responses: {
      200: loginResult,
      401: { description: 'Wrong user name or password (UNAUTHENTICATED)' },
      403: { description: 'Missing CSRF header (CSRF_REJECTED)' },
      429: { description: 'Too many failed attempts (RATE_LIMITED)' },
    },
    handler: async ({ body }, req, reply) => {
      requireCsrf(req);
      const keys = [`ip:${req.ip}`, `user:${body.name.trim().toLowerCase()}`];
      refuseWhenLimited(keys, 'failed logins');
      const user = await findUser(cat, body.name);
      const ok = await verifyPassword(body.password, user?.passwordHash ?? (await dummyHash));
      if (!user || !ok || user.disabled) {
        const failedAt = clock.now().getTime();
        for (const k of keys) limiter.fail(k, failedAt);
        req.log.info({ name: body.name.slice(0, 64), ip: req.ip }, 'login failed');
        throw new ApiError('UNAUTHENTICATED', 'wrong user name or password', {
          hint: 'Check the user name and password; an editor can reset it with `outpost user passwd`.',
        });
      }
      const s = startSession(req, user.name);
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
      `Logs the new editor in. Needs the \`${CSRF_HEADER}: 1\` header, and the one-time \`setupCode\` the station ` +
      'printed at start (unless the station runs without one). Refused (409 SETUP_DONE) once any user exists. ' +
      'Wrong codes are rate-limited like failed logins.',
    body: setupBody,
    responses: {
      201: loginResult,
      403: { description: 'Missing CSRF header (CSRF_REJECTED) or wrong setup code (SETUP_CODE_WRONG)' },
      429: { description: 'Too many wrong codes (RATE_LIMITED)' },
      409: { description: 'The library already has users (SETUP_DONE)' },
    },
    handler: async ({ body }, req, reply) => {
      requireCsrf(req);
      if (deps.setupCode !== undefined) {
        const key = `setup:${req.ip}`;
        refuseWhenLimited([key], 'wrong setup codes');
        if ((await countUsers(cat)) > 0) throw new ApiError('SETUP_DONE', 'this library already has users');
        if (!setupCodeMatches(deps.setupCode, body.setupCode)) {
          limiter.fail(key, clock.now().getTime());
          req.log.warn({ ip: req.ip }, 'first-user setup with a wrong setup code');
          throw new ApiError(
            'SETUP_CODE_WRONG',
            body.setupCode ? 'that is not the setup code' : 'the setup code is missing',
          );
        }
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
      const s = startSession(req, user.name);
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
      if (token) revokeSession(cat, token);
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
      const user = req.outpostUser ?? (token ? lookupSession(cat, token, now, opts) : undefined);
      if (token && user) void reply.header('set-cookie', sessionCookie(req, token, user.expiresAt, now));
      else if (token) void reply.header('set-cookie', clearedSessionCookie(req));
      return {
        user: user ? { name: user.name, role: user.role } : null,
        setupRequired: (await countUsers(cat)) === 0,
        setupCodeRequired: deps.setupCode !== undefined,
      };
    },
  });
}
