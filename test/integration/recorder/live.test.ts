import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { systemClock } from '../../../src/adapters/clock.js';
import { LiveHub } from '../../../src/recorder/live/hub.js';
import { looksLikeJpeg } from '../../../src/recorder/live/mjpeg.js';
import type { CamerasControl } from '../../../src/server/deps.js';
import { LIVE_BOUNDARY } from '../../../src/server/routes/cameras.js';
import { startServer } from '../../../src/server/server.js';
import { appFor, call, emptyLibrary, type ErrorJson } from '../server/library.js';
import { MultipartReader, httpGet, insertRecording, readBody, startTestCamera } from './live-kit.js';

type Lib = Awaited<ReturnType<typeof emptyLibrary>>;

function camerasOf(hubs: Map<string, LiveHub>): CamerasControl {
  return {
    list: () =>
      [...hubs.keys()].map((name) => ({
        name,
        mode: name === 'gate' ? ('motion' as const) : ('continuous' as const),
        state: 'running' as const,
        error: null,
        motionHighlight: false,
        session: null,
      })),
    hub: (name) => hubs.get(name),
  };
}

describe('live view: real ffmpeg → splitter → hub → Fastify on loopback', { timeout: 120_000 }, () => {
  let lib: Lib;
  let app: FastifyInstance;
  let url: string;
  const hubs = new Map<string, LiveHub>();
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    lib = await emptyLibrary();
    hubs.set('gate', new LiveHub({ camera: 'gate', clock: systemClock, maxClients: 2 }));
    hubs.set('dark', new LiveHub({ camera: 'dark', clock: systemClock })); // never gets a frame
    stops.push(startTestCamera(hubs.get('gate')!).stop);
    app = await appFor(lib, { clock: systemClock, cameras: camerasOf(hubs) });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
  });

  after(async () => {
    for (const stop of stops) await stop();
    await app?.close();
    for (const h of hubs.values()) h.close();
    await lib?.close();
  });

  const openLive = async (camera: string): Promise<MultipartReader> => {
    const res = await httpGet(`${url}/api/cameras/${camera}/live`);
    assert.equal(res.statusCode, 200, `live ${camera}: ${res.statusCode}`);
    return new MultipartReader(res, LIVE_BOUNDARY);
  };

  it('streams valid, changing JPEGs as multipart/x-mixed-replace', async () => {
    const live = await openLive('gate');
    assert.equal(live.res.headers['content-type'], `multipart/x-mixed-replace; boundary=${LIVE_BOUNDARY}`);
    assert.equal(live.res.headers['cache-control'], 'no-store');
    const parts = await live.waitFor(8);
    for (const p of parts) {
      assert.equal(p.headers['content-type'], 'image/jpeg');
      assert.ok(looksLikeJpeg(p.jpeg), 'SOI … EOI');
      assert.ok(!Number.isNaN(Date.parse(p.headers['x-frame-time']!)));
    }
    const meta = await sharp(parts[5]!.jpeg).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.deepEqual([meta.width, meta.height], [320, 180], 'scaled to the live width, aspect kept');
    const { data } = await sharp(parts[7]!.jpeg).raw().toBuffer({ resolveWithObject: true });
    assert.ok(data.length === 320 * 180 * 3, 'decodes to pixels');
    assert.ok(!parts[0]!.jpeg.equals(parts[7]!.jpeg), 'the picture moves');
    live.res.destroy();
  });

  it('lists the cameras with their frame age and links', async () => {
    const { status, body } = await call<{ cameras: Record<string, unknown>[] }>(app, { url: '/api/cameras' });
    assert.equal(status, 200);
    const gate = body.cameras.find((c) => c.name === 'gate')!;
    assert.equal(gate.mode, 'motion');
    assert.equal(gate.state, 'running');
    assert.ok(typeof gate.lastFrameAt === 'string');
    assert.ok((gate.frameAgeMs as number) < 2000, `fresh frame (${String(gate.frameAgeMs)} ms)`);
    assert.deepEqual(gate.links, { live: '/api/cameras/gate/live', snapshot: '/api/cameras/gate/snapshot' });
    const dark = body.cameras.find((c) => c.name === 'dark')!;
    assert.equal(dark.lastFrameAt, null);
  });

  it('snapshot: the latest JPEG, never cached; 503 before the first frame; 404 unknown camera', async () => {
    const res = await httpGet(`${url}/api/cameras/gate/snapshot`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'image/jpeg');
    assert.equal(res.headers['cache-control'], 'no-store');
    const jpeg = await readBody(res);
    assert.ok(looksLikeJpeg(jpeg));
    assert.equal((await sharp(jpeg).metadata()).width, 320);
    const dl = await call(app, { url: '/api/cameras/gate/snapshot?download=1' });
    assert.match(
      String(dl.res.headers['content-disposition']),
      /^attachment; filename="gate-\d{8}-\d{6}\.jpg"$/,
    );

    const none = await call<ErrorJson>(app, { url: '/api/cameras/dark/snapshot' });
    assert.equal(none.status, 503);
    assert.equal(none.body.error.code, 'LIVE_NO_FRAME');
    assert.ok(none.body.error.hint.length > 10);
    for (const path of ['/api/cameras/nope/snapshot', '/api/cameras/nope/live']) {
      const unknown = await call<ErrorJson>(app, { url: path });
      assert.equal(unknown.status, 404, path);
      assert.equal(unknown.body.error.code, 'CAMERA_NOT_FOUND');
    }
    const bad = await call<ErrorJson>(app, { url: '/api/cameras/..%2Fx/live' });
    assert.equal(bad.status, 400);
  });

  it('refuses a viewer beyond maxClients with 503, and takes one again when a place frees', async () => {
    const a = await openLive('gate');
    const b = await openLive('gate');
    await Promise.all([a.waitFor(1), b.waitFor(1)]);
    const third = await httpGet(`${url}/api/cameras/gate/live`);
    assert.equal(third.statusCode, 503);
    assert.equal(third.headers['retry-after'], '10');
    const body = JSON.parse((await readBody(third)).toString()) as ErrorJson;
    assert.equal(body.error.code, 'LIVE_TOO_MANY_CLIENTS');
    assert.match(body.error.message, /2 live viewers/);
    assert.equal(hubs.get('gate')!.clients, 2);
    a.res.destroy();
    const deadline = Date.now() + 5000;
    while (hubs.get('gate')!.clients > 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(hubs.get('gate')!.clients, 1, 'the closed client left the hub');
    const again = await openLive('gate');
    await again.waitFor(2);
    again.res.destroy();
    b.res.destroy();
  });

  it('ends a viewer when the camera stops sending frames (idle timeout)', async () => {
    const hub = new LiveHub({ camera: 'idle', clock: systemClock, idleTimeoutMs: 1500 });
    hubs.set('idle', hub);
    const cam = startTestCamera(hub);
    const live = await openLive('idle');
    await live.waitFor(3);
    await cam.stop(); // the camera is down: no more frames
    const stoppedAt = Date.now();
    await live.waitEnd(6000);
    const after = Date.now() - stoppedAt;
    assert.ok(after >= 1000 && after < 4000, `ended ${after} ms after the last frame`);
    assert.equal(hub.clients, 0);
  });

  it('closing the app ends open live streams (close() does not hang)', async () => {
    const own = await appFor(lib, { clock: systemClock, cameras: camerasOf(hubs) });
    const { url: ownUrl } = await startServer(own, { host: '127.0.0.1', port: 0 });
    const res = await httpGet(`${ownUrl}/api/cameras/gate/live`);
    const live = new MultipartReader(res, LIVE_BOUNDARY);
    await live.waitFor(2);
    const before = hubs.get('gate')!.clients;
    const t0 = Date.now();
    await own.close();
    await live.waitEnd(3000);
    assert.ok(Date.now() - t0 < 3000);
    assert.equal(hubs.get('gate')!.clients, before - 1, 'the hub let the viewer go');
  });

  it('the OpenAPI document lists the camera routes (viewer)', async () => {
    const { body } = await call<{ paths: Record<string, Record<string, Record<string, unknown>>> }>(app, {
      url: '/api/docs/json',
    });
    for (const p of ['/api/cameras', '/api/cameras/{name}/live', '/api/cameras/{name}/snapshot'])
      assert.equal(body.paths[p]?.get?.['x-required-role'], 'viewer', p);
  });
});

describe('GET /api/events: motion events (JSON) or station events (SSE)', { timeout: 60_000 }, () => {
  let lib: Lib;
  let app: FastifyInstance;
  let url: string;
  const ids: Record<string, string> = {};

  before(async () => {
    lib = await emptyLibrary();
    ids.g1 = await insertRecording(lib.catalog, 1, {
      camera: 'gate',
      mode: 'motion',
      start: '2024-05-01T08:00:00',
    });
    ids.g2 = await insertRecording(lib.catalog, 2, {
      camera: 'gate',
      mode: 'motion',
      start: '2024-05-02T08:00:00',
    });
    ids.g3 = await insertRecording(lib.catalog, 3, {
      camera: 'gate',
      mode: 'motion',
      start: '2024-05-03T08:00:00',
    });
    ids.y1 = await insertRecording(lib.catalog, 4, {
      camera: 'yard',
      mode: 'motion',
      start: '2024-05-02T12:00:00',
    });
    ids.c1 = await insertRecording(lib.catalog, 5, {
      camera: 'gate',
      mode: 'continuous',
      start: '2024-05-02T09:00:00',
    });
    ids.p1 = await insertRecording(
      lib.catalog,
      6,
      { camera: 'gate', mode: 'motion', start: '2024-05-02T10:00:00' },
      'photo',
    );
    app = await appFor(lib);
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
  });

  after(async () => {
    await app?.close();
    await lib?.close();
  });

  interface Page {
    events: {
      id: string;
      camera: string;
      start: string;
      peakScore: number;
      box: unknown;
      item: { id: string; type: string };
    }[];
    nextCursor: string | null;
  }

  it('answers JSON motion events, newest first, without an event-stream Accept', async () => {
    for (const accept of [undefined, 'application/json', '*/*']) {
      const r = await call<Page>(app, { url: '/api/events', headers: accept ? { accept } : {} });
      assert.equal(r.status, 200, accept);
      assert.match(String(r.res.headers['content-type']), /application\/json/);
      assert.deepEqual(
        r.body.events.map((e) => e.id),
        [ids.g3, ids.y1, ids.g2, ids.g1],
        'motion videos only (no continuous segment, no photo), newest first',
      );
      assert.equal(r.body.nextCursor, null);
    }
    const one = (await call<Page>(app, { url: '/api/events?camera=yard' })).body.events;
    assert.equal(one.length, 1);
    assert.equal(one[0]!.camera, 'yard');
    assert.deepEqual(one[0]!.box, { x: 0.1, y: 0.2, w: 0.3, h: 0.4 });
    assert.equal(one[0]!.item.type, 'video');
  });

  it('filters by camera and time, and pages with the cursor', async () => {
    const q = async (s: string): Promise<string[]> =>
      (await call<Page>(app, { url: `/api/events?${s}` })).body.events.map((e) => e.id);
    assert.deepEqual(await q('camera=gate&from=2024-05-02&to=2024-05-02'), [ids.g2]);
    assert.deepEqual(await q('from=2024-05-02T10:00'), [ids.g3, ids.y1]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: Page } = await call<Page>(app, {
        url: `/api/events?camera=gate&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      seen.push(...r.body.events.map((e) => e.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [ids.g3, ids.g2, ids.g1]);
    const bad = await call<ErrorJson>(app, { url: '/api/events?cameras=gate' });
    assert.equal(bad.status, 400);
  });

  it('keeps the server-sent event stream for Accept: text/event-stream', async () => {
    const res = await httpGet(`${url}/api/events?camera=gate`, { accept: 'text/event-stream' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    const first = await new Promise<string>((resolve) =>
      res.once('data', (b: Buffer) => resolve(b.toString())),
    );
    assert.match(first, /^event: hello\n/);
    res.destroy();
  });
});
