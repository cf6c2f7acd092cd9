import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { etagMatches, ifRangeAllows, parseRange } from '../../../src/server/http-range.js';

describe('parseRange (RFC 9110 single byte ranges)', () => {
  const size = 1000;
  const cases: [string | undefined, ReturnType<typeof parseRange>][] = [
    [undefined, { kind: 'full' }],
    ['bytes=0-99', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=100-', { kind: 'partial', start: 100, end: 999 }],
    ['bytes=-100', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-5000', { kind: 'partial', start: 0, end: 999 }],
    ['bytes=990-5000', { kind: 'partial', start: 990, end: 999 }],
    ['bytes=999-999', { kind: 'partial', start: 999, end: 999 }],
    ['Bytes = 5-6', { kind: 'partial', start: 5, end: 6 }],
    ['BYTES=5-6', { kind: 'partial', start: 5, end: 6 }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=1000-1001', { kind: 'unsatisfiable' }],
    ['bytes=99999999999999999999-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=0-1,5-6', { kind: 'full' }],
    ['bytes=6-5', { kind: 'full' }],
    ['bytes=-', { kind: 'full' }],
    ['bytes=a-b', { kind: 'full' }],
    ['bytes=1.5-2', { kind: 'full' }],
    ['items=0-1', { kind: 'full' }],
    ['bytes', { kind: 'full' }],
  ];
  for (const [h, want] of cases) it(String(h), () => assert.deepEqual(parseRange(h, size), want));

  it('an empty file satisfies no range', () => {
    assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-10', 0), { kind: 'unsatisfiable' });
  });
});

describe('conditional requests', () => {
  const tag = '"abc"';
  it('If-None-Match compares weakly, handles lists and *', () => {
    assert.ok(etagMatches('"abc"', tag));
    assert.ok(etagMatches('W/"abc"', tag));
    assert.ok(etagMatches('"x", "abc"', tag));
    assert.ok(etagMatches('*', tag));
    assert.ok(!etagMatches('"abcd"', tag));
    assert.ok(!etagMatches(undefined, tag));
  });
  it('If-Range keeps the range only for the exact strong tag', () => {
    assert.ok(ifRangeAllows(undefined, tag));
    assert.ok(ifRangeAllows('"abc"', tag));
    assert.ok(!ifRangeAllows('W/"abc"', tag));
    assert.ok(!ifRangeAllows('Wed, 21 Oct 2015 07:28:00 GMT', tag));
  });
});
