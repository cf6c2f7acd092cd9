import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { get, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { IngestSummary } from '../../../src/ingest/types.js';
import type { CardAssignment, CardRecord, Status } from '../../../src/server/schemas.js';
import { startServer } from '../../../src/server/server.js';
import { StationEvents } from '../../../src/station/events.js';
import { createStationStatus, type StationStatus } from '../../../src/station/station-status.js';
import { appFor, buildTestLibrary, call, NODE, type ErrorJson, type TestLibrary } from './library.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

let lib: TestLibrary;
let app: FastifyInstance;
const events = new StationEvents();
let station: StationStatus;
let free = { freeBytes: 500 * 1024 ** 3, totalBytes: 1000 * 1024 ** 3 };

before(async () => {
  lib = await buildTestLibrary();
  // The station's one status object, as src/station/services.ts makes it.
  station = createStationStatus({
    events,
    clock: lib.clock,
    drive: () => lib.drive,
    diskSpace: async () => free,
  });
  app = await appFor(lib, { station, timeZone: 'America/Lima' });
});
after(async () => {
  await app.close();
  station.stop();
  await lib.close();
});

const status = async (): Promise<Status> => {
  const { status: code, body } = await call<Status>(app, { url: '/api/status' });
  assert.equal(code, 200);
  return body;
};

describe('GET /api/status', () => {
  it('reports the drive, item counts and the indicators', async () => {
    const s = await status();
    assert.equal(s.node, NODE);
    // The station's zone: the web app's default camera clock for GPX geotagging (issue 13 §1.6).
    assert.equal(s.timeZone, 'America/Lima');
    assert.equal(s.library.id, lib.drive.marker.id);
    assert.equal(s.library.label, 'Drive A');
    assert.equal(s.library.freeBytes, free.freeBytes);
    const n = sqliteOf(lib.catalog)
      .prepare("select type, count(*) as n from items where state = 'stored' and deleted = 0 group by type")
      .all() as { type: 'photo' | 'video' | 'audio'; n: number }[];
    for (const r of n) assert.equal(s.items[r.type], r.n);
    assert.equal(s.items.total, s.items.photo + s.items.video + s.items.audio);
    assert.equal(s.items.awaitingDerivatives, 0);
    assert.equal(s.ingest, null);
    assert.deepEqual(Object.keys(s.indicators), ['CARD', 'DRIVE A', 'DRIVE B', 'BACKUP', 'UPLINK']);
    assert.equal(s.indicators.CARD.look, 'off');
    assert.equal(s.indicators['DRIVE A'].look, 'green');
    // A station: no second drive seen yet, so DRIVE B and BACKUP are off.
    for (const k of ['DRIVE B', 'BACKUP'] as const) {
      assert.equal(s.indicators[k].placeholder, false);
      assert.equal(s.indicators[k].look, 'off');
    }
    assert.equal(s.mirror, null);
    assert.equal(s.indicators.UPLINK.look, 'off', 'no uplink configured');
    assert.equal(s.uplink, null);
  });

  it('follows the station: ingest progress, finished (remove the card), removed, failed', async () => {
    const mountPoint = '/media/card1';
    events.emit('card-inserted', { mountPoint });
    events.emit('ingest-progress', {
      mountPoint,
      progress: { phase: 'copy', filesDone: 3, filesTotal: 10, bytesDone: 300, bytesTotal: 1000 },
    });
    let s = await status();
    assert.equal(s.ingest?.state, 'running');
    assert.equal(s.ingest?.progress?.filesDone, 3);
    assert.equal(s.indicators.CARD.look, 'green');
    assert.match(s.indicators.CARD.detail, /3 of 10 files/);
    const summary = { ...lib.summaries[1]!, card: { id: 'idf:x', kind: 'id-file' } } satisfies IngestSummary;
    events.emit('ingest-done', { mountPoint, summary });
    s = await status();
    assert.equal(s.ingest?.state, 'done');
    assert.equal(s.ingest?.summary?.copied, summary.copied);
    assert.equal(s.indicators.CARD.look, 'flashing-green');
    events.emit('card-removed', { mountPoint });
    s = await status();
    assert.equal(s.indicators.CARD.look, 'off');
    assert.equal(s.ingest?.cardPresent, false);
    assert.equal(s.ingest?.state, 'done', 'the last ingest is still reported');

    const other = '/media/card2';
    events.emit('ingest-progress', {
      mountPoint: other,
      progress: { phase: 'scan', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 },
    });
    events.emit('ingest-failed', {
      mountPoint: other,
      code: 'CARD_READ_ERROR',
      message: 'the card could not be read',
      hint: 'try another reader',
    });
    s = await status();
    assert.equal(s.ingest?.mountPoint, other);
    assert.equal(s.ingest?.state, 'failed');
    assert.equal(s.ingest?.error?.code, 'CARD_READ_ERROR');
    assert.equal(s.indicators.CARD.look, 'flashing-red');
  });

  it('DRIVE A turns red when nearly full and flashes red when full', async () => {
    free = { freeBytes: 50 * 1024 ** 3, totalBytes: 1000 * 1024 ** 3 };
    assert.equal((await status()).indicators['DRIVE A'].look, 'red');
    free = { freeBytes: 100 * 1024 ** 2, totalBytes: 1000 * 1024 ** 3 };
    const s = await status();
    assert.equal(s.indicators['DRIVE A'].look, 'flashing-red');
    assert.match(s.indicators['DRIVE A'].detail, /full/);
    free = { freeBytes: 500 * 1024 ** 3, totalBytes: 1000 * 1024 ** 3 };
  });
});

describe('cards and monitors', () => {
  it('GET /api/cards lists both cards with their item counts', async () => {
    const { status: code, body } = await call<{ cards: CardRecord[] }>(app, { url: '/api/cards' });
    assert.equal(code, 200);
    assert.equal(body.cards.length, 2);
    const counts = body.cards.map((c) => c.items).sort((a, b) => a - b);
    assert.equal(counts[0], 3, "Ben's card has three items");
    assert.ok(counts[1]! > 50);
    for (const c of body.cards) {
      assert.match(c.id, /^idf:/);
      // Issue 13 §1.3: `ingest --monitor` on an unassigned card assigns it (the library's cards
      // were ingested with --monitor Ana and --monitor Ben).
      assert.equal(c.monitor, c.items === 3 ? 'Ben' : 'Ana', 'ingest --monitor assigns an unassigned card');
    }
  });

  it('POST /api/cards/{id}/monitor assigns the card and moves its items, sidecars included, to the monitor', async () => {
    const { body } = await call<{ cards: CardRecord[] }>(app, { url: '/api/cards' });
    const ben = body.cards.find((c) => c.items === 3)!;
    const before = sqliteOf(lib.catalog)
      .prepare('select id, path from items where card_id = ? order by id')
      .all(ben.id) as { id: string; path: string }[];
    assert.equal(before.length, 3);
    // One item gets a sidecar first, so the move has a companion to carry.
    const rated = await call(app, {
      method: 'PATCH',
      url: `/api/items/${before[0]!.id}`,
      payload: { rating: 4 },
    });
    assert.equal(rated.status, 200);
    const oldSidecar = join(lib.drive.layout.root, `${before[0]!.path}.xmp`);
    assert.ok(existsSync(oldSidecar));

    const r = await call<CardAssignment>(app, {
      method: 'POST',
      url: `/api/cards/${encodeURIComponent(ben.id)}/monitor`,
      payload: { monitor: '  Ben Okafor ' },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.monitor, 'Ben Okafor');
    assert.equal(r.body.id, ben.id);
    assert.equal(r.body.moved, 3);
    assert.deepEqual(r.body.failed, []);

    const op = sqliteOf(lib.catalog)
      .prepare("select value, origin from ops where entity = 'card' and entity_id = ? order by seq desc")
      .get(ben.id) as { value: string; origin: string };
    assert.deepEqual(JSON.parse(op.value), 'Ben Okafor');
    assert.equal(op.origin, NODE);
    const itemOps = sqliteOf(lib.catalog)
      .prepare("select count(*) as n from ops where entity = 'item' and field = 'monitor' and value = ?")
      .get(JSON.stringify('Ben Okafor')) as { n: number };
    assert.equal(itemOps.n, 3, 'one monitor op per moved item');

    for (const b of before) {
      const now = sqliteOf(lib.catalog).prepare('select path, monitor from items where id = ?').get(b.id) as {
        path: string;
        monitor: string;
      };
      assert.equal(now.monitor, 'Ben Okafor');
      assert.equal(now.path, b.path.replace(`library${sep}Ben${sep}`, `library${sep}Ben Okafor${sep}`));
      assert.equal(existsSync(join(lib.drive.layout.root, b.path)), false, 'old link removed');
      const bytes = readFileSync(join(lib.drive.layout.root, now.path));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), b.id, 'same bytes at the new place');
    }
    const moved = sqliteOf(lib.catalog).prepare('select path from items where id = ?').get(before[0]!.id) as {
      path: string;
    };
    assert.equal(existsSync(oldSidecar), false);
    assert.match(
      readFileSync(join(lib.drive.layout.root, `${moved.path}.xmp`), 'utf8'),
      /xmp:Rating="4"|<xmp:Rating>4</,
    );
    const comp = sqliteOf(lib.catalog)
      .prepare("select path from companions where item_id = ? and ext = 'xmp'")
      .get(before[0]!.id) as { path: string };
    assert.equal(comp.path, `${moved.path}.xmp`);

    const { body: m } = await call<{ monitors: { name: string; items: number; cards: number }[] }>(app, {
      url: '/api/monitors',
    });
    const byName = new Map(m.monitors.map((x) => [x.name, x]));
    assert.deepEqual(byName.get('Ben Okafor'), { name: 'Ben Okafor', items: 3, cards: 1 });
    assert.equal(byName.get('Ben'), undefined);
    assert.ok(byName.get('Ana')!.items > 50);

    const again = await call<CardAssignment>(app, {
      method: 'POST',
      url: `/api/cards/${encodeURIComponent(ben.id)}/monitor`,
      payload: { monitor: 'Ben Okafor' },
    });
    assert.equal(again.body.moved, 0, 'assigning again moves nothing');
  });

  it('refuses bad monitors (400), unknown cards (404) and malformed card ids (400)', async () => {
    const { body } = await call<{ cards: CardRecord[] }>(app, { url: '/api/cards' });
    const url = `/api/cards/${body.cards[0]!.id}/monitor`;
    for (const monitor of ['../etc', '', 'a/b', '.hidden']) {
      const r = await call<ErrorJson>(app, { method: 'POST', url, payload: { monitor } });
      assert.equal(r.status, 400, monitor);
      assert.ok(['MONITOR_INVALID', 'INVALID_INPUT'].includes(r.body.error.code), r.body.error.code);
    }
    const extra = await call<ErrorJson>(app, {
      method: 'POST',
      url,
      payload: { monitor: 'Cleo', card: 'x' },
    });
    assert.equal(extra.status, 400);
    const missing = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/cards/idf:00000000-0000-4000-8000-000000000000/monitor',
      payload: { monitor: 'Cleo' },
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'CARD_NOT_FOUND');
    const malformed = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/cards/..%2F..%2Fetc/monitor',
      payload: { monitor: 'Cleo' },
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'INVALID_INPUT');
  });
});

describe('GET /api/events (server-sent events, real socket)', () => {
  it('streams station events as they happen and ends when the app closes', async () => {
    const names = ['card-inserted', 'ingest-progress', 'ingest-done', 'card-removed'] as const;
    const listeners = (): number[] => names.map((n) => events.listenerCount(n));
    const before = listeners();
    const own = await appFor(lib, { station });
    const { url } = await startServer(own, { host: '127.0.0.1', port: 0 });
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      // Without this Accept, /api/events answers the JSON list of motion events (docs/recorder.md).
      get(`${url}/api/events`, { headers: { accept: 'text/event-stream' } }, resolve).on('error', reject),
    );
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/event-stream/);
    let text = '';
    const waitFor = (re: RegExp): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (re.test(text)) {
            res.off('data', onData);
            resolve();
          }
        };
        const onData = (b: Buffer): void => {
          text += b.toString();
          check();
        };
        res.on('data', onData);
        check();
      });
    await waitFor(/event: hello/);
    events.emit('card-inserted', { mountPoint: '/media/sse' });
    await waitFor(/event: card-inserted\ndata: \{"mountPoint":"\/media\/sse"\}/);
    const ended = new Promise<void>((resolve) => res.on('end', resolve));
    res.resume();
    await own.close();
    await ended;
    assert.deepEqual(listeners(), before, 'the closed app and its stream left no listeners behind');
  });
});
