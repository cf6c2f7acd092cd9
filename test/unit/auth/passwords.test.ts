import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_SCRYPT,
  hashPassword,
  isPasswordHash,
  passwordProblem,
  verifyPassword,
} from '../../../src/auth/passwords.js';

/** Cheap parameters for most cases; one test runs the real default. */
const FAST = { N: 1024, r: 8, p: 1 };

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one (default parameters)', async () => {
    const h = await hashPassword('correct horse battery');
    assert.equal(await verifyPassword('correct horse battery', h), true);
    assert.equal(await verifyPassword('correct horse batterz', h), false);
    assert.equal(await verifyPassword('', h), false);
    assert.ok(h.startsWith(`scrypt$${DEFAULT_SCRYPT.N}$${DEFAULT_SCRYPT.r}$${DEFAULT_SCRYPT.p}$`), h);
  });

  it('has the format scrypt$N$r$p$salt$key with the parameters it was made with', async () => {
    const h = await hashPassword('secret-pass', FAST);
    const parts = h.split('$');
    assert.equal(parts.length, 6);
    assert.deepEqual(parts.slice(0, 4), ['scrypt', '1024', '8', '1']);
    assert.equal(Buffer.from(parts[4]!, 'base64').length, 16, 'salt bytes');
    assert.equal(Buffer.from(parts[5]!, 'base64').length, 32, 'key bytes');
    assert.ok(isPasswordHash(h));
    assert.doesNotMatch(h, /secret-pass/);
  });

  it('salts every hash differently', async () => {
    const a = await hashPassword('same password', FAST);
    const b = await hashPassword('same password', FAST);
    assert.notEqual(a, b);
    assert.notEqual(a.split('$')[4], b.split('$')[4]);
    assert.ok(await verifyPassword('same password', a));
    assert.ok(await verifyPassword('same password', b));
  });

  it('refuses malformed or tampered hashes instead of throwing', async () => {
    const h = await hashPassword('secret-pass', FAST);
    const parts = h.split('$');
    for (const bad of [
      '',
      'plain',
      h.replace(/^scrypt/, 'bcrypt'),
      ['scrypt', '1000', ...parts.slice(2)].join('$'), // N not a power of two
      ['scrypt', String(2 ** 30), ...parts.slice(2)].join('$'), // gigabytes of memory
      parts.slice(0, 5).join('$'),
    ]) {
      assert.equal(isPasswordHash(bad), false, bad);
      assert.equal(await verifyPassword('secret-pass', bad), false, bad);
    }
    // Same salt, another key: a flipped byte fails.
    const key = Buffer.from(parts[5]!, 'base64');
    key[0] = key[0]! ^ 1;
    assert.equal(
      await verifyPassword('secret-pass', [...parts.slice(0, 5), key.toString('base64')].join('$')),
      false,
    );
  });

  it('normalises Unicode (é typed two ways is one password)', async () => {
    const h = await hashPassword('caf\u00e9-caf\u00e9', FAST);
    assert.ok(await verifyPassword('cafe\u0301-cafe\u0301', h));
  });

  it('names what is wrong with a new password', () => {
    assert.match(passwordProblem('short')!, /at least 8/);
    assert.equal(passwordProblem('long enough'), undefined);
    assert.match(passwordProblem('x'.repeat(2000))!, /at most/);
  });
});
