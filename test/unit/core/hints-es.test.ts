import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE } from '../../../src/core/errors.js';
import { allHints, hintLangOf, localizedHint } from '../../../src/core/hints-es.js';
import { WARNING_CATALOGUE } from '../../../src/core/warnings.js';

describe('Spanish hints', () => {
  it('every code of the vocabulary has a Spanish hint that is not the English one', () => {
    const en = allHints('en');
    const es = allHints('es');
    const codes = [...Object.keys(ERROR_CATALOGUE), ...Object.keys(WARNING_CATALOGUE)];
    assert.equal(Object.keys(es).length, codes.length);
    for (const code of codes) {
      const e = es[code as keyof typeof es];
      assert.ok(e && e.length > 10, code);
      assert.notEqual(e, en[code as keyof typeof en], `${code} is still English`);
    }
  });

  it('translates the vocabulary’s own hint, and keeps a hint written for one case', () => {
    assert.equal(
      localizedHint('FORBIDDEN', ERROR_CATALOGUE.FORBIDDEN.hint, 'en'),
      ERROR_CATALOGUE.FORBIDDEN.hint,
    );
    assert.match(localizedHint('FORBIDDEN', ERROR_CATALOGUE.FORBIDDEN.hint, 'es'), /editor/);
    assert.notEqual(
      localizedHint('FORBIDDEN', ERROR_CATALOGUE.FORBIDDEN.hint, 'es'),
      ERROR_CATALOGUE.FORBIDDEN.hint,
    );
    assert.equal(
      localizedHint('FILE_MISSING', 'The station uploads it later.', 'es'),
      'The station uploads it later.',
    );
    assert.match(localizedHint('ZERO_BYTES', WARNING_CATALOGUE.ZERO_BYTES.hint, 'es'), /archivo vacío/);
    assert.equal(localizedHint('NOT_A_CODE', 'x', 'es'), 'x');
  });

  it('reads the language from Accept-Language (quality values, regions, order)', () => {
    assert.equal(hintLangOf(undefined), 'en');
    assert.equal(hintLangOf('es'), 'es');
    assert.equal(hintLangOf('es-PE,es;q=0.9,en;q=0.8'), 'es');
    assert.equal(hintLangOf('en-US,en;q=0.9,es;q=0.8'), 'en');
    assert.equal(hintLangOf('en;q=0.5, es;q=0.9'), 'es');
    assert.equal(hintLangOf('fr-FR, es;q=0.5'), 'es');
    assert.equal(hintLangOf('es;q=0, en'), 'en');
    assert.equal(hintLangOf('de'), 'en');
  });
});
