import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { LocalDiskStore } from '../../../src/hq/local-disk-store.js';
import { sha256 } from '../../kit/hq.js';
import { objectStoreContract } from './object-store-contract.js';

objectStoreContract('LocalDiskStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-objects-'));
  return {
    store: await new LocalDiskStore(join(dir, 'objects')).init(),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

it('LocalDiskStore lays objects out as <h[0:2]>/<h> and clears crash leftovers on init', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-objects-'));
  try {
    const root = join(dir, 'objects');
    const store = await new LocalDiskStore(root).init();
    const bytes = Buffer.from('hello');
    const h = sha256(bytes);
    await writeFile(join(dir, 'src'), bytes);
    await store.putFile(h, join(dir, 'src'));
    assert.equal((await stat(join(root, h.slice(0, 2), h))).size, 5);
    await writeFile(join(root, '.tmp', 'half-written'), 'x');
    await new LocalDiskStore(root).init();
    assert.deepEqual(await readdir(join(root, '.tmp')), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
