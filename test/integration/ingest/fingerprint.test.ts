import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { ID_FILE_NAME, fingerprintCard, type FingerprintDeps } from '../../../src/ingest/fingerprint.js';
import { nodeReadMountInfo } from '../../../src/station/mount-watcher.js';
import {
  CANNOT_MOUNT_MESSAGE,
  bindMount,
  canMount,
  loopMount,
  makeExt4Image,
  makeTempDir,
  mountTmpfs,
  registerMountCleanup,
} from '../../kit/mounts.js';

registerMountCleanup();

const deps: FingerprintDeps = { runner: nodeProcessRunner, readMountInfo: nodeReadMountInfo };

const photos = (n: number, start = 1): Record<string, string> =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [
      `DCIM/100NIKON/DSC_${String(start + i).padStart(4, '0')}.JPG`,
      'x'.repeat(100 + i),
    ]),
  );

describe('fingerprintCard on real mounts', () => {
  before(async () => {
    if (!(await canMount())) assert.fail(CANNOT_MOUNT_MESSAGE);
  });

  it('identifies a loop-mounted ext4 card by its filesystem UUID and label, wherever it is mounted', async () => {
    const uuid = randomUUID();
    const { imagePath } = await makeExt4Image({
      sizeMB: 8,
      uuid: uuid.toUpperCase(), // the id must come out lowercased whatever the tools print
      label: 'NIKON D3500',
      files: photos(3),
    });
    const base = await makeTempDir('outpost-fp-uuid-');

    const m1 = await loopMount(imagePath, join(base, 'media', 'card one'));
    const fp1 = await fingerprintCard(join(base, 'media', 'card one'), deps);
    assert.equal(fp1.id, `uuid:${uuid}`);
    assert.equal(fp1.kind, 'fs-uuid');
    assert.equal(fp1.fsUuid, uuid);
    assert.equal(fp1.label, 'NIKON D3500');
    assert.equal(fp1.fsType, 'ext4');
    assert.equal(fp1.device, m1.device);
    assert.match(m1.device, /^\/dev\/loop\d+$/);
    assert.equal(fp1.mountPoint, join(base, 'media', 'card one'));
    assert.ok(
      !(await readdir(join(base, 'media', 'card one'))).includes(ID_FILE_NAME),
      'a card identified by UUID is not written to',
    );

    // A bind of the whole filesystem is the same card.
    const bound = await bindMount(join(base, 'media', 'card one'), join(base, 'bound'));
    assert.equal((await fingerprintCard(join(base, 'bound'), deps)).id, fp1.id);
    await bound.unmount();

    // A folder on the card is not the card: no UUID for it.
    const sub = await fingerprintCard(join(base, 'media', 'card one', 'DCIM'), deps, { writeIdFile: false });
    assert.equal(sub.kind, 'file-list');

    // Pulled and inserted again at another path (read-only this time): same id.
    await m1.unmount();
    await loopMount(imagePath, join(base, 'elsewhere'), { readOnly: true });
    const fp2 = await fingerprintCard(join(base, 'elsewhere'), deps);
    assert.equal(fp2.id, fp1.id);
    assert.equal(fp2.mountPoint, join(base, 'elsewhere'));
  });

  it('gives a plain folder on the root filesystem an id file, not the root filesystem UUID', async () => {
    const card = await makeTempDir('outpost-fp-plain-');
    await mkdir(join(card, 'DCIM'));
    await writeFile(join(card, 'DCIM', 'IMG_0001.JPG'), 'x');
    const fp = await fingerprintCard(card, deps);
    assert.equal(fp.kind, 'id-file');
    assert.match(fp.id, /^idf:[0-9a-f-]{36}$/);
    assert.equal(fp.fsUuid, undefined);
    const onDisk = JSON.parse(await readFile(join(card, ID_FILE_NAME), 'utf8')) as { id: string };
    assert.equal(`idf:${onDisk.id}`, fp.id);
    assert.equal((await fingerprintCard(card, deps)).id, fp.id);
  });

  it('gives a tmpfs card (no block device) an id file', async () => {
    const base = await makeTempDir('outpost-fp-tmpfs-');
    await mountTmpfs(join(base, 'card'), 1024 * 1024);
    const fp = await fingerprintCard(join(base, 'card'), deps);
    assert.equal(fp.kind, 'id-file');
    assert.equal(fp.fsType, 'tmpfs');
    assert.equal(fp.mountPoint, join(base, 'card'));
    assert.equal((await fingerprintCard(join(base, 'card'), deps)).id, fp.id);
  });

  it('falls back to the file list on a full card', async () => {
    const base = await makeTempDir('outpost-fp-full-');
    const card = join(base, 'card');
    await mountTmpfs(card, 16 * 1024);
    await mkdir(join(card, 'DCIM'));
    // Fill it to the last byte (tmpfs refuses the write that does not fit).
    await writeFile(join(card, 'DCIM', 'IMG_0001.JPG'), Buffer.alloc(8 * 1024));
    for (let i = 2; ; i++) {
      try {
        await writeFile(join(card, 'DCIM', `IMG_${String(i).padStart(4, '0')}.JPG`), Buffer.alloc(4096));
      } catch {
        break;
      }
    }
    const fp = await fingerprintCard(card, deps);
    assert.equal(fp.kind, 'file-list');
    assert.ok(!(await readdir(card)).some((n) => n.startsWith('.outpost-card')), 'no leftovers');
  });

  it('uses a stable file list on a read-only card, which changes when a file sorts before the others', async () => {
    const base = await makeTempDir('outpost-fp-ro-');
    const src = join(base, 'src');
    const card = join(base, 'card');
    await mkdir(join(src, 'DCIM', '100NIKON'), { recursive: true });
    for (const [rel, data] of Object.entries(photos(70, 10))) await writeFile(join(src, rel), data);
    await bindMount(src, card, { readOnly: true });

    await assert.rejects(writeFile(join(card, 'probe'), 'x'), { code: 'EROFS' });
    const fp = await fingerprintCard(card, deps);
    assert.equal(fp.kind, 'file-list');
    assert.match(fp.id, /^list:[0-9a-f]{16}$/);
    assert.equal((await fingerprintCard(card, deps)).id, fp.id);
    assert.deepEqual(await readdir(card), ['DCIM'], 'nothing written');

    // The camera appends a higher-numbered file: the oldest 64 are unchanged.
    await writeFile(join(src, 'DCIM', '100NIKON', 'DSC_0999.JPG'), 'new');
    assert.equal((await fingerprintCard(card, deps)).id, fp.id);

    // A file that sorts first changes the list.
    await writeFile(join(src, 'DCIM', '100NIKON', 'DSC_0001.JPG'), 'old');
    assert.notEqual((await fingerprintCard(card, deps)).id, fp.id);
  });

  it('keeps a corrupt id file aside instead of overwriting it', async () => {
    const card = await makeTempDir('outpost-fp-corrupt-');
    await writeFile(join(card, ID_FILE_NAME), '{"id": "0b1c');
    const fp = await fingerprintCard(card, deps);
    assert.equal(fp.kind, 'id-file');
    const names = await readdir(card);
    const aside = names.filter((n) => n.startsWith(`${ID_FILE_NAME}.corrupt-`));
    assert.equal(aside.length, 1, names.join(', '));
    assert.match(aside[0] ?? '', /^\.outpost-card\.json\.corrupt-\d{8}T\d{9}Z$/);
    assert.equal(await readFile(join(card, aside[0] ?? ''), 'utf8'), '{"id": "0b1c');
    assert.equal((await fingerprintCard(card, deps)).id, fp.id);
  });

  it('on a read-only card with a corrupt id file, leaves it untouched and uses the file list', async () => {
    const base = await makeTempDir('outpost-fp-rocorrupt-');
    const src = join(base, 'src');
    await mkdir(join(src, 'DCIM'), { recursive: true });
    await writeFile(join(src, ID_FILE_NAME), 'garbage');
    await writeFile(join(src, 'DCIM', 'IMG_0001.JPG'), 'x');
    await bindMount(src, join(base, 'card'), { readOnly: true });
    const fp = await fingerprintCard(join(base, 'card'), deps);
    assert.equal(fp.kind, 'file-list');
    assert.deepEqual((await readdir(src)).sort(), [ID_FILE_NAME, 'DCIM'].sort());
  });
});
