import assert from 'node:assert/strict';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { initDrive, openDrive } from '../../../src/library/drive.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

/**
 * The catalogue holds password and session hashes: on a file system with Unix modes (the test's
 * tmp dir: ext4 or tmpfs) nobody but the owner may read it, even with a umask of 022.
 */
describe('catalogue file modes on a drive (ext4/tmpfs)', () => {
  let work: string;
  const oldUmask = process.umask(0o022);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'outpost-modes-'));
  });
  after(async () => {
    process.umask(oldUmask);
    await rm(work, { recursive: true, force: true });
  });

  it('a new drive: .outpost/ 0700, the catalogue and its -wal/-shm 0600', async () => {
    const drive = await initDrive(join(work, 'new'), { now: new Date() });
    const cat = await openCatalog(drive.layout.catalog);
    try {
      sqliteOf(cat).prepare("insert into meta (key, value) values ('mode-test', '1')").run();
      assert.equal(mode(drive.layout.outpostDir), '700');
      for (const f of ['', '-wal', '-shm']) {
        const p = `${drive.layout.catalog}${f}`;
        assert.ok(existsSync(p), p);
        assert.equal(mode(p), '600', p);
      }
    } finally {
      await cat.close();
    }
  });

  it('a drive made before the rule (0755 dir, 0644 files) is fixed when opened', async () => {
    const drive = await initDrive(join(work, 'old'), { now: new Date() });
    const cat = await openCatalog(drive.layout.catalog);
    sqliteOf(cat).prepare("insert into meta (key, value) values ('mode-test', '2')").run();
    // Held open: its -wal and -shm exist, as on a drive pulled out while in use.
    chmodSync(drive.layout.outpostDir, 0o755);
    for (const f of ['', '-wal', '-shm']) chmodSync(`${drive.layout.catalog}${f}`, 0o644);
    const again = await openDrive(drive.layout.root);
    const cat2 = await openCatalog(again.layout.catalog);
    try {
      assert.equal(mode(drive.layout.outpostDir), '700');
      for (const f of ['', '-wal', '-shm']) assert.equal(mode(`${drive.layout.catalog}${f}`), '600', f);
    } finally {
      await cat2.close();
      await cat.close();
    }
  });

  it('a read-only open changes nothing', async () => {
    const drive = await initDrive(join(work, 'ro'), { now: new Date() });
    chmodSync(drive.layout.catalog, 0o640);
    const cat = await openCatalog(drive.layout.catalog, { readonly: true });
    await cat.close();
    assert.equal(mode(drive.layout.catalog), '640');
  });
});
