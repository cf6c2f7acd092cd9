import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCursor, encodeCursor, itemListSql, searchWords } from '../../../src/server/item-query.js';
import { listQuery } from '../../../src/server/schemas.js';

const q = (raw: Record<string, unknown>): ReturnType<typeof itemListSql> => itemListSql(listQuery.parse(raw));

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

describe('itemListSql', () => {
  it('defaults: visible items, newest first, one extra row to detect the next page', () => {
    const { sql, params } = q({});
    assert.match(sql, /\+state = 'stored' and \+deleted = 0/);
    assert.match(sql, /order by sort_time desc, id desc limit \?$/);
    assert.deepEqual(params, [101]);
  });
  it('a bare "to" date runs to the start of the next day, across month and year ends', () => {
    assert.deepEqual(q({ to: '2024-02-29' }).params.slice(0, 1), ['2024-03-01']);
    assert.deepEqual(q({ to: '2023-12-31' }).params.slice(0, 1), ['2024-01-01']);
    assert.deepEqual(q({ to: '2024-02-29T10:15' }).params.slice(0, 1), ['2024-02-29T10:15:59']);
    assert.match(q({ to: '2024-02-29' }).sql, /sort_time < \?/);
    assert.match(q({ to: '2024-02-29T10:15' }).sql, /sort_time <= \?/);
  });
  it('keyset condition follows the sort direction', () => {
    const cursor = encodeCursor({ sortTime: '2024-01-01T00:00:00', id: 'c'.repeat(64) });
    assert.match(q({ cursor }).sql, /\(sort_time, id\) < \(\?, \?\)/);
    assert.match(q({ cursor, sort: 'asc' }).sql, /\(sort_time, id\) > \(\?, \?\)/);
  });
  it('free text: LIKE wildcards in the words are literal', () => {
    const { params } = q({ q: '100% a_b' });
    assert.ok(params.includes('%100\\%%'));
    assert.ok(params.includes('%a\\_b%'));
    assert.deepEqual(searchWords('  a  b\tc '), ['a', 'b', 'c']);
    assert.equal(searchWords(Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ')).length, 10);
  });
  it('every value is a bound parameter, never SQL text', () => {
    const evil = "x' or 1=1 --";
    const { sql } = q({ monitor: evil, event: evil, tag: [evil, 'b'], q: evil });
    assert.ok(!sql.includes(evil));
  });
});
