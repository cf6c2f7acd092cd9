import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ProcessRunner, RunResult } from '../../../src/adapters/process-runner.js';
import { OutpostError } from '../../../src/core/errors.js';
import {
  ID_FILE_NAME,
  fileListId,
  fingerprintCard,
  parseBlkidExport,
  parseIdFile,
  parseLsblkPairs,
  type FingerprintDeps,
} from '../../../src/ingest/fingerprint.js';

const ID1 = '0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8';
const ID2 = '1b1c2d3e-4f50-4a61-9b72-93a4b5c6d7e8';
const NOW = new Date('2024-05-01T09:08:07.000Z');

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A temp dir whose name has a space, so mountinfo escapes are exercised too. */
async function tempCard(files: Record<string, string> = {}): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'outpost fp-')));
  dirs.push(dir);
  for (const [rel, data] of Object.entries(files)) {
    const p = join(dir, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, data);
  }
  return dir;
}

const esc = (p: string): string => p.replace(/\\/g, '\\134').replace(/ /g, '\\040');
const ROOT = '27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw';
function mountinfoWith(mountPoint: string, source: string, fsType = 'vfat', root = '/'): string {
  return `${ROOT}\n312 27 8:1 ${esc(root)} ${esc(mountPoint)} rw,relatime shared:2 - ${fsType} ${source} rw\n`;
}

interface Call {
  cmd: string;
  args: readonly string[];
}
function fakeRunner(outputs: Record<string, string | Error>): ProcessRunner & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async run(cmd, args): Promise<RunResult> {
      calls.push({ cmd, args });
      const out = outputs[cmd];
      if (out instanceof Error) throw out;
      if (out === undefined) return { code: 1, signal: null, stdout: Buffer.alloc(0), stderr: 'no' };
      return { code: 0, signal: null, stdout: Buffer.from(out), stderr: '' };
    },
  };
}

function deps(
  mountinfo: string,
  runner: ProcessRunner,
  extra: Partial<FingerprintDeps> = {},
): FingerprintDeps {
  return {
    runner,
    readMountInfo: async () => mountinfo,
    devDiskDir: '/nonexistent/dev/disk',
    newId: () => ID1,
    now: () => NOW,
    ...extra,
  };
}

describe('parseIdFile', () => {
  it('accepts a valid file, lowercases the id and allows extra keys', () => {
    assert.deepEqual(parseIdFile(JSON.stringify({ id: ID1.toUpperCase(), createdAt: NOW.toISOString() })), {
      id: ID1,
      createdAt: NOW.toISOString(),
    });
    assert.ok(parseIdFile(JSON.stringify({ id: ID1, createdAt: '2024-05-01T10:00:00+02:00', v: 2 })));
  });

  it('rejects anything else', () => {
    for (const text of [
      '',
      '{',
      'null',
      '[]',
      '"x"',
      JSON.stringify({ id: ID1 }),
      JSON.stringify({ createdAt: NOW.toISOString() }),
      JSON.stringify({ id: 'not-a-uuid', createdAt: NOW.toISOString() }),
      JSON.stringify({ id: '0b1c2d3e-4f50-1a61-8b72-93a4b5c6d7e8', createdAt: NOW.toISOString() }), // v1
      JSON.stringify({ id: ID1, createdAt: 'yesterday' }),
      JSON.stringify({ id: ID1, createdAt: '2024-13-45T99:99:99Z' }),
      JSON.stringify({ id: ID1, createdAt: 12345 }),
    ]) {
      assert.equal(parseIdFile(text), undefined, text);
    }
  });
});

describe('lsblk / blkid output', () => {
  it('parses lsblk -P pairs with hex escapes', () => {
    assert.deepEqual(parseLsblkPairs('UUID="3F1C-2A4E" LABEL="NIKON D3500"\n'), {
      UUID: '3F1C-2A4E',
      LABEL: 'NIKON D3500',
    });
    assert.deepEqual(parseLsblkPairs('UUID="abc" LABEL="say \\x22hi\\x22 caf\\xc3\\xa9"'), {
      UUID: 'abc',
      LABEL: 'say "hi" café',
    });
    assert.deepEqual(parseLsblkPairs('UUID="" LABEL=""'), { UUID: '', LABEL: '' });
    assert.deepEqual(parseLsblkPairs(''), {});
  });

  it('parses blkid -o export with shell escapes', () => {
    const text =
      'DEVNAME=/dev/loop0\nLABEL=MY\\ \\"CARD\\ x\nUUID=3f1c2a4e-1111-4222-8333-444455556666\nTYPE=ext4\n';
    assert.deepEqual(parseBlkidExport(text), {
      DEVNAME: '/dev/loop0',
      LABEL: 'MY "CARD x',
      UUID: '3f1c2a4e-1111-4222-8333-444455556666',
      TYPE: 'ext4',
    });
  });
});

describe('fileListId', () => {
  const files = Array.from({ length: 70 }, (_, i) => ({
    path: `DCIM/100CANON/IMG_${String(i + 1).padStart(4, '0')}.JPG`,
    size: 1000 + i,
  }));
  const hashOf = (v: unknown): string =>
    `list:${createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16)}`;

  it('hashes the first 64 files by path with their sizes, whatever the input order', () => {
    const expected = hashOf(files.slice(0, 64).map((f) => [f.path, f.size]));
    assert.equal(fileListId(files), expected);
    assert.equal(fileListId([...files].reverse()), expected);
  });

  it('is stable as the card fills, changes when an earlier file appears or a size changes', () => {
    const base = fileListId(files);
    assert.equal(fileListId([...files, { path: 'DCIM/101CANON/IMG_0001.JPG', size: 5 }]), base);
    assert.notEqual(fileListId([...files, { path: 'DCIM/100CANON/IMG_0000.JPG', size: 5 }]), base);
    const resized = files.map((f, i) => (i === 3 ? { ...f, size: f.size + 1 } : f));
    assert.notEqual(fileListId(resized), base);
    // Under 64 files every file counts.
    assert.notEqual(fileListId(files.slice(0, 10)), fileListId(files.slice(0, 11)));
  });

  it('gives the hash of the empty list for an empty card', () => {
    assert.equal(fileListId([]), hashOf([]));
  });
});

describe('fingerprintCard (fake runner and mountinfo)', () => {
  it('uses lsblk, then blkid when lsblk knows nothing (no udev), for a block device mounted at the card root', async () => {
    const card = await tempCard({ 'DCIM/IMG_0001.JPG': 'x' });
    const runner = fakeRunner({
      lsblk: 'UUID="" LABEL=""\n',
      blkid: 'DEVNAME=/dev/sdz1\nLABEL=NIKON\\ D3500\nUUID=3F1C-2A4E\nTYPE=vfat\n',
    });
    const fp = await fingerprintCard(card, deps(mountinfoWith(card, '/dev/sdz1'), runner));
    assert.deepEqual(fp, {
      id: 'uuid:3f1c-2a4e',
      kind: 'fs-uuid',
      fsUuid: '3f1c-2a4e',
      label: 'NIKON D3500',
      device: '/dev/sdz1',
      mountPoint: card,
      fsType: 'vfat',
    });
    assert.deepEqual(
      runner.calls.map((c) => c.cmd),
      ['lsblk', 'blkid'],
    );
    assert.ok(runner.calls.every((c) => c.args.includes('/dev/sdz1')));
    assert.deepEqual(await readdir(card), ['DCIM'], 'nothing written to a card identified by UUID');
  });

  it('stops at lsblk when it knows the UUID', async () => {
    const card = await tempCard();
    const runner = fakeRunner({ lsblk: 'UUID="ABCD-0001" LABEL=""\n' });
    const fp = await fingerprintCard(card, deps(mountinfoWith(card, '/dev/sdz1'), runner));
    assert.equal(fp.id, 'uuid:abcd-0001');
    assert.equal(fp.label, undefined);
    assert.equal(runner.calls.length, 1);
  });

  it('prefers /dev/disk/by-uuid and by-label without running anything', async () => {
    const card = await tempCard();
    const devDisk = await tempCard();
    await mkdir(join(devDisk, 'by-uuid'));
    await mkdir(join(devDisk, 'by-label'));
    await symlink('/dev/sdy1', join(devDisk, 'by-uuid', '0000-0001'));
    await symlink('/dev/sdz1', join(devDisk, 'by-uuid', 'DEAD-BEEF'));
    await symlink('/dev/sdz1', join(devDisk, 'by-label', 'EOS\\x20DIGITAL'));
    const runner = fakeRunner({});
    const fp = await fingerprintCard(
      card,
      deps(mountinfoWith(card, '/dev/sdz1'), runner, { devDiskDir: devDisk }),
    );
    assert.equal(fp.id, 'uuid:dead-beef');
    assert.equal(fp.label, 'EOS DIGITAL');
    assert.equal(runner.calls.length, 0);
  });

  it('does not use a UUID for a folder that is not a mount point, a bind of a subtree, or a non-block source', async () => {
    const card = await tempCard();
    const runner = fakeRunner({ lsblk: 'UUID="ROOT-UUID" LABEL=""', blkid: 'UUID=ROOT-UUID\n' });
    // Only the root fs is mounted: the card folder lives on it but is not its root.
    let fp = await fingerprintCard(card, deps(`${ROOT}\n`, runner), { writeIdFile: false });
    assert.equal(fp.kind, 'file-list');
    assert.equal(fp.mountPoint, undefined);
    // A bind mount of /DCIM of a device: the folder is not the whole filesystem.
    fp = await fingerprintCard(card, deps(mountinfoWith(card, '/dev/sdz1', 'vfat', '/DCIM'), runner), {
      writeIdFile: false,
    });
    assert.equal(fp.kind, 'file-list');
    assert.equal(fp.device, '/dev/sdz1');
    // A tmpfs mounted at the card root.
    fp = await fingerprintCard(card, deps(mountinfoWith(card, 'tmpfs', 'tmpfs'), runner), {
      writeIdFile: false,
    });
    assert.equal(fp.kind, 'file-list');
    assert.equal(fp.fsType, 'tmpfs');
    assert.equal(runner.calls.length, 0);
  });

  it('falls back to the id file when lsblk and blkid are missing', async () => {
    const card = await tempCard();
    const missing = new OutpostError('TOOL_MISSING', 'x is not installed');
    const runner = fakeRunner({ lsblk: missing, blkid: missing });
    const fp = await fingerprintCard(card, deps(mountinfoWith(card, '/dev/sdz1'), runner));
    assert.equal(fp.kind, 'id-file');
    assert.equal(fp.id, `idf:${ID1}`);
    assert.equal(fp.device, '/dev/sdz1');
  });
});

describe('fingerprintCard (id file and file list on a plain folder)', () => {
  const runner = fakeRunner({});
  const plain = deps(`${ROOT}\n`, runner);

  it('writes an id file once and reads it back afterwards', async () => {
    const card = await tempCard({ 'DCIM/IMG_0001.JPG': 'x' });
    const fp = await fingerprintCard(card, plain);
    assert.deepEqual(fp, { id: `idf:${ID1}`, kind: 'id-file' });
    const onDisk: unknown = JSON.parse(await readFile(join(card, ID_FILE_NAME), 'utf8'));
    assert.deepEqual(onDisk, { id: ID1, createdAt: NOW.toISOString() });
    const again = await fingerprintCard(card, { ...plain, newId: () => ID2 });
    assert.equal(again.id, `idf:${ID1}`);
    assert.deepEqual((await readdir(card)).sort(), [ID_FILE_NAME, 'DCIM'].sort(), 'no temp files left');
  });

  it('moves a corrupt id file aside, then writes a new one', async () => {
    const card = await tempCard({ [ID_FILE_NAME]: '{"id": "truncat' });
    const fp = await fingerprintCard(card, { ...plain, newId: () => ID2 });
    assert.equal(fp.id, `idf:${ID2}`);
    const aside = join(card, `${ID_FILE_NAME}.corrupt-20240501T090807000Z`);
    assert.equal(await readFile(aside, 'utf8'), '{"id": "truncat');
  });

  it('with writeIdFile: false, writes nothing and uses the file list (a corrupt file stays put)', async () => {
    const card = await tempCard({ [ID_FILE_NAME]: 'junk', 'DCIM/IMG_0001.JPG': 'x' });
    const fp = await fingerprintCard(card, plain, { writeIdFile: false });
    assert.equal(fp.kind, 'file-list');
    assert.equal(fp.id, fileListId([{ path: 'DCIM/IMG_0001.JPG', size: 1 }]));
    assert.deepEqual((await readdir(card)).sort(), [ID_FILE_NAME, 'DCIM'].sort());
    assert.equal(await readFile(join(card, ID_FILE_NAME), 'utf8'), 'junk');
  });

  it('still uses a valid id file when told not to write', async () => {
    const card = await tempCard({
      [ID_FILE_NAME]: JSON.stringify({ id: ID2, createdAt: NOW.toISOString() }),
    });
    assert.equal((await fingerprintCard(card, plain, { writeIdFile: false })).id, `idf:${ID2}`);
  });

  it('leaves an id "file" that is a directory alone and uses the file list', async () => {
    const card = await tempCard({ [`${ID_FILE_NAME}/x`]: 'x' });
    const fp = await fingerprintCard(card, plain);
    assert.equal(fp.kind, 'file-list');
  });

  it('lists only media files, skipping dot entries, trash and system folders', async () => {
    const card = await tempCard({
      'DCIM/100CANON/IMG_0001.JPG': 'aa',
      'DCIM/100CANON/MVI_0002.MP4': 'bbb',
      'DCIM/100CANON/._IMG_0001.JPG': 'mac resource fork',
      'DCIM/100CANON/IMG_0001.THM': 'thumb',
      '.Trashes/IMG_0000.JPG': 'x',
      '.outpost/x.jpg': 'x',
      'System Volume Information/x.jpg': 'x',
      'MISC/readme.txt': 'x',
      'PRIVATE/AVCHD/BDMV/STREAM/00000.MTS': 'cccc',
    });
    const fp = await fingerprintCard(card, plain, { writeIdFile: false });
    assert.equal(
      fp.id,
      fileListId([
        { path: 'DCIM/100CANON/IMG_0001.JPG', size: 2 },
        { path: 'DCIM/100CANON/MVI_0002.MP4', size: 3 },
        { path: 'PRIVATE/AVCHD/BDMV/STREAM/00000.MTS', size: 4 },
      ]),
    );
  });

  it('gives the empty-list id for an empty read-only card', async () => {
    const card = await tempCard();
    assert.equal((await fingerprintCard(card, plain, { writeIdFile: false })).id, fileListId([]));
  });

  it('throws CARD_NOT_FOUND for a missing folder or a file', async () => {
    const card = await tempCard({ 'a.jpg': 'x' });
    for (const p of [join(card, 'nope'), join(card, 'a.jpg')]) {
      await assert.rejects(fingerprintCard(p, plain), (e: unknown) => {
        assert.ok(e instanceof OutpostError);
        assert.equal(e.code, 'CARD_NOT_FOUND');
        return true;
      });
    }
  });
});
