import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributesOf } from '../../../src/library/attributes.js';
import type { ItemRow } from '../../../src/library/catalog/schema.js';
import { sidecarRelPath, withSidecarLock } from '../../../src/library/sidecar/write.js';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

describe('withSidecarLock', () => {
  it('runs work for one key one at a time, in call order; other keys run alongside', async () => {
    const log: string[] = [];
    const active = new Map<string, number>();
    const job = (key: string, n: number): Promise<number> =>
      withSidecarLock(key, async () => {
        active.set(key, (active.get(key) ?? 0) + 1);
        assert.equal(active.get(key), 1, `two jobs for ${key} at once`);
        log.push(`${key}${n}>`);
        await tick();
        log.push(`${key}${n}<`);
        active.set(key, active.get(key)! - 1);
        return n;
      });
    const results = await Promise.all([job('a', 1), job('a', 2), job('b', 1), job('a', 3)]);
    assert.deepEqual(results, [1, 2, 1, 3]);
    const a = log.filter((l) => l.startsWith('a'));
    assert.deepEqual(a, ['a1>', 'a1<', 'a2>', 'a2<', 'a3>', 'a3<']);
    assert.ok(log.indexOf('b1>') < log.indexOf('a1<'), 'key b waited for key a');
  });

  it('a failure is returned to its caller and does not block the next', async () => {
    const first = withSidecarLock('k', async () => {
      await tick();
      throw new Error('disk gone');
    });
    const second = withSidecarLock('k', async () => 'ran');
    await assert.rejects(first, /disk gone/);
    assert.equal(await second, 'ran');
  });
});

describe('attributesOf / sidecarRelPath', () => {
  const row = {
    path: 'library/Ana/2024-05-01/20240501-080000_0123456789abcdef.jpg',
    event: 'EV',
    location_lat: -1.5,
    location_lon: 36.25,
    rating: 0,
    priority: 1,
    tags: '["a","b"]',
    notes: null,
  } as ItemRow;

  it('maps the catalogue columns to attributes', () => {
    assert.deepEqual(attributesOf(row), {
      event: 'EV',
      location: { lat: -1.5, lon: 36.25 },
      rating: 0,
      priority: true,
      tags: ['a', 'b'],
      notes: null,
    });
  });

  it('has no location unless both coordinates are set, and survives bad tag JSON', () => {
    const a = attributesOf({ ...row, location_lon: null, tags: 'not json', priority: 0 });
    assert.equal(a.location, null);
    assert.deepEqual(a.tags, []);
    assert.equal(a.priority, false);
    assert.deepEqual(attributesOf({ ...row, tags: '{"x":1}' }).tags, []);
  });

  it('puts the sidecar next to the original as <name>.xmp', () => {
    assert.equal(sidecarRelPath(row), `${row.path}.xmp`);
  });
});
