import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../../src/server/errors.js';
import type { Role } from '../../../src/server/app.js';
import { appFor, call, emptyLibrary, insertSyntheticItem, type ErrorJson } from './library.js';

/**
 * The API surface on a small library (no ingest): the OpenAPI document, strict input checks,
 * ambiguous prefixes, the access hook and the error mapping.
 */
let lib: Awaited<ReturnType<typeof emptyLibrary>>;
let app: FastifyInstance;
const A1 = `abcdef01${'1'.repeat(56)}`;
const A2 = `abcdef02${'2'.repeat(56)}`;

before(async () => {
  lib = await emptyLibrary();
  await insertSyntheticItem(lib.catalog, A1, '2024-05-01T08:00:00');
  await insertSyntheticItem(lib.catalog, A2, '2024-05-02T08:00:00');
  app = await appFor(lib);
});
after(async () => {
  await app.close();
  await lib.close();
});

type Json = Record<string, unknown>;

/** Every `$ref` in the document resolves; returns how many there were. */
function checkRefs(doc: Json): number {
  let n = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref') {
        n++;
        assert.ok(typeof x === 'string' && x.startsWith('#/'), `local ref ${String(x)}`);
        let target: unknown = doc;
        for (const part of x.slice(2).split('/')) target = (target as Json)[part.replace(/~1/g, '/')];
        assert.ok(target, `${x} resolves`);
      } else walk(x);
    }
  };
  walk(doc);
  return n;
}

/** OpenAPI 3.0 schema objects: `type` is one string, no JSON Schema 2020 keywords, nullable has a type. */
function checkSchemas30(v: unknown, where = ''): void {
  if (Array.isArray(v)) return v.forEach((x, i) => checkSchemas30(x, `${where}/${i}`));
  if (!v || typeof v !== 'object') return;
  const o = v as Json;
  if ('type' in o && typeof o.type !== 'object') assert.equal(typeof o.type, 'string', `${where}: type`);
  for (const k of ['$schema', '$defs', 'const', 'prefixItems'])
    assert.ok(!(k in o) || where.includes('/properties/'), `${where}: ${k} is not OpenAPI 3.0`);
  if (o.nullable === true) assert.ok('type' in o, `${where}: nullable needs a type`);
  for (const [k, x] of Object.entries(o)) checkSchemas30(x, `${where}/${k}`);
}

describe('OpenAPI', () => {
  it('/api/docs/json is an OpenAPI 3.0 document listing every route with its parameters', async () => {
    const { status, body: doc } = await call<Json>(app, { url: '/api/docs/json' });
    assert.equal(status, 200);
    assert.equal(doc.openapi, '3.0.3');
    const info = doc.info as Json;
    assert.equal(info.title, 'Outpost API');
    assert.match(String(info.version), /^\d+\.\d+\.\d+$/);
    const paths = doc.paths as Record<string, Record<string, Json>>;
    const want: [string, string, Role][] = [
      ['get', '/api/items', 'viewer'],
      ['get', '/api/items/{id}', 'viewer'],
      ['patch', '/api/items/{id}', 'editor'],
      ['post', '/api/items/batch', 'editor'],
      ['get', '/api/items/{id}/similar', 'viewer'],
      ['get', '/api/items/{id}/thumb', 'viewer'],
      ['get', '/api/items/{id}/preview', 'viewer'],
      ['get', '/api/items/{id}/poster', 'viewer'],
      ['get', '/api/items/{id}/original', 'viewer'],
      ['get', '/api/status', 'viewer'],
      ['get', '/api/events', 'viewer'],
      ['get', '/api/cards', 'viewer'],
      ['post', '/api/cards/{id}/monitor', 'editor'],
      ['get', '/api/monitors', 'viewer'],
    ];
    for (const [method, path, role] of want) {
      const op = paths[path]?.[method];
      assert.ok(op, `${method.toUpperCase()} ${path} documented`);
      assert.equal(op['x-required-role'], role, `${path} role`);
      assert.ok(typeof op.summary === 'string' && op.summary.length > 5);
    }
    assert.ok(
      !Object.keys(paths).some((p) => p.startsWith('/api/docs')),
      'the docs do not document themselves',
    );
    for (const [path, ops] of Object.entries(paths)) {
      const templ = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(ops)) {
        const params = (op.parameters ?? []) as { in: string; name: string; required?: boolean }[];
        for (const t of templ)
          assert.ok(
            params.some((p) => p.in === 'path' && p.name === t && p.required === true),
            `${method} ${path}: path parameter ${t}`,
          );
        const keys = params.map((p) => `${p.in}:${p.name}`);
        assert.equal(new Set(keys).size, keys.length, `${method} ${path}: parameters unique`);
        const responses = op.responses as Record<string, Json>;
        assert.ok(Object.keys(responses).length > 0);
        for (const [code, r] of Object.entries(responses))
          assert.ok(
            typeof r.description === 'string' && r.description,
            `${method} ${path} ${code}: description`,
          );
      }
    }
    const list = paths['/api/items']!.get!;
    const names = (list.parameters as { name: string }[]).map((p) => p.name).sort();
    assert.deepEqual(names, [
      'bbox',
      'camera',
      'cursor',
      'event',
      'eventIs',
      'folder',
      'from',
      'limit',
      'minRating',
      'monitor',
      'noEvent',
      'noLocation',
      'priority',
      'q',
      'recordings',
      'rejected',
      'sort',
      'tag',
      'to',
      'type',
      'undated',
      'unrated',
    ]);
    const patch = paths['/api/items/{id}']!.patch!;
    const body = ((patch.requestBody as Json).content as Record<string, { schema: Json }>)[
      'application/json'
    ]!.schema;
    assert.deepEqual(Object.keys(body.properties as Json).sort(), [
      'event',
      'location',
      'notes',
      'priority',
      'rating',
      'rejected',
      'tags',
    ]);
    assert.equal(body.additionalProperties, false);
    const thumb = (paths['/api/items/{id}/thumb']!.get!.responses as Record<string, Json>)['200']!;
    assert.ok((thumb.content as Json)['image/webp'], 'thumb is documented as WebP');
    checkRefs(doc);
    checkSchemas30(doc.paths, 'paths');
  });

  it('/api/docs serves the Swagger UI page', async () => {
    const r = await app.inject({ url: '/api/docs' });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /text\/html/);
    assert.match(r.body, /swagger/i);
  });
});

describe('input checks', () => {
  const bad = async (url: string, re: RegExp, code = 'INVALID_INPUT'): Promise<ErrorJson> => {
    const { status, body } = await call<ErrorJson>(app, { url });
    assert.equal(status, 400, `${url}: ${JSON.stringify(body)}`);
    assert.equal(body.error.code, code, url);
    assert.match(body.error.message, re, url);
    return body;
  };

  it('unknown query keys are rejected, naming the allowed ones', async () => {
    const body = await bad('/api/items?minrating=3', /minrating/);
    assert.match(body.error.hint, /minRating/);
    await bad('/api/status?verbose=1', /verbose/);
    await bad(`/api/items/${A1}?expand=all`, /expand/);
  });

  it('limits are bounded and typed', async () => {
    await bad('/api/items?limit=501', /query\.limit/);
    await bad('/api/items?limit=0', /query\.limit/);
    await bad('/api/items?limit=ten', /query\.limit/);
    await bad('/api/items?limit=2.5', /query\.limit/);
    await bad('/api/items?minRating=6', /query\.minRating/);
    await bad('/api/items?type=document', /query\.type/);
    await bad('/api/items?sort=up', /query\.sort/);
    await bad('/api/items?from=2024-13', /query\.from/);
    await bad('/api/items?to=yesterday', /query\.to/);
    await bad('/api/items?monitor=Ana&monitor=Ben', /query\.monitor/);
    await bad('/api/items?priority=yes', /query\.priority/);
    await bad(`/api/items?q=${'x'.repeat(201)}`, /query\.q/);
    await bad(`/api/items/${A1}/similar?maxDistance=65`, /query\.maxDistance/);
  });

  it('cursors that this server did not give out are rejected', async () => {
    for (const c of [
      'garbage!',
      'bm90IGpzb24',
      Buffer.from('["2024-01-01", "../../etc"]').toString('base64url'),
    ])
      await bad(`/api/items?cursor=${encodeURIComponent(c)}`, /query\.cursor/);
  });

  it('a cursor from one page continues where it stopped', async () => {
    const first = await call<{ items: { id: string }[]; nextCursor: string }>(app, {
      url: '/api/items?limit=1&sort=asc',
    });
    assert.deepEqual(
      first.body.items.map((i) => i.id),
      [A1],
    );
    const second = await call<{ items: { id: string }[]; nextCursor: string | null }>(app, {
      url: `/api/items?limit=1&sort=asc&cursor=${first.body.nextCursor}`,
    });
    assert.deepEqual(
      second.body.items.map((i) => i.id),
      [A2],
    );
    assert.equal(second.body.nextCursor, null);
  });

  it('an id prefix matching several items is 400 AMBIGUOUS_ID; a longer one resolves', async () => {
    for (const path of ['', '/thumb', '/original', '/similar']) {
      const { status, body } = await call<ErrorJson>(app, { url: `/api/items/abcdef${path}` });
      assert.equal(status, 400, path);
      assert.equal(body.error.code, 'AMBIGUOUS_ID');
      assert.deepEqual(body.error.details?.matches, [A1, A2]);
    }
    const patched = await call<ErrorJson>(app, {
      method: 'PATCH',
      url: '/api/items/ABCDEF',
      payload: { rating: 2 },
    });
    assert.equal(patched.status, 400);
    assert.equal(patched.body.error.code, 'AMBIGUOUS_ID');
    const one = await call<{ id: string }>(app, { url: '/api/items/abcdef02' });
    assert.equal(one.status, 200);
    assert.equal(one.body.id, A2);
    const short = await call<ErrorJson>(app, { url: '/api/items/abcde' });
    assert.equal(short.status, 400);
    assert.equal(short.body.error.code, 'INVALID_INPUT');
  });

  it('a catalogued original missing from the drive is 404 FILE_MISSING, not a crash', async () => {
    const { status, body } = await call<ErrorJson>(app, { url: `/api/items/${A1}/original` });
    assert.equal(status, 404);
    assert.equal(body.error.code, 'FILE_MISSING');
    assert.match(body.error.hint, /fsck/);
  });

  it('bodies over 1 MiB are 413 PAYLOAD_TOO_LARGE', async () => {
    const { status, body } = await call<ErrorJson>(app, {
      method: 'PATCH',
      url: `/api/items/${A1}`,
      payload: { notes: 'x'.repeat(1_100_000) },
    });
    assert.equal(status, 413);
    assert.equal(body.error.code, 'PAYLOAD_TOO_LARGE');
  });

  it('unknown routes and methods are 404 JSON', async () => {
    for (const [method, url] of [
      ['GET', '/api/nothing'],
      ['DELETE', `/api/items/${A1}`],
      ['GET', '/nothing-here'],
      ['GET', '/anything%00'],
      ['GET', '/cards%00/x'],
      ['GET', '/..%2f..%2fetc%2fpasswd'],
    ] as const) {
      const { status, body } = await call<ErrorJson>(app, { method, url });
      assert.equal(status, 404, url);
      assert.equal(body.error.code, 'ROUTE_NOT_FOUND');
    }
  });
});

describe('access hook (authenticate)', () => {
  it('runs before every route with the role the route needs, and can refuse', async () => {
    const seen: [string, string, Role][] = [];
    const guarded = await appFor(lib, {
      authenticate: (req, _reply, role) => {
        seen.push([req.method, req.routeOptions.url ?? req.url, role]);
        if (role === 'public') return;
        const who = req.headers['x-test-user'];
        if (!who) throw new ApiError('UNAUTHENTICATED', 'log in first');
        if (role === 'editor' && who !== 'editor')
          throw new ApiError('FORBIDDEN', `${String(who)} may not edit`);
      },
    });
    try {
      const anon = await call<ErrorJson>(guarded, { url: '/api/items' });
      assert.equal(anon.status, 401);
      assert.equal(anon.body.error.code, 'UNAUTHENTICATED');
      // Refused before validation: an anonymous caller learns nothing about the input rules.
      const anonBad = await call<ErrorJson>(guarded, { url: '/api/items?limit=9999' });
      assert.equal(anonBad.status, 401);
      const viewer = { 'x-test-user': 'viewer' };
      assert.equal((await call(guarded, { url: '/api/items', headers: viewer })).status, 200);
      const patch = await call<ErrorJson>(guarded, {
        method: 'PATCH',
        url: `/api/items/${A1}`,
        headers: viewer,
        payload: { rating: 3 },
      });
      assert.equal(patch.status, 403);
      assert.equal(patch.body.error.code, 'FORBIDDEN');
      const batch = await call(guarded, {
        method: 'POST',
        url: '/api/items/batch',
        headers: viewer,
        payload: { ids: [A1], patch: { rating: 3 } },
      });
      assert.equal(batch.status, 403);
      const edited = await call(guarded, {
        method: 'PATCH',
        url: `/api/items/${A1}`,
        headers: { 'x-test-user': 'editor' },
        payload: { rating: 3 },
      });
      assert.equal(edited.status, 200, JSON.stringify(edited.body));
      assert.equal((await guarded.inject({ url: '/api/docs/json' })).statusCode, 200, 'docs are public');
      const roles = new Map(seen.map(([m, u, r]) => [`${m} ${u}`, r]));
      assert.equal(roles.get('GET /api/items'), 'viewer');
      assert.equal(roles.get('PATCH /api/items/:id'), 'editor');
      assert.equal(roles.get('POST /api/items/batch'), 'editor');
      assert.equal(roles.get('GET /api/docs/json'), 'public');
    } finally {
      await guarded.close();
    }
  });

  it('an unexpected error is 500 INTERNAL without its message', async () => {
    const broken = await appFor(lib, {
      authenticate: () => {
        throw new Error('secret: /etc/outpost/users.sqlite is corrupt');
      },
    });
    try {
      const { status, body, res } = await call<ErrorJson>(broken, { url: '/api/status' });
      assert.equal(status, 500);
      assert.equal(body.error.code, 'INTERNAL');
      assert.doesNotMatch(res.body, /secret|users\.sqlite/);
      assert.match(body.error.message, /request/);
    } finally {
      await broken.close();
    }
  });
});
