import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SourceReadError, copyHashed, placeNoClobber } from '../../../src/library/intake/index.js';
import { scanCard } from '../../../src/ingest/scan.js';
import { acquireLibraryLock } from '../../../src/library/lock.js';

const dir = mkdtempSync(join(tmpdir(), 'outpost-copy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('copy + hash', () => {
  it('copies bytes exactly, hashes them, keeps mtime (multi-chunk file)', async () => {
    const src = join(dir, 'big.bin');
    const data = randomBytes(9 * 1024 * 1024 + 123);
    writeFileSync(src, data);
    utimesSync(src, new Date('2020-01-01T00:00:00Z'), new Date('2021-02-03T04:05:06Z'));
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const r = await copyHashed(src, tmp, { ext: 'mov' });
    assert.equal(r.sha256, createHash('sha256').update(data).digest('hex'));
    assert.equal(r.bytes, data.length);
    assert.ok(readFileSync(r.tmpPath).equals(data));
    assert.equal(statSync(r.tmpPath).mtime.toISOString(), '2021-02-03T04:05:06.000Z');
  });

  it('a missing source is a SourceReadError and leaves nothing behind', async () => {
    const tmp = join(dir, 'tmp2');
    mkdirSync(tmp);
    await assert.rejects(copyHashed(join(dir, 'nope'), tmp, { ext: 'jpg' }), SourceReadError);
    assert.deepEqual(readdirSync(tmp), []);
  });

  it('placement never overwrites different bytes and adopts identical ones', async () => {
    const tmp = join(dir, 'tmp3');
    mkdirSync(tmp);
    const a = join(dir, 'a.bin');
    writeFileSync(a, 'hello');
    const c1 = await copyHashed(a, tmp, { ext: 'bin' });
    const target = join(dir, 'lib', 'x', 'a.bin');
    assert.equal(await placeNoClobber(c1.tmpPath, target, c1.sha256), 'placed');
    const c2 = await copyHashed(a, tmp, { ext: 'bin' });
    assert.equal(await placeNoClobber(c2.tmpPath, target, c2.sha256), 'adopted');
    writeFileSync(join(dir, 'b.bin'), 'other');
    const c3 = await copyHashed(join(dir, 'b.bin'), tmp, { ext: 'bin' });
    await assert.rejects(placeNoClobber(c3.tmpPath, target, c3.sha256), /refusing to overwrite/);
    assert.equal(readFileSync(target, 'utf8'), 'hello');
    assert.deepEqual(readdirSync(tmp), []);
  });
});

describe('card scan', () => {
  it('finds media, attaches companions, skips trash and caches', async () => {
    const card = join(dir, 'card');
    const d = join(card, 'DCIM', '100CANON');
    mkdirSync(d, { recursive: true });
    mkdirSync(join(card, '.Trashes'), { recursive: true });
    mkdirSync(join(card, 'DCIM', '.thumbnails'), { recursive: true });
    for (const f of [
      'IMG_1.JPG',
      'IMG_1.CR2',
      'MVI_2.AVI',
      'MVI_2.THM',
      'REC_3.WAV',
      'IMG_4.JPG',
      'IMG_4.WAV',
      'IMG_5.jpg',
      'IMG_5.jpg.xmp',
      'notes.txt',
    ])
      writeFileSync(join(d, f), f);
    writeFileSync(join(d, 'EMPTY.JPG'), '');
    symlinkSync('/dev/zero', join(d, 'ZERO.MP4'));
    writeFileSync(join(card, '.Trashes', 'X.JPG'), 'x');
    writeFileSync(join(card, 'DCIM', '.thumbnails', 'T.JPG'), 't');
    const r = await scanCard(card);
    const names = r.media.map((m) => m.relPath);
    assert.deepEqual(names, [
      'DCIM/100CANON/IMG_1.CR2',
      'DCIM/100CANON/IMG_1.JPG',
      'DCIM/100CANON/IMG_4.JPG',
      'DCIM/100CANON/IMG_5.jpg',
      'DCIM/100CANON/MVI_2.AVI',
      'DCIM/100CANON/REC_3.WAV',
    ]);
    const byName = new Map(r.media.map((m) => [m.relPath.split('/').pop(), m]));
    assert.deepEqual(
      byName.get('MVI_2.AVI')?.companions.map((c) => c.ext),
      ['thm'],
    );
    assert.deepEqual(
      byName.get('IMG_4.JPG')?.companions.map((c) => c.ext),
      ['wav'],
    );
    assert.deepEqual(
      byName.get('IMG_5.jpg')?.companions.map((c) => c.ext),
      ['xmp'],
    );
    assert.deepEqual(byName.get('REC_3.WAV')?.companions, []);
    assert.deepEqual(r.problems.map((p) => [p.path, p.code]).sort(), [
      ['DCIM/100CANON/EMPTY.JPG', 'ZERO_BYTES'],
      ['DCIM/100CANON/ZERO.MP4', 'SYMLINK'],
    ]);
  });
});

describe('card scan with a ledger', () => {
  it('skips known files without losing companion ownership', async () => {
    const card = join(dir, 'card-known');
    const d = join(card, 'DCIM');
    mkdirSync(d, { recursive: true });
    for (const f of ['IMG_1.JPG', 'IMG_1.WAV', 'IMG_2.JPG', 'REC_3.WAV']) writeFileSync(join(d, f), f);
    const first = await scanCard(card);
    const known = new Set(
      first.media
        .filter((m) => m.relPath !== 'DCIM/IMG_2.JPG')
        .map((m) => `${m.relPath}|${m.size}|${m.mtimeMs}`),
    );
    const again = await scanCard(card, { isKnown: (p, size, mtime) => known.has(`${p}|${size}|${mtime}`) });
    assert.equal(again.known, 2);
    // IMG_1.WAV is IMG_1.JPG's memo: it must not turn into an audio item because its photo is known.
    assert.deepEqual(
      again.media.map((m) => m.relPath),
      ['DCIM/IMG_2.JPG'],
    );
  });
});

describe('library lock', () => {
  it('refuses a second holder, and a killed holder never leaves the library stuck', async () => {
    const lockFile = join(dir, 'lock');
    const lockModule = new URL('../../../src/library/lock.js', import.meta.url).href;
    // A real second process holds the lock, then is killed with SIGKILL.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { acquireLibraryLock } = await import(${JSON.stringify(lockModule)});
         await acquireLibraryLock(${JSON.stringify(lockFile)}, 'ingest of /media/CARD');
         process.stdout.write('held\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('close', (code) => reject(new Error(`lock holder exited early (${code})`)));
    });
    await assert.rejects(acquireLibraryLock(lockFile, 'test'), /busy: ingest of \/media\/CARD by pid \d+/);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('close', r));
    const l2 = await acquireLibraryLock(lockFile, 'test');
    assert.equal(l2.previousRunDied, true, 'the killed run is detected');
    // Same process, second attempt while held: refused too.
    await assert.rejects(acquireLibraryLock(lockFile, 'again'), /busy/);
    await l2.release();
    const l3 = await acquireLibraryLock(lockFile, 'test');
    assert.equal(l3.previousRunDied, false, 'a clean release is not a crash');
    await l3.release();
  });
});
