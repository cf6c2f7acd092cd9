import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE, OutpostError } from '../../../src/core/errors.js';
import { ApiError, clipText, toErrorBody } from '../../../src/server/errors.js';
import { DEFAULT_DRIVE_HEALTH } from '../../../src/core/drive-health.js';
import { apiIndicators } from '../../../src/server/routes/status.js';
import type { StationState } from '../../../src/core/indicators.js';
import { stationState, type StationFacts } from '../../../src/indicators/station-state.js';
import type { UplinkStatus } from '../../../src/uplink/runner.js';

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
  it("every code (API codes are core's too) has a status and a hint", () => {
    for (const [code, e] of Object.entries(ERROR_CATALOGUE)) {
      assert.ok(e.status >= 400 && e.status < 600, code);
      assert.ok(e.hint.length > 10, code);
    }
  });
});

describe('indicators in /api/status', () => {
  const GB = 1e9;
  // The state the station derives once (src/indicators/station-state.ts), as the API shows it.
  const facts = (f: Partial<StationFacts>): StationState =>
    stationState({
      ingest: null,
      space: { freeBytes: 500 * GB, totalBytes: 1000 * GB },
      thresholds: DEFAULT_DRIVE_HEALTH,
      uplink: null,
      ...f,
    });
  const ingest = {
    mountPoint: '/m',
    cardPresent: true,
    progress: null,
    summary: null,
    error: null,
    updatedAt: '',
  };
  it('DRIVE A by free space (90 % used: red; 98 % or < 1 GB: flashing red; unreadable: flashing red)', () => {
    const drive = (space: StationFacts['space']) => apiIndicators(facts({ space }))['DRIVE A'].look;
    assert.equal(drive({ freeBytes: 500 * GB, totalBytes: 1000 * GB }), 'green');
    assert.equal(drive({ freeBytes: 50 * GB, totalBytes: 1000 * GB }), 'red');
    assert.equal(drive({ freeBytes: 10 * GB, totalBytes: 1000 * GB }), 'flashing-red');
    assert.equal(drive({ freeBytes: 0.5 * GB, totalBytes: 20 * GB }), 'flashing-red');
    assert.equal(drive(null), 'flashing-red');
    assert.equal(drive(undefined), 'flashing-red', 'no library drive: act now');
  });
  it('CARD by the last ingest', () => {
    const card = (i: StationFacts['ingest']) => apiIndicators(facts({ ingest: i })).CARD.look;
    assert.equal(card(null), 'off');
    assert.equal(card({ ...ingest, state: 'running' }), 'green');
    assert.equal(card({ ...ingest, state: 'done' }), 'flashing-green');
    assert.equal(
      card({ ...ingest, state: 'failed', error: { code: 'CARD_READ_ERROR', message: 'x', hint: 'y' } }),
      'flashing-red',
    );
    assert.equal(card({ ...ingest, state: 'done', cardPresent: false }), 'off');
    assert.equal(
      card({ ...ingest, state: 'failed', error: { code: 'DRIVE_FULL', message: 'full', hint: 'h' } }),
      'flashing-red',
    );
  });
  it('UPLINK from the uplink state; DRIVE B and BACKUP are placeholders without a mirror', () => {
    const u = (state: UplinkStatus['state'], pendingBytes = 0): string =>
      apiIndicators(facts({ uplink: { state, pendingBytes, lastError: null } as UplinkStatus })).UPLINK.look;
    assert.equal(apiIndicators(facts({})).UPLINK.look, 'off', 'not configured');
    assert.equal(u('sending', 10), 'green');
    assert.equal(u('idle'), 'green', 'all sent: all good');
    assert.equal(u('offline', 10), 'red');
    assert.equal(u('auth-failed'), 'flashing-red');
    // Recordings not yet at HQ near a camera's budget: UPLINK red while it still sends.
    const backlog = apiIndicators(
      facts({
        uplink: { state: 'sending', pendingBytes: 9e9, lastError: null } as UplinkStatus,
        recorderWarnings: [{ code: 'BACKLOG_NEAR_BUDGET', message: 'gate: 9 GB not yet at HQ' }],
      }),
    ).UPLINK;
    assert.equal(backlog.look, 'red');
    assert.match(backlog.detail, /gate: 9 GB/);
    const i = apiIndicators(facts({}));
    assert.equal(i['DRIVE B'].placeholder, true);
    assert.equal(i.BACKUP.placeholder, true);
    assert.equal(i.UPLINK.placeholder, false);
  });
});

describe('error bodies are bounded', () => {
  it('clipText keeps short text, cuts long text to the limit once JSON-escaped, and says so', () => {
    assert.equal(clipText('short', 100), 'short');
    const cut = clipText('x'.repeat(10_000), 200);
    assert.ok(JSON.stringify(cut).length <= 202, `${cut.length}`);
    assert.match(cut, /… \(\d+ more characters\)$/);
    const ctl = clipText('\u0001'.repeat(10_000), 200);
    assert.ok(JSON.stringify(ctl).length <= 202, `${JSON.stringify(ctl).length}`);
    // A surrogate pair is never split.
    const emoji = clipText('😀'.repeat(1000), 101);
    assert.doesNotMatch(emoji, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('message, hint and details of every error kind are bounded', () => {
    const huge = 'y'.repeat(1_000_000);
    const bodies = [
      toErrorBody(
        new OutpostError('INVALID_INPUT', huge, { details: { problems: [{ path: huge, message: huge }] } }),
        'r',
      ),
      toErrorBody(
        new ApiError('FORBIDDEN', huge, { hint: huge, details: Array(100_000).fill({ a: huge }) }),
        'r',
      ),
      toErrorBody(Object.assign(new Error(huge), { statusCode: 400 }), 'r'),
    ];
    for (const b of bodies)
      assert.ok(JSON.stringify(b.body).length < 4096, `${JSON.stringify(b.body).length}`);
    const list = bodies[1]!.body.error.details as unknown[];
    assert.match(String(list.at(-1)), /^… \d+ more$/);
  });

  it('small details pass unchanged', () => {
    const details = {
      problems: [{ path: 'body.x', message: 'must be a number' }],
      size: 3,
      ok: true,
      none: null,
    };
    assert.deepEqual(
      toErrorBody(new ApiError('RANGE_NOT_SATISFIABLE', 'm', { details }), 'r').body.error.details,
      details,
    );
  });
});
