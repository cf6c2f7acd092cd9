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
      classify({ rendition: 'preview', type: 'photo' }),
      classify({ rendition: 'original', type: 'photo' }),
      classify({ rendition: 'original', type: 'audio' }),
      classify({ rendition: 'original', type: 'video' }),
    ];
    assert.deepEqual(issueOrder, [...TRANSFER_CLASSES]);
    const ranks = issueOrder.map((c) => CLASS_RANK[c]);
    assert.deepEqual(ranks, [0, 1, 2, 3, 4, 5, 6, 7]);
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

  it('an original of unknown type is a photo', () => {
    assert.equal(classify({ rendition: 'original' }), 'photo');
  });
});
