import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLASS_RANK, TRANSFER_CLASSES, classify, compareClasses } from '../../../src/uplink/classes.js';

describe('uplink transfer classes', () => {
  it('ranks the classes in the order of issue 4', () => {
    const issueOrder = [
      classify({ rendition: 'ops' }),
      classify({ rendition: 'thumb', type: 'video' }),
      classify({ rendition: 'preview', type: 'photo', rating: 4 }),
      classify({ rendition: 'original', type: 'photo', priority: true }),
      classify({ rendition: 'original', type: 'video', card: 'timelapse:gate' }),
      classify({ rendition: 'preview', type: 'photo' }),
      classify({ rendition: 'original', type: 'photo' }),
      classify({ rendition: 'original', type: 'audio' }),
      classify({ rendition: 'original', type: 'video' }),
      classify({ rendition: 'original', type: 'photo', card: 'snap:gate' }),
    ];
    assert.deepEqual(issueOrder, [...TRANSFER_CLASSES]);
    const ranks = issueOrder.map((c) => CLASS_RANK[c]);
    assert.deepEqual(ranks, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(compareClasses('thumb', 'video') < 0);
  });

  it('rating ≥ 4 or the priority flag promotes previews and originals of any type', () => {
    assert.equal(classify({ rendition: 'original', type: 'video', rating: 5 }), 'rated-original');
    assert.equal(classify({ rendition: 'original', type: 'audio', rating: 4 }), 'rated-original');
    assert.equal(classify({ rendition: 'original', type: 'video', rating: 3 }), 'video');
    assert.equal(classify({ rendition: 'preview', type: 'video', priority: true }), 'rated-preview');
    assert.equal(classify({ rendition: 'preview', type: 'photo', rating: null }), 'preview');
    assert.equal(classify({ rendition: 'thumb', type: 'photo', rating: 5 }), 'thumb');
  });

  it("an IP camera's day: the timelapse before every preview, its JPEGs (every rendition) after everything", () => {
    assert.equal(classify({ rendition: 'original', type: 'video', card: 'timelapse:gate' }), 'timelapse');
    assert.ok(compareClasses('timelapse', 'preview') < 0);
    assert.ok(compareClasses('timelapse', 'rated-original') > 0);
    for (const rendition of ['original', 'thumb', 'preview'] as const)
      assert.equal(classify({ rendition, type: 'photo', card: 'snap:gate' }), 'snapshot');
    assert.ok(compareClasses('snapshot', 'video') > 0);
    // A rated snapshot is as important as any rated photo; a card id that merely contains the words is not one.
    assert.equal(
      classify({ rendition: 'original', type: 'photo', card: 'snap:gate', rating: 5 }),
      'rated-original',
    );
    assert.equal(classify({ rendition: 'original', type: 'photo', card: 'sd:snap:x' }), 'photo');
    assert.equal(classify({ rendition: 'thumb', type: 'video', card: 'timelapse:gate' }), 'thumb');
  });

  it('an original of unknown type is a photo', () => {
    assert.equal(classify({ rendition: 'original' }), 'photo');
  });
});
