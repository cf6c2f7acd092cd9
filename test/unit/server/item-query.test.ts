import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeCursor,
  encodeCursor,
  galleryQueryOf,
  nextCursorOf,
  searchWords,
} from '../../../src/server/item-query.js';
import type { ItemRow } from '../../../src/library/catalog/schema.js';
import { listQuery } from '../../../src/server/schemas.js';

const q = (raw: Record<string, unknown>): ReturnType<typeof galleryQueryOf> =>
  galleryQueryOf(listQuery.parse(raw));

describe('cursor', () => {
  it('round-trips and is URL-safe', () => {
    const c = { sortTime: '2024-05-01T08:00:00', id: 'ab'.repeat(32) };
    const s = encodeCursor(c);
    assert.match(s, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(s), c);
  });
  it('refuses anything else with INVALID_INPUT', () => {
    const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const bad of [
      '',
      '***',
      enc({ a: 1 }),
      enc(['x']),
      enc(['2024', 'nothex']),
      enc([1, 'a'.repeat(64)]),
      enc(['x'.repeat(41), 'a'.repeat(64)]),
    ])
      assert.throws(
        () => decodeCursor(bad),
        (e: { code?: string }) => e.code === 'INVALID_INPUT',
        bad,
      );
  });
});

// The statement itself (planner hint, keyset condition, bound values, literal wildcards) is
// tested on both engines in test/integration/catalog/item-list.contract.test.ts.
describe('galleryQueryOf', () => {
  it('defaults: newest first, a page of 100, camera recordings and rejected frames left out (issue 13)', () => {
    assert.deepEqual(Object.fromEntries(Object.entries(q({})).filter(([, v]) => v !== undefined)), {
      sort: 'desc',
      limit: 100,
      recordings: 'exclude',
      rejected: 'exclude',
    });
  });
  it('a bare "to" date runs to the start of the next day, across month and year ends', () => {
    assert.equal(q({ to: '2024-02-29' }).before, '2024-03-01');
    assert.equal(q({ to: '2023-12-31' }).before, '2024-01-01');
    assert.equal(q({ to: '2024-02-29T10:15' }).until, '2024-02-29T10:15:59');
    assert.equal(q({ to: '2024-02-29T10:15:07' }).until, '2024-02-29T10:15:07');
    assert.equal(q({ to: '2024-02-29' }).until, undefined);
    assert.equal(q({ to: '2024-02-29T10:15' }).before, undefined);
  });
  it('the cursor becomes the key the page starts after; the sort is kept', () => {
    const key = { sortTime: '2024-01-01T00:00:00', id: 'c'.repeat(64) };
    const cursor = encodeCursor(key);
    assert.deepEqual(q({ cursor }).after, key);
    assert.equal(q({ cursor, sort: 'asc' }).sort, 'asc');
    assert.throws(
      () => q({ cursor: 'garbage!' }),
      (e: { code?: string }) => e.code === 'INVALID_INPUT',
    );
  });
  it('free text: words as typed (the catalogue makes % and _ literal)', () => {
    assert.deepEqual(q({ q: '100% a_b' }).words, ['100%', 'a_b']);
    assert.deepEqual(searchWords('  a  b\tc '), ['a', 'b', 'c']);
    assert.equal(searchWords(Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ')).length, 10);
  });
  it('one tag or several; filters pass through', () => {
    assert.deepEqual(q({ tag: 'lion' }).tags, ['lion']);
    assert.deepEqual(q({ tag: ['lion', 'cat'] }).tags, ['lion', 'cat']);
    const f = q({
      monitor: 'Ana',
      type: 'photo',
      from: '2024-01-01',
      event: 'EV',
      minRating: '2',
      priority: 'false',
    });
    assert.deepEqual(
      [f.monitor, f.type, f.from, f.event, f.minRating, f.priority],
      ['Ana', 'photo', '2024-01-01', 'EV', 2, false],
    );
  });
  it('next cursor: from the last row of a page that has more, null on the last page', () => {
    const last = { sort_time: '2024-05-01T08:00:00', id: 'ab'.repeat(32) } as ItemRow;
    const c = nextCursorOf({ items: [last], more: true });
    assert.deepEqual(decodeCursor(c!), { sortTime: last.sort_time, id: last.id });
    assert.equal(nextCursorOf({ items: [last], more: false }), null);
  });
});
