import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../../src/fleet/conductor.js';

test('command and session ids never start with "-" or "_", so a command line never reads them as options', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const id = newId();
    assert.match(id, /^[A-Za-z0-9][A-Za-z0-9_-]{11}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 5000);
});
