import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editTags, tagKey, uniqueTags } from '../../../src/core/attributes.js';

describe('tags compare case-insensitively and Unicode-aware', () => {
  it('one key for every spelling of a tag (case, NFC/NFD)', () => {
    const nfd = 'N\u0303andu\u0301';
    assert.notEqual(nfd, 'Ñandú');
    assert.equal(tagKey(nfd), tagKey('ñandú'));
    assert.equal(tagKey('ÑANDÚ'), tagKey('Ñandú'));
    assert.notEqual(tagKey('nandu'), tagKey('ñandú'));
  });

  it('keeps the first spelling exactly as given, once', () => {
    assert.deepEqual(uniqueTags(['Ñandú', 'ñandú', ' río ', 'RÍO', 'n\u0303andu\u0301']), ['Ñandú', 'río']);
    // Not rewritten: what the user (or a camera) wrote round-trips (test/integration/sidecar/hostile-text).
    assert.deepEqual(uniqueTags(['n\u0303andu\u0301']), ['n\u0303andu\u0301']);
    assert.deepEqual(
      editTags([], ['n\u0303andu\u0301'], []),
      ['ñandú'],
      'a tag added in bulk is stored composed',
    );
  });

  it('adds and removes one tag without touching the others', () => {
    assert.deepEqual(editTags(['Ñandú', 'río'], ['ñandú'], []), ['Ñandú', 'río']);
    assert.deepEqual(editTags(['noche'], ['ñandú'], []), ['noche', 'ñandú']);
    assert.deepEqual(editTags(['Ñandú', 'río'], [], ['RÍO']), ['Ñandú']);
    assert.deepEqual(editTags([], ['a'], ['A']), [], 'remove wins over add of the same tag');
  });
});
