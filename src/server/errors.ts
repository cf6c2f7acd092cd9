import { hintLangOf, localizedHint } from '../core/hints-es.js';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  ERROR_CATALOGUE,
  OutpostError,
  isOutpostError,
  toOutpostError,
  type ErrorCode,
} from '../core/errors.js';

/**
 * An API error: a code of core's one catalogue (ERROR_CATALOGUE: status, exit code, hint) plus
 * response headers (e.g. Content-Range on 416, WWW-Authenticate on 401). Errors without headers
 * may just be OutpostErrors; every API error comes out of one mapping ({@link toErrorBody}) with
 * the body `{ error: { code, message, hint, details? } }`.
 */
export class ApiError extends OutpostError {
  /** Extra response headers. */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(code, message, opts);
    this.name = 'ApiError';
    this.headers = opts.headers ?? {};
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; hint: string; details?: unknown };
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
    return { path, message: plainIssue(i) };
  });
}

/**
 * A zod issue in plain words ("too long: at most 64 characters", not "Too big"). Messages a schema
 * wrote itself (refinements, custom messages) are kept as written.
 */
function plainIssue(i: z.core.$ZodIssue): string {
  const n = (v: number | bigint): string => String(v);
  switch (i.code) {
    case 'too_big':
      if (i.origin === 'string') return `too long: at most ${n(i.maximum)} characters`;
      if (i.origin === 'array' || i.origin === 'set') return `too many: at most ${n(i.maximum)}`;
      return `too large: at most ${n(i.maximum)}`;
    case 'too_small':
      if (i.origin === 'string')
        return Number(i.minimum) <= 1
          ? 'must not be empty'
          : `too short: at least ${n(i.minimum)} characters`;
      if (i.origin === 'array' || i.origin === 'set') return `too few: at least ${n(i.minimum)}`;
      return `too small: at least ${n(i.minimum)}`;
    case 'invalid_type':
      // zod does not keep the input (reportInput is off): its own message says what was received.
      return /received undefined$/.test(i.message) ? 'missing' : `must be ${article(i.expected)}`;
    case 'invalid_value':
      return `must be one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return i.message;
  }
}

const article = (t: string): string => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** 400 INVALID_INPUT (core's code) listing every problem in `details.problems`. */
export function invalidInput(problems: InputProblem[], hint?: string): OutpostError {
  const message = `invalid request: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
  return new OutpostError('INVALID_INPUT', message, { details: { problems }, ...(hint ? { hint } : {}) });
}

const FASTIFY_STATUS_CODES: Record<number, ErrorCode> = {
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
 * hold paths or SQL); drive failures and missing tools are mapped by core's toOutpostError.
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
    const { status, hint } = ERROR_CATALOGUE[code];
    return { status, body: bounded({ code, message: e.message, hint }), headers: {} };
  }
  // A full or failing drive, or a missing program, still says so; anything else hides its message.
  const known = toOutpostError(e);
  if (known.code !== 'INTERNAL') return { status: known.status, body: bounded(known.toJSON()), headers: {} };
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
    // The hint in the reader's language (the web app sends its own as Accept-Language).
    body.error.hint = localizedHint(
      body.error.code,
      body.error.hint,
      hintLangOf(req.headers['accept-language']),
    );
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
        hint: localizedHint(
          'ROUTE_NOT_FOUND',
          ERROR_CATALOGUE.ROUTE_NOT_FOUND.hint,
          hintLangOf(req.headers['accept-language']),
        ),
      },
    };
    void reply.code(404).type('application/json; charset=utf-8').send(body);
  });
}
