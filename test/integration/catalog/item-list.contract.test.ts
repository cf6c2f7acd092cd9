import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { dbOf } from '../../../src/library/catalog/handle.js';
import {
  galleryPage,
  galleryPageQuery,
  geotagCandidates,
  motionClipPage,
  visibleItemsByIds,
  type GalleryPageQuery,
} from '../../../src/library/catalog/item-list.js';
import type { Catalog } from '../../../src/library/catalog/open.js';
import type { NewItem } from '../../../src/library/catalog/schema.js';
import { catalogEngines } from '../../kit/catalogs.js';
import { idsForRef } from '../../kit/item-refs.js';

/**
 * The gallery's queries (GET /api/items, motion events, geotag, id lookups) on both engines:
 * the same rows in the same order, case-insensitive search, literal wildcards, keyset paging.
 */

const id = (name: string): string => createHash('sha256').update(name).digest('hex');

function row(name: string, over: Partial<NewItem>): NewItem {
  const sortTime = over.sort_time ?? '2024-05-01T08:00:00';
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
    // Dated unless a row says otherwise (`captured_at: null`: only the file's time is known).
    captured_at: sortTime,
    captured_source: 'exif',
    sort_time: sortTime,
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

const motion = (camera: string, mode = 'motion'): string => JSON.stringify({ recording: { camera, mode } });

/** Named rows; sort times are distinct except `twinA`/`twinB` (the id breaks the tie). */
const ROWS: Record<string, Partial<NewItem>> = {
  lion: {
    sort_time: '2024-05-01T06:00:00',
    tags: JSON.stringify(['lion', 'cat']),
    rating: 4,
    event: 'EV-1',
    lat: 1,
    lon: 2,
  },
  zebra: { sort_time: '2024-05-01T07:30:00', tags: JSON.stringify(['zebra']), rating: 2, event: 'EV-1' },
  night: { sort_time: '2024-05-02T23:59:59', notes: 'Seen at NIGHT near the river', priority: 1 },
  twinA: { sort_time: '2024-05-03T12:00:00', make: 'TrailCam', model: 'TC-1', monitor: 'Ben' },
  twinB: { sort_time: '2024-05-03T12:00:00', make: 'TrailCam', model: 'TC-2', monitor: 'Ben' },
  percent: {
    sort_time: '2024-05-04T09:15:30',
    original_name: '100%_done.JPG',
    location_lat: 5,
    location_lon: 6,
  },
  plain: { sort_time: '2024-05-04T09:16:00', original_name: '1000_done.JPG' },
  song: { sort_time: '2024-05-05T10:00:00', type: 'audio', ext: 'wav' },
  clipGate: { sort_time: '2024-05-06T10:00:00', type: 'video', facts: motion('gate') },
  clipYard: { sort_time: '2024-05-06T11:00:00', type: 'video', facts: motion('yard') },
  segment: { sort_time: '2024-05-06T12:00:00', type: 'video', facts: motion('gate', 'continuous') },
  stillGate: { sort_time: '2024-05-06T13:00:00', type: 'photo', facts: motion('gate') },
  // No capture date: only the file's time (one among the dated days, one after them).
  scan: { sort_time: '2024-05-02T10:00:00', captured_at: null, captured_source: 'mtime' },
  copied: { sort_time: '2024-06-01T09:00:00', captured_at: null, captured_source: 'mtime' },
  // Never shown: deleted, or not stored yet.
  gone: { sort_time: '2024-05-07T10:00:00', deleted: 1, tags: JSON.stringify(['lion']) },
  pending: { sort_time: '2024-05-07T11:00:00', state: 'pending' },
};

const VISIBLE = Object.keys(ROWS).filter((n) => n !== 'gone' && n !== 'pending');
const UNDATED = new Set(['scan', 'copied']);
/** Capture-time order, ties by id: what every engine must return. */
const byTime = (a: string, b: string): number => {
  const ta = ROWS[a]!.sort_time!;
  const tb = ROWS[b]!.sort_time!;
  return ta < tb ? -1 : ta > tb ? 1 : id(a) < id(b) ? -1 : 1;
};
const DATED_ASC = VISIBLE.filter((n) => !UNDATED.has(n)).sort(byTime);
const UNDATED_ASC = VISIBLE.filter((n) => UNDATED.has(n)).sort(byTime);
/** The gallery's order: the dated items, then those without a capture date as their own group. */
const ASC = [...DATED_ASC, ...UNDATED_ASC];
const DESC = [...[...DATED_ASC].reverse(), ...[...UNDATED_ASC].reverse()];
const names = new Map(Object.keys(ROWS).map((n) => [id(n), n]));
const nameOf = (rowId: string): string => names.get(rowId) ?? rowId;

for (const engine of catalogEngines()) {
  describe(`gallery queries (${engine.name})`, () => {
    let cat: Catalog;
    before(async () => {
      cat = await engine.open();
      await dbOf(cat)
        .insertInto('items')
        .values(Object.entries(ROWS).map(([n, over]) => row(n, over)))
        .execute();
    });

    const page = async (q: Partial<GalleryPageQuery>): Promise<string[]> =>
      (await galleryPage(cat, { sort: 'asc', limit: 100, ...q })).items.map((r) => nameOf(r.id));

    it('lists visible items in capture-time order, ties by id, both directions', async () => {
      assert.deepEqual(await page({}), ASC);
      assert.deepEqual(await page({ sort: 'desc' }), DESC);
    });

    it('lists items without a capture date as their own group after the dated ones, and filters them', async () => {
      assert.deepEqual(await page({ undated: 'only' }), UNDATED_ASC);
      assert.deepEqual(await page({ undated: 'exclude' }), DATED_ASC);
      // A date filter leaves them out even where their file time would match.
      assert.deepEqual(await page({ from: '2024-05-02', before: '2024-05-03' }), ['night']);
      // Paging crosses from the dated group into the undated one, each item exactly once.
      for (const sort of ['asc', 'desc'] as const)
        for (const limit of [1, 2, 3, DATED_ASC.length]) {
          const seen: string[] = [];
          let after: GalleryPageQuery['after'];
          for (let guard = 0; guard < 50; guard++) {
            const p = await galleryPage(cat, { sort, limit, ...(after ? { after } : {}) });
            seen.push(...p.items.map((r) => nameOf(r.id)));
            const last = p.items.at(-1);
            if (!p.more || !last) break;
            after = { sortTime: last.sort_time, id: last.id };
          }
          assert.deepEqual(seen, sort === 'asc' ? ASC : DESC, `${sort}, pages of ${limit}`);
        }
    });

    it('keeps camera recordings apart: exclude leaves them out, only keeps just them', async () => {
      const recordings = ['clipGate', 'clipYard', 'segment', 'stillGate'];
      assert.deepEqual(
        await page({ recordings: 'exclude' }),
        ASC.filter((n) => !recordings.includes(n)),
      );
      assert.deepEqual(await page({ recordings: 'only' }), recordings);
      assert.deepEqual(await page({ recordings: 'only', type: 'photo' }), ['stillGate']);
      // One camera's recordings (its own view), even where the gallery leaves recordings out.
      assert.deepEqual(await page({ camera: 'gate' }), ['clipGate', 'segment', 'stillGate']);
      assert.deepEqual(await page({ camera: 'gate', recordings: 'exclude' }), [
        'clipGate',
        'segment',
        'stillGate',
      ]);
      assert.deepEqual(await page({ camera: 'yard', sort: 'desc' }), ['clipYard']);
      assert.deepEqual(await page({ camera: 'none' }), []);
    });

    it('pages with the keyset: every item exactly once, and says when more follow', async () => {
      for (const sort of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let after: GalleryPageQuery['after'];
        let pages = 0;
        for (;;) {
          const p = await galleryPage(cat, { sort, limit: 3, after });
          pages++;
          seen.push(...p.items.map((r) => nameOf(r.id)));
          const last = p.items.at(-1);
          if (!p.more || !last) break;
          after = { sortTime: last.sort_time, id: last.id };
        }
        assert.deepEqual(seen, sort === 'asc' ? ASC : DESC, sort);
        assert.equal(pages, Math.ceil(ASC.length / 3), sort);
      }
      const exact = await galleryPage(cat, { sort: 'asc', limit: ASC.length });
      assert.equal(exact.more, false, 'a page that ends with the last item has no next page');
    });

    it('filters by monitor, type, event, rating and priority', async () => {
      assert.deepEqual(
        await page({ monitor: 'Ben' }),
        ASC.filter((n) => n.startsWith('twin')),
      );
      assert.deepEqual(await page({ type: 'audio' }), ['song']);
      assert.deepEqual(await page({ event: 'EV-1' }), ['lion', 'zebra']);
      assert.deepEqual(await page({ minRating: 3 }), ['lion']);
      assert.deepEqual(await page({ priority: true }), ['night']);
      assert.equal((await page({ priority: false })).length, ASC.length - 1);
      assert.deepEqual(await page({ monitor: 'Ana', type: 'photo', minRating: 1 }), ['lion', 'zebra']);
    });

    it('filters by an exact event code (an album), case and all', async () => {
      assert.deepEqual(
        await page({ eventIs: 'EV-1' }),
        ASC.filter((n) => ROWS[n]!.event === 'EV-1'),
      );
      assert.deepEqual(await page({ eventIs: 'ev-1' }), []);
      assert.deepEqual(await page({ eventIs: 'EV' }), []);
    });

    it('filters by event in any case, as a substring (% and _ literal)', async () => {
      assert.deepEqual(await page({ event: 'ev-1' }), ['lion', 'zebra'], 'any case');
      assert.deepEqual(await page({ event: 'v-' }), ['lion', 'zebra'], 'a substring');
      assert.deepEqual(await page({ event: 'EV%' }), [], '% is literal');
      assert.deepEqual(await page({ event: 'EV-2' }), []);
    });

    it('filters unrated, without event, without any position', async () => {
      const rated = new Set(['lion', 'zebra']);
      assert.deepEqual(
        await page({ unrated: true }),
        ASC.filter((n) => !rated.has(n)),
      );
      assert.deepEqual(
        await page({ noEvent: true }),
        ASC.filter((n) => !rated.has(n)),
      );
      // lion has the camera's GPS, percent a position set by hand: both have a position.
      assert.deepEqual(
        await page({ noLocation: true }),
        ASC.filter((n) => n !== 'lion' && n !== 'percent'),
      );
      assert.deepEqual(await page({ unrated: true, priority: true }), ['night']);
    });

    it('filters by a box around the shown position (location, else GPS), antimeridian too', async () => {
      // lion: GPS (lat 1, lon 2); percent: hand-set (lat 5, lon 6).
      assert.deepEqual(await page({ bbox: [1.5, 0.5, 2.5, 1.5] }), ['lion']);
      assert.deepEqual(await page({ bbox: [5, 5, 6, 5] }), ['percent'], 'edges included');
      assert.deepEqual(await page({ bbox: [0, 0, 10, 10] }), ['lion', 'percent']);
      assert.deepEqual(await page({ bbox: [3, 0, 4, 10] }), []);
      // West > east crosses the antimeridian: [170 … 180] and [-180 … 5].
      assert.deepEqual(await page({ bbox: [170, 0, 5, 10] }), ['lion']);
    });

    it('filters by time: from (inclusive), before (exclusive), until (inclusive)', async () => {
      assert.deepEqual(await page({ from: '2024-05-02', before: '2024-05-03' }), ['night']);
      assert.deepEqual(await page({ until: '2024-05-01T07:30:00' }), ['lion', 'zebra']);
      assert.deepEqual(await page({ from: '2024-05-04T09:15:30', until: '2024-05-04T09:15:59' }), [
        'percent',
      ]);
    });

    it('filters by tags: every tag given, exactly', async () => {
      assert.deepEqual(await page({ tags: ['lion'] }), ['lion'], 'not the deleted item with the same tag');
      assert.deepEqual(await page({ tags: ['lion', 'cat'] }), ['lion']);
      assert.deepEqual(await page({ tags: ['lion', 'zebra'] }), []);
      assert.deepEqual(await page({ tags: ['li'] }), [], 'a tag is matched whole');
    });

    it('searches words in any case, in name, event, notes, tags and camera', async () => {
      assert.deepEqual(await page({ words: ['night'] }), ['night'], 'notes, other case');
      assert.deepEqual(await page({ words: ['RIVER', 'seen'] }), ['night'], 'every word');
      assert.deepEqual(await page({ words: ['LION'] }), ['lion'], 'tags, other case');
      assert.deepEqual(await page({ words: ['ev-1'] }), ['lion', 'zebra'], 'event');
      assert.deepEqual(await page({ words: ['tc-2'] }), ['twinB'], 'camera model');
      assert.deepEqual(await page({ words: ['trailcam'] }), ['twinA', 'twinB'], 'camera make');
      assert.deepEqual(await page({ words: ['river', 'zebra'] }), []);
      // A word never spans two columns (PostgreSQL searches them joined by U+001F).
      assert.deepEqual(await page({ words: ['jpg\u001fev'] }), []);
      assert.deepEqual(await page({ words: ['\u001f'] }), []);
    });

    it('takes % and _ in a search word literally', async () => {
      assert.deepEqual(await page({ words: ['100%'] }), ['percent']);
      assert.deepEqual(await page({ words: ['0_d'] }), ['plain'], '_ is not "any character"');
      assert.deepEqual(await page({ words: ['%_'] }), ['percent']);
      assert.deepEqual(await page({ words: ['\\'] }), [], 'a backslash is literal too');
    });

    it('combines filters with the keyset', async () => {
      const first = await galleryPage(cat, { sort: 'desc', limit: 1, type: 'video' });
      assert.equal(first.more, true);
      const last = first.items[0]!;
      const rest = await galleryPage(cat, {
        sort: 'desc',
        limit: 10,
        type: 'video',
        after: { sortTime: last.sort_time, id: last.id },
      });
      assert.deepEqual(
        [...first.items, ...rest.items].map((r) => nameOf(r.id)),
        ['segment', 'clipYard', 'clipGate'],
      );
    });

    it('motion events: motion-mode videos only, by camera, newest first', async () => {
      const clips = async (q: Partial<GalleryPageQuery> & { camera?: string }): Promise<string[]> =>
        (await motionClipPage(cat, { sort: 'desc', limit: 10, ...q })).items.map((r) => nameOf(r.id));
      assert.deepEqual(await clips({}), ['clipYard', 'clipGate']);
      assert.deepEqual(await clips({ camera: 'gate' }), ['clipGate']);
      assert.deepEqual(await clips({ camera: 'GATE' }), [], 'camera names are exact');
      assert.deepEqual(await clips({ until: '2024-05-06T10:30:00' }), ['clipGate']);
      const one = await motionClipPage(cat, { sort: 'desc', limit: 1 });
      assert.equal(one.more, true);
    });

    it('geotag candidates: photos and videos the filter selects, oldest first, with their GPS', async () => {
      const c = await geotagCandidates(cat, { monitor: 'Ana' }, 1000);
      assert.deepEqual(
        c.map((r) => nameOf(r.id)),
        // Not the undated ones: a file's time is no capture time to match a track with.
        DATED_ASC.filter((n) => (ROWS[n]!.monitor ?? 'Ana') === 'Ana' && ROWS[n]!.type !== 'audio'),
      );
      const lion = c.find((r) => nameOf(r.id) === 'lion')!;
      assert.equal(lion.lat, 1);
      assert.equal(c.find((r) => nameOf(r.id) === 'percent')!.location_lat, 5);
      assert.equal(lion.sort_time, ROWS.lion!.sort_time);
      // The cap counts every item the filter selects (max + 1 back: too many).
      assert.equal((await geotagCandidates(cat, {}, 2)).length, 3);
    });

    it('finds an item by full id or unique prefix; deleted and pending ones do not exist', async () => {
      assert.deepEqual((await idsForRef(cat, id('lion'), 'visible')).map(nameOf), ['lion']);
      assert.deepEqual((await idsForRef(cat, id('lion').slice(0, 8), 'visible')).map(nameOf), ['lion']);
      assert.deepEqual(await idsForRef(cat, id('gone'), 'visible'), []);
      assert.deepEqual(await idsForRef(cat, id('pending').slice(0, 10), 'visible'), []);
      // Ambiguous prefixes: items.contract.test.ts (the one resolver, every scope).
    });

    it('visible items by ids: unknown, deleted and pending ones are left out', async () => {
      const rows = await visibleItemsByIds(cat, [
        id('lion'),
        id('gone'),
        id('pending'),
        'f'.repeat(64),
        id('song'),
      ]);
      assert.deepEqual(rows.map((r) => nameOf(r.id)).sort(), ['lion', 'song']);
      assert.deepEqual(await visibleItemsByIds(cat, []), []);
    });

    it('binds every value: text that looks like SQL is only data', async () => {
      const evil = "x' or 1=1 --";
      const q: GalleryPageQuery = {
        sort: 'asc',
        limit: 10,
        monitor: evil,
        event: evil,
        tags: [evil],
        words: [evil],
      };
      assert.ok(!galleryPageQuery(cat, q).compile().sql.includes(evil));
      assert.deepEqual(await page(q), []);
    });

    if (engine.name === 'sqlite')
      it('SQLite: keeps the planner on items_sort (no state index), one extra row', () => {
        const c = galleryPageQuery(cat, { sort: 'desc', limit: 100 }).compile();
        assert.match(c.sql, /\+state = 'stored' and \+deleted = 0/);
        assert.match(c.sql, /order by "sort_time" desc, "id" desc limit \?$/);
        assert.deepEqual(c.parameters, [101]);
        const after = { sortTime: '2024-01-01T00:00:00', id: 'c'.repeat(64) };
        assert.match(
          galleryPageQuery(cat, { sort: 'desc', limit: 1, after }).compile().sql,
          /\("sort_time", "id"\) < \(\?, \?\)/,
        );
        assert.match(
          galleryPageQuery(cat, { sort: 'asc', limit: 1, after }).compile().sql,
          /\("sort_time", "id"\) > \(\?, \?\)/,
        );
      });
  });
}
