import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutpostError } from '../../../src/core/errors.js';
import { API_ERROR_CATALOGUE, ApiError, toErrorBody } from '../../../src/server/errors.js';
import { cardIndicator, driveIndicator } from '../../../src/server/routes/status.js';

describe('toErrorBody: the one mapping', () => {
  it('OutpostError keeps its code, status and hint', () => {
    const r = toErrorBody(new OutpostError('ITEM_NOT_FOUND', 'no item abc'), 'req-1');
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'ITEM_NOT_FOUND');
    assert.ok(r.body.error.hint);
  });
  it('ApiError carries details and headers', () => {
    const r = toErrorBody(
      new ApiError('RANGE_NOT_SATISFIABLE', 'out', {
        details: { size: 3 },
        headers: { 'content-range': 'bytes */3' },
      }),
      'r',
    );
    assert.equal(r.status, 416);
    assert.deepEqual(r.body.error.details, { size: 3 });
    assert.equal(r.headers['content-range'], 'bytes */3');
  });
  it('Fastify client errors map by status; anything else is INTERNAL without its message', () => {
    const tooBig = Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });
    assert.equal(toErrorBody(tooBig, 'r').body.error.code, 'PAYLOAD_TOO_LARGE');
    const r = toErrorBody(new Error('SQLITE_CORRUPT at /secret/path'), 'req-9');
    assert.equal(r.status, 500);
    assert.equal(r.body.error.code, 'INTERNAL');
    assert.doesNotMatch(r.body.error.message, /secret/);
    assert.match(r.body.error.message, /req-9/);
  });
  it('every API code has a status and a hint', () => {
    for (const [code, e] of Object.entries(API_ERROR_CATALOGUE)) {
      assert.ok(e.status >= 400 && e.status < 600, code);
      assert.ok(e.hint.length > 10, code);
    }
  });
});

describe('indicators', () => {
  const GiB = 1024 ** 3;
  it('DRIVE A by free space', () => {
    assert.equal(driveIndicator({ freeBytes: 500 * GiB, totalBytes: 1000 * GiB }).look, 'green');
    assert.equal(driveIndicator({ freeBytes: 50 * GiB, totalBytes: 1000 * GiB }).look, 'red');
    assert.equal(driveIndicator({ freeBytes: 10 * GiB, totalBytes: 20 * GiB }).look, 'red');
    assert.equal(driveIndicator({ freeBytes: 0.5 * GiB, totalBytes: 1000 * GiB }).look, 'flashing-red');
    assert.equal(driveIndicator(null).look, 'flashing-red');
  });
  it('CARD by the last ingest', () => {
    const base = {
      mountPoint: '/m',
      cardPresent: true,
      progress: null,
      summary: null,
      error: null,
      updatedAt: '',
    };
    assert.equal(cardIndicator(null).look, 'off');
    assert.equal(cardIndicator({ ...base, state: 'running' }).look, 'green');
    assert.equal(cardIndicator({ ...base, state: 'done' }).look, 'flashing-green');
    assert.equal(cardIndicator({ ...base, state: 'failed' }).look, 'flashing-red');
    assert.equal(cardIndicator({ ...base, state: 'done', cardPresent: false }).look, 'off');
  });
});
