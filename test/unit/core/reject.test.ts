import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockedByTombstone, isRejectRating, planDelete, sidecarRating } from '../../../src/core/reject.js';

test('sidecar rating is -1 for rejected, the stars otherwise', () => {
  assert.equal(sidecarRating(4, true), -1);
  assert.equal(sidecarRating(4, false), 4);
  assert.equal(sidecarRating(null, false), null);
  assert.equal(isRejectRating(-1), true);
  assert.equal(isRejectRating(0), false);
  assert.equal(isRejectRating(null), false);
});

test('an original with no other copy is kept unless that risk is confirmed', () => {
  const items = [
    { id: 'a', onMirror: true, atHq: false },
    { id: 'b', onMirror: false, atHq: true },
    { id: 'c', onMirror: false, atHq: false },
  ];
  const safe = planDelete(items, false);
  assert.deepEqual(safe.remove, ['a', 'b']);
  assert.deepEqual(safe.keepOnlyCopy, ['c']);
  assert.equal(safe.onlyCopyCount, 1);
  const risky = planDelete(items, true);
  assert.deepEqual(risky.remove, ['a', 'b', 'c']);
  assert.deepEqual(risky.keepOnlyCopy, []);
  assert.equal(risky.onlyCopyCount, 1);
});

test('a tombstoned hash blocks re-ingest', () => {
  const t = new Set(['h1']);
  assert.equal(blockedByTombstone('h1', t), true);
  assert.equal(blockedByTombstone('h2', t), false);
});
