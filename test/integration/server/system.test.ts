import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../../src/adapters/logger.js';
import type { ClockSetter } from '../../../src/adapters/system-clock.js';
import { ClockWatch } from '../../../src/devices/clock-watch.js';
import { clockEvidenceOf } from '../../../src/library/catalog/clock-evidence.js';
import { ApiError } from '../../../src/server/errors.js';
import { mdnsUrl } from '../../../src/server/routes/system.js';
import { appFor, call, emptyLibrary, insertSyntheticItem, type ErrorJson } from './library.js';

const DAY = 86_400_000;
/** The library's items were imported 2024-06-01 10:00 UTC (test/integration/server/library.ts). */
const IMPORTED = Date.parse('2024-06-01T10:00:00.000Z');
const BUILD = Date.parse('2024-01-01T00:00:00Z');

describe('system routes: the clock and the LAN name', () => {
  let lib: Awaited<ReturnType<typeof emptyLibrary>>;
  let app: FastifyInstance;
  let viewerApp: FastifyInstance;
  let wall = IMPORTED - 7 * DAY;
  const sets: number[] = [];
  const setter: ClockSetter = {
    set: async (ms) => {
      sets.push(ms);
      wall = ms;
    },
    ntp: async () => null,
  };
  let watch: ClockWatch;

  before(async () => {
    lib = await emptyLibrary();
    await insertSyntheticItem(lib.catalog, `abcdef01${'1'.repeat(56)}`);
    watch = new ClockWatch({
      clock: { now: () => new Date(wall) },
      setter,
      buildMs: BUILD,
      log: silentLogger,
    });
    await watch.start();
    watch.addEvidence(await clockEvidenceOf(lib.catalog));
    const system = { clock: watch, allowClockSet: true, hostname: 'outpost-7' };
    app = await appFor(lib, { system });
    // Viewers only: editor routes refused.
    viewerApp = await appFor(lib, {
      system,
      authenticate: (_req, _reply, role) => {
        if (role === 'editor') throw new ApiError('FORBIDDEN', 'editors only');
      },
    });
  });
  after(async () => {
    await watch.close();
    await app.close();
    await viewerApp.close();
    await lib.close();
  });

  it('says the clock is suspect when it is a week behind the newest item', async () => {
    const { status, body } = await call<Record<string, unknown>>(app, {
      method: 'GET',
      url: '/api/system/clock',
    });
    assert.equal(status, 200);
    assert.equal(body.state, 'suspect');
    assert.equal(body.reason, 'behind-evidence');
    assert.equal(body.behindMs, 7 * DAY);
    assert.deepEqual(body.newest, { source: 'catalogue', at: '2024-06-01T10:00:00.000Z' });
    assert.equal(body.allowSet, true);
    assert.equal(body.canSet, true);
  });

  it('setting needs an editor, confirm: true and a time with a zone', async () => {
    const post = (a: FastifyInstance, payload: Record<string, unknown>) =>
      call<ErrorJson>(a, { method: 'POST', url: '/api/system/clock', payload });
    const time = new Date(IMPORTED + 3600_000).toISOString();
    assert.equal((await post(viewerApp, { time, confirm: true })).status, 403);
    const noConfirm = await post(app, { time });
    assert.equal(noConfirm.status, 400);
    assert.match(JSON.stringify(noConfirm.body), /confirm/);
    assert.equal((await post(app, { time: '2024-06-01 11:00', confirm: true })).status, 400);
    assert.deepEqual(sets, []);
  });

  it('refuses a time before the build, and one before the library unless overruled', async () => {
    const before = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/system/clock',
      payload: { time: '2023-06-01T00:00:00Z', confirm: true, overrule: true },
    });
    assert.equal(before.status, 409);
    assert.equal(before.body.error.code, 'CLOCK_REFUSED');
    assert.deepEqual(before.body.error.details, { reason: 'before-build', overrulable: false });
    const behind = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/system/clock',
      payload: { time: '2024-05-20T00:00:00Z', confirm: true },
    });
    assert.equal(behind.status, 409);
    assert.deepEqual(behind.body.error.details, { reason: 'behind-evidence', overrulable: true });
    assert.deepEqual(sets, []);
  });

  it("sets the clock to the tablet's time: trusted", async () => {
    const time = '2024-06-01T13:30:00.000+02:00';
    const { status, body } = await call<Record<string, unknown>>(app, {
      method: 'POST',
      url: '/api/system/clock',
      payload: { time, confirm: true },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(sets, [Date.parse(time)]);
    assert.equal(body.state, 'trusted');
    assert.equal(body.now, '2024-06-01T11:30:00.000Z');
  });

  it('the LAN name is public (the first-start screen shows it)', async () => {
    const { status, body } = await call<{ hostname: string; url: string }>(viewerApp, {
      method: 'GET',
      url: '/api/system/address',
    });
    assert.equal(status, 200);
    assert.equal(body.hostname, 'outpost-7');
    assert.match(body.url, /^http:\/\/outpost-7\.local(:\d+)?\/$/);
    assert.equal(mdnsUrl('outpost-7.lan', 8080), 'http://outpost-7.local:8080/');
    assert.equal(mdnsUrl('pi', 80), 'http://pi.local/');
  });

  it('a station that does not allow it refuses; HQ has no such routes', async () => {
    const off = await appFor(lib, { system: { clock: watch, allowClockSet: false } });
    const r = await call<ErrorJson>(off, {
      method: 'POST',
      url: '/api/system/clock',
      payload: { time: new Date().toISOString(), confirm: true },
    });
    assert.equal(r.status, 409);
    assert.match(r.body.error.hint, /allowSetFromTablet/);
    await off.close();
    const hq = await appFor(lib);
    assert.equal((await call(hq, { method: 'GET', url: '/api/system/clock' })).status, 404);
    await hq.close();
  });
});
