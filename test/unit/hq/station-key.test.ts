import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bearerToken,
  formatStationKey,
  isStationName,
  keySha256,
  originBelongsTo,
  parseStationKey,
} from '../../../src/hq/station-key.js';

describe('station keys', () => {
  const secret = new Uint8Array(32).fill(7);

  it('format: op1_<station>_<43 chars base64url>, and parse finds the station again', () => {
    const key = formatStationKey('camp-3', secret);
    assert.match(key, /^op1_camp-3_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(parseStationKey(key), { station: 'camp-3' });
    // base64url may contain "_": the station is what comes before the first one after "op1_".
    const underscored = formatStationKey('a', new Uint8Array(32).fill(0xff));
    assert.deepEqual(parseStationKey(underscored), { station: 'a' });
  });

  it('parse refuses everything else', () => {
    const good = formatStationKey('alpha', secret);
    for (const bad of [
      '',
      good.slice(0, -1),
      `${good}A`,
      good.replace('op1_', 'op2_'),
      good.replace('alpha', 'Alpha'),
      good.replace('alpha', '-alpha'),
      `op1__${'A'.repeat(43)}`,
      `op1_${'a'.repeat(64)}_${'A'.repeat(43)}`,
      `op1_alpha_${'A'.repeat(42)}=`,
      ` ${good}`,
    ])
      assert.equal(parseStationKey(bad), undefined, bad);
  });

  it('station names: a-z, 0-9 and -, not first, at most 63', () => {
    for (const ok of ['a', '0', 'camp-3', 'a'.repeat(63)]) assert.ok(isStationName(ok), ok);
    for (const bad of ['', '-a', 'A', 'a_b', 'a:b', 'a.b', 'a'.repeat(64), 'ä', '../x'])
      assert.ok(!isStationName(bad), bad);
    assert.throws(() => formatStationKey('Bad', secret), RangeError);
    assert.throws(() => formatStationKey('ok', new Uint8Array(16)), RangeError);
  });

  it('stores a SHA-256 hex, different per key', () => {
    const k1 = formatStationKey('a', secret);
    const k2 = formatStationKey('a', new Uint8Array(32).fill(8));
    assert.match(keySha256(k1), /^[0-9a-f]{64}$/);
    assert.notEqual(keySha256(k1), keySha256(k2));
  });

  it('bearer tokens', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer abc'), 'abc');
    for (const bad of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Basic abc',
      'Bearer a b',
      `Bearer ${'x'.repeat(300)}`,
    ])
      assert.equal(bearerToken(bad), undefined, String(bad));
  });

  it('op origins belong to a station: its name or <station>:<sub>', () => {
    assert.ok(originBelongsTo('alpha', 'alpha'));
    assert.ok(originBelongsTo('alpha:tablet-1', 'alpha'));
    for (const bad of ['alphabet', 'alph', 'bravo', 'bravo:alpha', '', 'alpha-2'])
      assert.ok(!originBelongsTo(bad, 'alpha'), bad);
  });
});
