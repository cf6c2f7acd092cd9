import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ERROR_CATALOGUE } from '../../../src/core/errors.js';
import { ERROR_HINTS_ES } from '../../../src/core/hints-es.js';
import { appFor, call, emptyLibrary, type ErrorJson } from './library.js';

let lib: Awaited<ReturnType<typeof emptyLibrary>>;
let app: FastifyInstance;
before(async () => {
  lib = await emptyLibrary();
  app = await appFor(lib);
});
after(async () => {
  await app.close();
  await lib.close();
});

describe('error hints in the reader’s language', () => {
  it('answers in Spanish when the app asks for it, in English otherwise', async () => {
    const id = 'ab'.repeat(32);
    const es = await call<ErrorJson>(app, { url: `/api/items/${id}`, headers: { 'accept-language': 'es' } });
    assert.equal(es.status, 404);
    assert.equal(es.body.error.code, 'ITEM_NOT_FOUND');
    assert.equal(es.body.error.hint, ERROR_HINTS_ES.ITEM_NOT_FOUND);
    const en = await call<ErrorJson>(app, { url: `/api/items/${id}` });
    assert.equal(en.body.error.hint, ERROR_CATALOGUE.ITEM_NOT_FOUND.hint);
    const peru = await call<ErrorJson>(app, {
      url: '/api/no-such-route',
      headers: { 'accept-language': 'es-PE,es;q=0.9,en;q=0.8' },
    });
    assert.equal(peru.status, 404);
    assert.equal(peru.body.error.hint, ERROR_HINTS_ES.ROUTE_NOT_FOUND);
  });

  it('refused input gets the Spanish hint too', async () => {
    const r = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/export/csv',
      headers: { 'accept-language': 'es', 'x-outpost-csrf': '1' },
      payload: { ids: ['nope'] },
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.hint, ERROR_HINTS_ES.INVALID_INPUT);
  });
});
