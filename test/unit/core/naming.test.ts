import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_NAME_TEMPLATE,
  renderName,
  templateProblems,
  validateMonitor,
} from '../../../src/core/naming.js';

const sha = 'ab'.repeat(32);

describe('naming', () => {
  it('renders the default template from capture time and hash', () => {
    const name = renderName(DEFAULT_NAME_TEMPLATE, {
      local: '2024-05-01T09:08:07',
      sha256: sha,
      ext: 'JPG',
      originalStem: 'IMG_0001',
    });
    assert.equal(name, `20240501-090807_${sha.slice(0, 16)}.jpg`);
  });

  it('lists every problem of a bad template', () => {
    const p = templateProblems('{YYYY}/{bogus}.jpg');
    assert.ok(p.some((x) => x.includes('{bogus}')));
    assert.ok(p.some((x) => x.includes('{hash}')));
    assert.ok(p.some((x) => x.includes('.{ext}')));
    assert.ok(p.some((x) => x.includes('/')));
    assert.deepEqual(templateProblems(DEFAULT_NAME_TEMPLATE), []);
  });

  it('rejects monitor names that would escape the library', () => {
    assert.throws(() => validateMonitor('../etc'), /not a valid monitor/);
    assert.throws(() => validateMonitor('a/b'), /not a valid monitor/);
    assert.throws(() => validateMonitor(''), /not a valid monitor/);
    assert.equal(validateMonitor('Ranger Ana'), 'Ranger Ana');
  });
});
