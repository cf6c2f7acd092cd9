import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { dbOf } from '../../../src/library/catalog/handle.js';
import { eventSummaries } from '../../../src/library/catalog/events.js';
import type { Catalog } from '../../../src/library/catalog/open.js';
import type { NewItem } from '../../../src/library/catalog/schema.js';
import { catalogEngines } from '../../kit/catalogs.js';

/** Events as albums (GET /api/events) on both engines: counts, date range, cover, position. */

const id = (name: string): string => createHash('sha256').update(name).digest('hex');

function row(name: string, over: Partial<NewItem>): NewItem {
  return {
    id: id(name),
    type: 'photo',
    state: 'stored',
    path: `library/Ana/2024-05-01/${name}.jpg`,
    monitor: 'Ana',
    size: 100,
    ext: 'jpg',
    original_name: `${name}.JPG`,
    original_mtime_ms: 0,
    captured_at: null,
    captured_source: 'mtime',
    sort_time: '2024-05-01T08:00:00',
    imported_at: '2024-06-01T10:00:00.000Z',
    card_id: null,
    width: null,
    height: null,
    orientation: null,
    duration_s: null,
    make: null,
    model: null,
    lat: null,
    lon: null,
    alt: null,
    facts: '{}',
    warnings: '[]',
    phash: null,
    derived_at: null,
    event: null,
    location_lat: null,
    location_lon: null,
    rating: null,
    notes: null,
    // Explicit: a multi-row insert on SQLite sends null, not the default, for a missing column.
    tags: '[]',
    priority: 0,
    deleted: 0,
    has_thumb: 0,
    has_preview: 0,
    has_poster: 0,
    ...over,
  };
}

for (const engine of catalogEngines()) {
  describe(`events (${engine.name})`, () => {
    let cat: Catalog;
    before(async () => {
      cat = await engine.open();
      await dbOf(cat)
        .insertInto('items')
        .values([
          row('a1', { event: 'EV-A', sort_time: '2024-05-01T08:00:00', rating: 2, lat: -12, lon: -77 }),
          row('a2', {
            event: 'EV-A',
            sort_time: '2024-05-03T08:00:00',
            rating: 5,
            location_lat: -14,
            location_lon: -75,
          }),
          row('a3', { event: 'EV-A', sort_time: '2024-05-02T08:00:00', rating: 5 }),
          row('a4', { event: 'EV-A', sort_time: '2024-05-09T08:00:00', deleted: 1 }),
          row('b1', { event: 'EV-B', sort_time: '2024-04-01T08:00:00' }),
          row('b2', { event: 'EV-B', sort_time: '2024-04-02T08:00:00' }),
          row('n1', { event: null }),
          row('e1', { event: '' }),
        ])
        .execute();
    });

    it('lists each event with count, range, cover and mean position, newest first', async () => {
      const ev = await eventSummaries(cat);
      assert.deepEqual(
        ev.map((e) => e.event),
        ['EV-A', 'EV-B'],
      );
      const [a, b] = ev;
      assert.equal(a!.count, 3);
      assert.equal(a!.firstTime, '2024-05-01T08:00:00');
      assert.equal(a!.lastTime, '2024-05-03T08:00:00');
      // Best rated (5), then earliest capture among those: a3 (May 2) before a2 (May 3).
      assert.equal(a!.coverId, id('a3'));
      assert.ok(Math.abs(a!.lat! - -13) < 1e-9);
      assert.ok(Math.abs(a!.lon! - -76) < 1e-9);
      assert.equal(b!.count, 2);
      assert.equal(b!.coverId, id('b1'));
      assert.equal(b!.lat, null);
    });
  });
}
