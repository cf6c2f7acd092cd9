import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalidInput, zodProblems } from './errors.js';
import { errorBodySchema } from './schemas.js';

/**
 * Who may call a route. `viewer`: read; `editor`: change attributes and card assignments;
 * `public`: no login needed (docs, later the login route itself).
 */
export type Role = 'public' | 'viewer' | 'editor';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required role, checked by the app's authenticate hook before anything else runs. */
    role?: Role;
  }
}

type JsonSchema = Record<string, unknown>;
type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** JSON Schema (OpenAPI 3.0 dialect) of a zod schema, for the docs only. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(schema, { io, target: 'openapi-3.0', unrepresentable: 'any' }) as JsonSchema;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<
  P extends z.ZodType | undefined,
  Q extends z.ZodType | undefined,
  B extends z.ZodType | undefined,
> {
  /** ['GET', 'HEAD'] for files: an explicit HEAD answers from stat() instead of reading the file. */
  method: HttpMethod | HttpMethod[];
  url: string;
  role: Role;
  summary: string;
  description?: string;
  tags: string[];
  params?: P;
  query?: Q;
  body?: B;
  /**
   * Docs only: zod schemas of JSON responses, or OpenAPI response objects for files
   * (`{ description, content }`), or `{ description, type: 'null' }` for an empty body.
   */
  responses: Record<
    number,
    z.ZodType | { description: string; content?: JsonSchema; headers?: JsonSchema; type?: 'null' }
  >;
  handler: (
    input: { params: Out<P>; query: Out<Q>; body: Out<B> },
    req: FastifyRequest,
    reply: FastifyReply,
  ) => Promise<unknown>;
}

function parsePart<S extends z.ZodType | undefined>(schema: S, value: unknown, where: string): Out<S> {
  if (!schema) return undefined as Out<S>;
  const res = schema.safeParse(value ?? (where === 'query' ? {} : undefined));
  if (!res.success) {
    const keys = schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : [];
    const unknownKey = res.error.issues.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0);
    throw invalidInput(
      zodProblems(where, res.error.issues),
      unknownKey && keys.length
        ? `Allowed ${where === 'query' ? 'query keys' : 'fields'}: ${keys.join(', ')}.`
        : undefined,
    );
  }
  return res.data as Out<S>;
}

/** The error responses every route of a kind can give, documented once. */
function defaultErrors(spec: { params?: unknown; body?: unknown }): Record<number, string> {
  const out: Record<number, string> = {
    400: 'Invalid input (INVALID_INPUT; AMBIGUOUS_ID for an id prefix that matches several items)',
  };
  if (spec.params) out[404] = 'Not found (ITEM_NOT_FOUND, CARD_NOT_FOUND, ...)';
  if (spec.body) {
    out[413] = 'Body larger than 1 MiB (PAYLOAD_TOO_LARGE)';
    out[415] = 'Body is not JSON (UNSUPPORTED_MEDIA_TYPE)';
  }
  return out;
}

/**
 * Register a route whose inputs are parsed with zod before the handler runs (a 400 that names
 * every bad field otherwise) and whose OpenAPI entry is generated from the same schemas.
 */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(app: FastifyInstance, spec: RouteSpec<P, Q, B>): void {
  const response: Record<string, JsonSchema> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    response[status] =
      r instanceof z.ZodType ? { description: r.description ?? 'OK', ...jsonSchema(r, 'output') } : r;
  }
  for (const [status, description] of Object.entries(defaultErrors(spec)))
    response[status] ??= { description, ...jsonSchema(errorBodySchema, 'output') };
  const roleNote =
    spec.role === 'editor'
      ? 'Requires the editor role.'
      : spec.role === 'viewer'
        ? 'Requires the viewer role.'
        : '';
  app.route({
    method: spec.method,
    url: spec.url,
    config: { role: spec.role },
    schema: {
      summary: spec.summary,
      description: [spec.description, roleNote].filter(Boolean).join('\n\n'),
      tags: spec.tags,
      'x-required-role': spec.role,
      ...(spec.params ? { params: jsonSchema(spec.params, 'input') } : {}),
      ...(spec.query ? { querystring: jsonSchema(spec.query, 'input') } : {}),
      ...(spec.body ? { body: jsonSchema(spec.body, 'input') } : {}),
      response,
    },
    handler: async (req, reply) => {
      const params = parsePart(spec.params, req.params, 'params') as Out<P>;
      const query = parsePart(spec.query, req.query, 'query') as Out<Q>;
      const body = parsePart(spec.body, req.body, 'body') as Out<B>;
      return spec.handler({ params, query, body }, req, reply);
    },
  });
}
