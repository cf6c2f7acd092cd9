import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { holdsWords, planSearch, type SearchSample } from '../../../src/core/search-plan.js';

/** 2,000 sampled texts of a million items: every 5th holds "dusk", every 400th "lion" and "ev-5". */
const sample: SearchSample = {
  total: 1_000_000,
  texts: Array.from({ length: 2000 }, (_, i) =>
    [`img_${10_000 + i}.jpg`, i % 5 === 0 ? 'dusk' : 'day', i % 400 === 0 ? 'ev-5 lion' : 'ev-7'].join(
      '\u001f',
    ),
  ),
};
const plan = (words: string[], s: SearchSample | undefined = sample) =>
  planSearch(s, words, 101, 3000, 40_000);

describe('planSearch', () => {
  it('a word the sample never saw is rare: the index at once', () => {
    const p = plan(['IMG_4242424']);
    assert.equal(p.way, 'index');
    // At most one in 2,000 of a million, as far as the sample can tell.
    assert.equal(p.estimatedMatches, 500);
  });

  it('a common word walks just far enough for a page, with a margin', () => {
    const p = plan(['Dusk']);
    assert.equal(p.way, 'walk');
    // 400 of 2,000: a page of 101 is about 505 rows; half as many again.
    assert.equal(p.way === 'walk' && p.rows, Math.ceil((101 / 0.2) * 1.5));
  });

  it('words together count only where all of them are', () => {
    assert.equal(plan(['dusk', 'lion']).way, 'index');
    assert.equal(plan(['ev-5', 'lion']).way, 'index');
    assert.equal(plan(['day', 'ev-7']).way, 'walk');
  });

  it('a walk longer than the longest allowed goes to the index instead', () => {
    // 5 in 2,000: ~2,500 matches, a page needs ~60,000 rows walked.
    const s: SearchSample = {
      total: 1_000_000,
      texts: sample.texts.map((t, i) => (i % 400 === 7 ? `${t} otter` : t)),
    };
    assert.equal(planSearch(s, ['otter'], 101, 3000, 40_000).way, 'index');
    assert.equal(planSearch(s, ['otter'], 101, 3000, 100_000).way, 'walk');
  });

  it('no sample, a small sample or a small catalogue: the default walk', () => {
    assert.deepEqual(planSearch(undefined, ['dusk'], 101, 3000, 40_000), {
      way: 'walk',
      rows: 3000,
      estimatedMatches: NaN,
    });
    assert.equal(plan(['x'], { total: 1_000_000, texts: sample.texts.slice(0, 50) }).way, 'walk');
    assert.equal(plan(['x'], { total: 2500, texts: sample.texts }).way, 'walk');
  });

  it('holdsWords: plain substrings, any case, every word', () => {
    assert.ok(holdsWords('img_1.jpg\u001fdusk', ['IMG_1', 'dus']));
    assert.ok(!holdsWords('img_1.jpg', ['img_1', 'lion']));
    assert.ok(holdsWords('100% sure', ['100%']));
  });
});
