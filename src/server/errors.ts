import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ERROR_CATALOGUE, OutpostError, isOutpostError, type ErrorCode } from '../core/errors.js';

/**
 * Error codes only the HTTP API produces (INVALID_INPUT and the rest are core's). Same shape as
 * core's ERROR_CATALOGUE (status + hint); they live here until core adopts them, so every API
 * error still comes out of one mapping
 * ({@link toErrorBody}) with the body `{ error: { code, message, hint, details? } }`.
 */
export const API_ERROR_CATALOGUE = {
  UNAUTHENTICATED: { status: 401, hint: 'Log in and try again.' },
  FORBIDDEN: { status: 403, hint: 'Ask an editor to make this change, or to give you the editor role.' },
  ROUTE_NOT_FOUND: { status: 404, hint: 'See /api/docs for the routes this server offers.' },
  RENDITION_NOT_FOUND: {
    status: 404,
    hint: 'This item has no such derivative (audio has none, undecodable files may have none); use /original.',
  },
  FILE_MISSING: {
    status: 404,
    hint: 'The catalogue lists a file the drive does not have: run `outpost fsck` on the library.',
  },
  PAYLOAD_TOO_LARGE: { status: 413, hint: 'Send a smaller body (at most 1 MiB); split big batches.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, hint: 'Send JSON with `Content-Type: application/json`.' },
  RANGE_NOT_SATISFIABLE: {
    status: 416,
    hint: 'Ask for bytes inside the file; its size is in the Content-Range header.',
  },
  RATE_LIMITED: { status: 429, hint: 'Wait a little and try again.' },
  REQUEST_TIMEOUT: {
    status: 408,
    hint: 'Send the request body without pausing (a stalled or very slow connection is cut off); try again.',
  },
  TOO_MANY_STREAMS: {
    status: 429,
    hint: 'Close the live view or the Outpost tab on another screen, or ask for server.limits in the config to be raised.',
  },
  CAMERA_NOT_FOUND: { status: 404, hint: 'GET /api/cameras lists the cameras of this station.' },
  LIVE_TOO_MANY_CLIENTS: {
    status: 503,
    hint: 'Close the live view on another screen, or raise live.maxClients of this camera in the station config.',
  },
  LIVE_NO_FRAME: {
    status: 503,
    hint: 'The camera has sent no picture yet (starting, or down): see its state in GET /api/cameras and try again.',
  },
  CSRF_REJECTED: {
    status: 403,
    hint: 'Send changes from the Outpost web app (it adds the X-Outpost-CSRF: 1 header), not from another site.',
  },
  SETUP_CODE_WRONG: {
    status: 403,
    hint: 'Type the setup code the station printed when it started (`journalctl -u outpost`, or its console), or create a user with `outpost user add` on the station.',
  },
  HOST_NOT_ALLOWED: {
    status: 403,
    hint: "Open the web app by the machine's IP address or host name, or add the name you use to server.allowedHosts in the config.",
  },
  SETUP_DONE: {
    status: 409,
    hint: 'This library already has users: log in, or ask an editor for an account.',
  },
} as const satisfies Record<string, { status: number; hint: string }>;

export type ApiErrorCode = keyof typeof API_ERROR_CATALOGUE;

/** A typed API error (see {@link API_ERROR_CATALOGUE}); core failures stay OutpostError. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly hint: string;
  readonly details: unknown;
  /** Extra response headers (e.g. Content-Range on 416, WWW-Authenticate on 401). */
  readonly headers: Record<string, string>;

  constructor(
    code: ApiErrorCode,
    message: string,
    opts: { hint?: string; details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.hint = opts.hint ?? API_ERROR_CATALOGUE[code].hint;
    this.details = opts.details;
    this.headers = opts.headers ?? {};
  }

  get status(): number {
    return API_ERROR_CATALOGUE[this.code].status;
  }
}

export interface ErrorBody {
  error: { code: ErrorCode | ApiErrorCode; message: string; hint: string; details?: unknown };
}

/** One problem of a request, as `details.problems[]` lists them. */
export interface InputProblem {
  /** Where: `body.location.lat`, `query.limit`, `params.id`, `body` for the whole body. */
  path: string;
  message: string;
}

/** zod issues → problems, one per bad field (unknown keys named). */
export function zodProblems(where: string, issues: readonly z.core.$ZodIssue[]): InputProblem[] {
  return issues.map((i) => {
    const path = [where, ...i.path.map(String)].join('.');
    if (i.code === 'unrecognized_keys')
      return { path, message: `unknown field(s) ${i.keys.map((k) => `"${k}"`).join(', ')}` };
    return { path, message: i.message };
  });
}

/** 400 INVALID_INPUT (core's code) listing every problem in `details.problems`. */
export function invalidInput(problems: InputProblem[], hint?: string): OutpostError {
  const message = `invalid request: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
  return new OutpostError('INVALID_INPUT', message, { details: { problems }, ...(hint ? { hint } : {}) });
}

const FASTIFY_STATUS_CODES: Record<number, ErrorCode | ApiErrorCode> = {
  400: 'INVALID_INPUT',
  404: 'ROUTE_NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  408: 'REQUEST_TIMEOUT',
  416: 'RANGE_NOT_SATISFIABLE',
  429: 'RATE_LIMITED',
};

function isFastifyClientError(e: unknown): e is FastifyError & { statusCode: number } {
  return (
    e instanceof Error &&
    typeof (e as FastifyError).statusCode === 'number' &&
    (e as FastifyError).statusCode! >= 400 &&
    (e as FastifyError).statusCode! < 500
  );
}

/** Most characters of an error message or hint as sent (JSON-escaped). */
export const MAX_ERROR_TEXT = 1000;
/** Most characters of an error's `details` as sent, all strings together. */
export const MAX_ERROR_DETAILS = 2000;
const MAX_DETAIL_STRING = 200;
const MAX_DETAIL_DEPTH = 5;

/** What a character costs in JSON: control characters are escaped as \uXXXX. */
function jsonCost(c: number): number {
  return c < 0x20 ? 6 : c === 0x22 || c === 0x5c ? 2 : 1;
}

/**
 * `s` cut to at most `max` characters once JSON-escaped, saying how much was left out. Messages
 * may quote the request (a tag name, a field name): a megabyte of input must not come back,
 * let alone grown sixfold by escaping.
 */
export function clipText(s: string, max: number): string {
  const NOTE = 40;
  let cost = 0;
  /** The first character that does not fit beside the note. */
  let cut = -1;
  for (let i = 0; i < s.length; i++) {
    cost += jsonCost(s.charCodeAt(i));
    if (cut < 0 && cost > max - NOTE) cut = i;
    if (cost <= max) continue;
    let end = Math.max(cut, 0);
    // Never split a surrogate pair.
    if (end > 0 && /[\uD800-\uDBFF]/.test(s[end - 1]!)) end--;
    return `${s.slice(0, end)}… (${s.length - end} more characters)`;
  }
  return s;
}

/** `details` within a budget of characters: long strings clipped, long lists and deep objects cut. */
function boundDetails(v: unknown, budget: { left: number }, depth = 0): unknown {
  if (typeof v === 'string') {
    const s = clipText(v, Math.min(MAX_DETAIL_STRING, Math.max(budget.left, 20)));
    budget.left -= s.length;
    return s;
  }
  if (v === null || typeof v !== 'object') {
    budget.left -= 8;
    return v;
  }
  if (depth >= MAX_DETAIL_DEPTH) return '…';
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
  const out: [string, unknown][] = [];
  for (const [k, x] of entries) {
    if (budget.left <= 0) {
      const more = `… ${entries.length - out.length} more`;
      if (Array.isArray(v)) out.push([String(out.length), more]);
      else out.push(['…', more]);
      break;
    }
    const key = Array.isArray(v) ? k : clipText(k, 100);
    budget.left -= key.length + 4;
    out.push([key, boundDetails(x, budget, depth + 1)]);
  }
  return Array.isArray(v) ? out.map(([, x]) => x) : Object.fromEntries(out);
}

/** An error body of bounded size, whatever the error quoted. */
function bounded(error: ErrorBody['error']): ErrorBody {
  const { details, ...rest } = error;
  return {
    error: {
      ...rest,
      message: clipText(rest.message, MAX_ERROR_TEXT),
      hint: clipText(rest.hint, MAX_ERROR_TEXT),
      ...(details === undefined ? {} : { details: boundDetails(details, { left: MAX_ERROR_DETAILS }) }),
    },
  };
}

/**
 * The single mapping from anything thrown to a status and a JSON error body (its message, hint
 * and details bounded in size). Unknown errors become INTERNAL without their message (it may
 * hold paths or SQL).
 */
export function toErrorBody(
  e: unknown,
  requestId: string,
): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (e instanceof ApiError) {
    const details = e.details === undefined ? {} : { details: e.details };
    return {
      status: e.status,
      body: bounded({ code: e.code, message: e.message, hint: e.hint, ...details }),
      headers: e.headers,
    };
  }
  if (isOutpostError(e)) return { status: e.status, body: bounded(e.toJSON()), headers: {} };
  if (isFastifyClientError(e)) {
    // Fastify's own client errors: malformed JSON, wrong content type, body too large, ...
    const code = FASTIFY_STATUS_CODES[e.statusCode] ?? 'INVALID_INPUT';
    const { status, hint } =
      code in API_ERROR_CATALOGUE
        ? API_ERROR_CATALOGUE[code as ApiErrorCode]
        : ERROR_CATALOGUE[code as ErrorCode];
    return { status, body: bounded({ code, message: e.message, hint }), headers: {} };
  }
  return {
    status: 500,
    body: {
      error: {
        code: 'INTERNAL',
        message: `internal error (request ${requestId})`,
        hint: ERROR_CATALOGUE.INTERNAL.hint,
      },
    },
    headers: {},
  };
}

/** Install the one error handler and the JSON 404 for unknown routes. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((e: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body, headers } = toErrorBody(e, req.id);
    if (status >= 500) req.log.error({ err: e, url: req.url }, 'request failed');
    else req.log.debug({ code: body.error.code, url: req.url }, 'request refused');
    // A file route may have set its caching headers before it failed: errors are never cached.
    for (const h of ['etag', 'cache-control', 'content-disposition', 'content-range', 'content-length'])
      reply.removeHeader(h);
    void reply
      .header('cache-control', 'no-store')
      .code(status)
      .headers(headers)
      .type('application/json; charset=utf-8')
      .send(body);
  });
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? req.url;
    const body: ErrorBody = {
      error: {
        code: 'ROUTE_NOT_FOUND',
        message: `no route ${req.method} ${path.slice(0, 200)}`,
        hint: API_ERROR_CATALOGUE.ROUTE_NOT_FOUND.hint,
      },
    };
    void reply.code(404).type('application/json; charset=utf-8').send(body);
  });
}
