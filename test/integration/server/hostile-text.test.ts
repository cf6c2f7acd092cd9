import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { upsertCardSeen } from '../../../src/library/catalog/cards.js';
import { buildApp } from '../../../src/server/app.js';
import { NODE, appFor, call, emptyLibrary, insertSyntheticItem, type ErrorJson } from './library.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

const A = `abad1dea${'1'.repeat(56)}`;
const B = `abad1dea${'2'.repeat(56)}`;
const CARD = 'uuid:1234-ABCD';

let lib: Awaited<ReturnType<typeof emptyLibrary>>;
let app: FastifyInstance;

before(async () => {
  lib = await emptyLibrary();
  await insertSyntheticItem(lib.catalog, A);
  await insertSyntheticItem(lib.catalog, B);
  await upsertCardSeen(lib.catalog, { id: CARD, kind: 'fs-uuid' }, '2024-06-01T10:00:00.000Z');
  app = await appFor(lib);
});
after(async () => {
  await app.close();
  await lib.close();
});

const opCount = (): number =>
  (sqliteOf(lib.catalog).prepare('select count(*) as n from ops').get() as { n: number }).n;

/** The one problem of a refused request: 400 INVALID_INPUT naming the field and the character. */
function assertRefused(
  r: { status: number; body: ErrorJson },
  path: string,
  char: RegExp,
  what: string,
): void {
  assert.equal(r.status, 400, `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error.code, 'INVALID_INPUT', what);
  const problems = r.body.error.details?.problems as { path: string; message: string }[];
  assert.deepEqual(
    problems.map((p) => p.path),
    [path],
    what,
  );
  assert.match(problems[0]!.message, char, what);
  assert.ok(r.body.error.message.includes(path), `${what}: the message names ${path}`);
}

describe('the API refuses text a sidecar cannot carry back (control characters, lone surrogates)', () => {
  it('PATCH: event, tags and notes, each naming the field; nothing recorded', async () => {
    const before = opCount();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ event: 'River\u0007survey' }, 'body.event', /control characters \(U\+0007/],
      [{ event: '\uD800' }, 'body.event', /lone surrogate \(U\+D800/],
      [{ event: 'x\u0085y' }, 'body.event', /U\+0085/],
      [{ event: 'a\tb' }, 'body.event', /U\+0009/],
      [{ tags: ['lion', 'du\u001Bsk'] }, 'body.tags.1', /U\+001B/],
      [{ tags: ['\uDFFF'] }, 'body.tags.0', /lone surrogate \(U\+DFFF/],
      [{ tags: ['ok\uFFFF'] }, 'body.tags.0', /noncharacter U\+FFFF/],
      [{ notes: 'first\u0000second' }, 'body.notes', /other than tab and newline \(U\+0000/],
      [{ notes: 'windows\r\nline' }, 'body.notes', /U\+000D/],
      [{ notes: 'half a pair \uD83D' }, 'body.notes', /lone surrogate/],
      [{ notes: '\uFFFE' }, 'body.notes', /noncharacter U\+FFFE/],
    ];
    for (const [payload, path, char] of cases) {
      const r = await call<ErrorJson>(app, { method: 'PATCH', url: `/api/items/${A}`, payload });
      assertRefused(r, path, char, JSON.stringify(payload));
    }
    assert.equal(opCount(), before, 'no op recorded for a refused patch');
  });

  it('tab and newline are notes; emoji, RTL marks, quotes and markup are text like any other', async () => {
    const patch = {
      event: 'Survey «north» — “day 1” 😀 \u200Fעברית',
      tags: ['<img src=x onerror=alert(1)>', 'a&b', '👩‍👩‍👧'],
      notes: 'line 1\n\tline 2 </x:xmpmeta> ]]> &amp;',
    };
    const r = await call<{ attributes: Record<string, unknown> }>(app, {
      method: 'PATCH',
      url: `/api/items/${A}`,
      payload: patch,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.attributes.event, patch.event);
    assert.deepEqual(r.body.attributes.tags, patch.tags);
    assert.equal(r.body.attributes.notes, patch.notes);
  });

  it('batch: the patch field is named inside the batch body', async () => {
    const r = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/items/batch',
      payload: { ids: [A, B], patch: { event: 'ok', tags: ['fine', 'bad\u0002'] } },
    });
    assertRefused(r, 'body.patch.tags.1', /U\+0002/, 'batch');
  });

  it('monitor: a card assignment with a control character or a lone surrogate', async () => {
    for (const [monitor, char] of [
      ['Ana\u0007', /U\+0007/],
      ['Ana\nBen', /U\+000A/],
      ['\uD800Ana', /lone surrogate/],
    ] as const) {
      const r = await call<ErrorJson>(app, {
        method: 'POST',
        url: `/api/cards/${encodeURIComponent(CARD)}/monitor`,
        payload: { monitor },
      });
      assertRefused(r, 'body.monitor', char, JSON.stringify(monitor));
    }
    const ok = await call(app, {
      method: 'POST',
      url: `/api/cards/${encodeURIComponent(CARD)}/monitor`,
      payload: { monitor: 'Ana' },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  it('list filters: q, event, tag and monitor', async () => {
    for (const [query, path] of [
      ['q=lion%07', 'query.q'],
      ['event=%C2%85', 'query.event'],
      ['tag=ok&tag=%1B', 'query.tag'],
      ['monitor=Ana%00', 'query.monitor'],
    ] as const) {
      const r = await call<ErrorJson>(app, { url: `/api/items?${query}` });
      assert.equal(r.status, 400, `${query}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'INVALID_INPUT');
      const problems = r.body.error.details?.problems as { path: string }[];
      assert.ok(
        problems.some((p) => p.path.startsWith(path)),
        `${query}: ${JSON.stringify(problems)}`,
      );
    }
  });

  it('user names: setup refuses a name with a control character', async () => {
    const fresh = await emptyLibrary();
    const auth = await buildApp({
      catalog: fresh.catalog,
      drive: fresh.drive,
      files: { root: fresh.drive.layout.root },
      node: NODE,
      clock: fresh.clock,
    });
    try {
      for (const name of ['ana\u0007', 'ana\uD800', 'an\na']) {
        const r = await call<ErrorJson>(auth, {
          method: 'POST',
          url: '/api/auth/setup',
          headers: { 'x-outpost-csrf': '1' },
          payload: { name, password: 'a-long-test-password' },
        });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.error.code, 'INVALID_INPUT');
        assert.match(r.body.error.message, /user name/);
      }
    } finally {
      await auth.close();
      await fresh.close();
    }
  });
});
