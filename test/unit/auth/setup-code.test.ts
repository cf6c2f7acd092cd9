import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newSetupCode, normaliseSetupCode, setupCodeMatches } from '../../../src/auth/setup-code.js';

describe('setup code', () => {
  it('is XXXX-XXXX from letters and digits that cannot be misread', () => {
    for (let i = 0; i < 200; i++) assert.match(newSetupCode(), /^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
    assert.equal(
      newSetupCode(() => 0),
      'AAAA-AAAA',
    );
    const seen = new Set(Array.from({ length: 100 }, () => newSetupCode()));
    assert.ok(seen.size > 95, 'random');
  });

  it('matches regardless of case, spaces and dashes, and nothing else', () => {
    assert.equal(normaliseSetupCode(' ab3d-ef7h '), 'AB3DEF7H');
    assert.ok(setupCodeMatches('AB3D-EF7H', 'ab3d ef7h'));
    assert.ok(setupCodeMatches('AB3D-EF7H', 'AB3DEF7H'));
    assert.ok(!setupCodeMatches('AB3D-EF7H', 'AB3D-EF7J'));
    assert.ok(!setupCodeMatches('AB3D-EF7H', 'AB3D-EF7'));
    assert.ok(!setupCodeMatches('AB3D-EF7H', ''));
    assert.ok(!setupCodeMatches('AB3D-EF7H', undefined));
  });
});
