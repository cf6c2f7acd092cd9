import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalValue,
  deviceHlcOf,
  deviceStamp,
  judgeDeviceOp,
  sameAttributeValue,
} from '../../../src/core/device-sync.js';
import { encodeHlc } from '../../../src/core/hlc.js';
import { MAX_CLOCK_AHEAD_MS } from '../../../src/core/op-check.js';

const NOW = Date.UTC(2026, 11, 6, 12);

describe('device ops', () => {
  it('a stamp within the tolerance keeps the device’s own order; one days ahead is re-stamped at now, past the clock', () => {
    const near = deviceStamp({ wall: NOW + 60_000, counter: 3, node: 'tab-1' }, 'st:tab-1', NOW, undefined);
    assert.deepEqual(near, { stamp: { wall: NOW + 60_000, counter: 3, node: 'st:tab-1' }, restamped: false });
    const last = { wall: NOW, counter: 7, node: 'st' };
    const far = deviceStamp({ wall: NOW + 3 * 86_400_000, counter: 0, node: 'tab-1' }, 'st:tab-1', NOW, last);
    assert.equal(far.restamped, true);
    assert.deepEqual(far.stamp, { wall: NOW, counter: 8, node: 'st:tab-1' });
    const edge = deviceStamp(
      { wall: NOW + MAX_CLOCK_AHEAD_MS + 1, counter: 0, node: 'tab-1' },
      'o',
      NOW,
      undefined,
    );
    assert.equal(edge.restamped, true);
  });

  it('last writer wins by stamp; a conflict only when the field moved since the base to another value, or the edit lost', () => {
    const s = (wall: number): string => encodeHlc({ wall, counter: 0, node: 'x' });
    // Nobody else touched it: no conflict, the edit wins.
    assert.deepEqual(
      judgeDeviceOp({ field: 'rating', current: 1, base: 1, value: 4, head: s(10), stamp: s(20) }),
      {
        wins: true,
        conflict: false,
      },
    );
    // Changed since the base, the station's edit later: it keeps the field, both kept.
    assert.deepEqual(
      judgeDeviceOp({ field: 'rating', current: 2, base: 1, value: 4, head: s(30), stamp: s(20) }),
      {
        wins: false,
        conflict: true,
      },
    );
    // Changed since the base, the device's edit later: the device wins, both kept.
    assert.deepEqual(
      judgeDeviceOp({ field: 'rating', current: 2, base: 1, value: 4, head: s(10), stamp: s(20) }),
      {
        wins: true,
        conflict: true,
      },
    );
    // Both set the same value: nothing to choose.
    assert.equal(
      judgeDeviceOp({ field: 'rating', current: 4, base: 1, value: 4, head: s(30), stamp: s(20) }).conflict,
      false,
    );
    // Never set: the edit wins.
    assert.equal(
      judgeDeviceOp({ field: 'event', current: null, base: null, value: 'E', head: null, stamp: s(1) }).wins,
      true,
    );
  });

  it('values compared as the app shows them: tags by key, positions by place, flags as booleans', () => {
    assert.ok(sameAttributeValue('tags', ['Ñandú', 'river'], ['ñandú', 'River']));
    assert.ok(!sameAttributeValue('tags', ['a', 'b'], ['b', 'a']));
    assert.ok(sameAttributeValue('location', { lat: 1, lon: 2, source: 'hand' }, { lat: 1, lon: 2 }));
    assert.ok(!sameAttributeValue('location', null, { lat: 1, lon: 2 }));
    assert.ok(sameAttributeValue('rejected', undefined, false));
    assert.ok(sameAttributeValue('notes', undefined, null));
  });

  it('values made canonical as an edit through the API records them, or refused with the reason', () => {
    assert.deepEqual(canonicalValue('tags', [' río', 'Río', 'night']), { value: ['río', 'night'] });
    assert.deepEqual(canonicalValue('event', '  EV-1 '), { value: 'EV-1' });
    assert.deepEqual(canonicalValue('location', { lat: 1, lon: 2 }), {
      value: { lat: 1, lon: 2, source: 'hand' },
    });
    assert.deepEqual(canonicalValue('location', { lat: 1, lon: 2, source: 'gpx' }), {
      value: { lat: 1, lon: 2, source: 'gpx' },
    });
    assert.match((canonicalValue('rating', 7) as { problem: string }).problem, /rating/);
    assert.match((canonicalValue('monitor', 'Zed') as { problem: string }).problem, /unknown field/);
  });

  it('a device’s stamp must name the device', () => {
    assert.deepEqual(deviceHlcOf(encodeHlc({ wall: 5, counter: 1, node: 'tab-1' }), 'tab-1'), {
      wall: 5,
      counter: 1,
      node: 'tab-1',
    });
    assert.match(
      deviceHlcOf(encodeHlc({ wall: 5, counter: 1, node: 'tab-2' }), 'tab-1') as string,
      /not this device/,
    );
    assert.match(deviceHlcOf('nonsense', 'tab-1') as string, /not an HLC/);
  });
});
