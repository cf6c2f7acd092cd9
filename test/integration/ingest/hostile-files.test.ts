import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { SourceReadError, copyHashed, hashFile } from '../../../src/library/intake/index.js';
import { fingerprintCard } from '../../../src/ingest/fingerprint.js';
import type { IngestSummary } from '../../../src/ingest/types.js';
import { applyAttributes } from '../../../src/library/attributes.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { sidecarRelPath } from '../../../src/library/sidecar/write.js';
import { json, outpost } from '../../kit/cli.js';
import { corpusFiles, sha256File } from '../../kit/fixtures.js';
import {
  CANNOT_MOUNT_MESSAGE,
  canMount,
  loopMount,
  makeExt4Image,
  makeTempDir,
  registerMountCleanup,
} from '../../kit/mounts.js';
import { exiftool } from '../sidecar/helpers.js';

registerMountCleanup();

/** Card paths as bytes: Node's string paths cannot name a file whose name is not UTF-8. */
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const at = (root: string, rel: Buffer): Buffer => Buffer.concat([Buffer.from(`${root}/`), rel]);

const BAD_NAME = bytes('DCIM/100CAM/bad\xff\xfeutf8.jpg');
const BAD_THM = bytes('DCIM/100CAM/bad\xff\xfeutf8.THM');
const BAD_DIR_FILE = bytes('DCIM/\xc0\xafDIR/IMG_0003.JPG');
const CTRL_NAME = Buffer.from('DCIM/100CAM/ctl\u0007name.jpg');

/** What the ledger, warnings and `original_name` hold for those (src/core/file-names.ts). */
const BAD_READABLE = 'DCIM/100CAM/bad\\xFF\\xFEutf8.jpg';
const BAD_DIR_READABLE = 'DCIM/\\xC0\\xAFDIR/IMG_0003.JPG';
const CTRL_READABLE = 'DCIM/100CAM/ctl\\x07name.jpg';

interface ItemRowLite {
  id: string;
  path: string;
  original_name: string;
  facts: string;
}

/**
 * A card (a loop-mounted ext4 image, as a PC-written card can be) with names that are not UTF-8,
 * a control character in a name, a FIFO and a /dev/zero device node under media names.
 */
describe('originals that must not be left behind (real CLI, loop-mounted card)', { timeout: 240_000 }, () => {
  let work: string;
  let card: string;
  let lib: string;
  const photos = corpusFiles();
  const content: [Buffer, string][] = [
    [Buffer.from('DCIM/100CAM/IMG_0001.JPG'), photos[0]!],
    [BAD_NAME, photos[1]!],
    [BAD_THM, photos[4]!],
    [BAD_DIR_FILE, photos[2]!],
    [CTRL_NAME, photos[3]!],
  ];
  const items = (): ItemRowLite[] => {
    const db = new Database(join(lib, '.outpost/catalog.sqlite'), { readonly: true });
    try {
      return db
        .prepare('select id, path, original_name, facts from items order by original_name')
        .all() as ItemRowLite[];
    } finally {
      db.close();
    }
  };

  before(async () => {
    if (!(await canMount())) assert.fail(CANNOT_MOUNT_MESSAGE);
    work = await makeTempDir('outpost-hostile-files-');
    const src = join(work, 'content');
    for (const [rel, from] of content) {
      const dir = rel.subarray(0, rel.lastIndexOf(0x2f));
      mkdirSync(at(src, dir), { recursive: true });
      writeFileSync(at(src, rel), readFileSync(from));
    }
    // Never opened: a read of the FIFO would wait forever, a read of /dev/zero never ends.
    execFileSync('mkfifo', [join(src, 'DCIM/100CAM/PIPE0001.JPG'), join(src, 'DCIM/100CAM/IMG_0001.THM')]);
    execFileSync('mknod', [join(src, 'DCIM/100CAM/ZERO0001.MP4'), 'c', '1', '5']);
    const { imagePath } = await makeExt4Image({
      sizeMB: 32,
      uuid: randomUUID(),
      label: 'HOSTILE',
      fromDir: src,
    });
    card = join(work, 'card');
    await loopMount(imagePath, card);
    lib = join(work, 'lib');
    const init = await outpost(['init-drive', lib, '--json']);
    assert.equal(init.code, 0, init.stderr);
  });

  it('copies files whose names are not UTF-8, reports FIFOs and device nodes, exits 0, never hangs', async () => {
    const r = await outpost(['ingest', card, '--library', lib, '--monitor', 'Ana', '--json'], {
      timeoutMs: 90_000,
    });
    assert.equal(r.signal, null, 'ingest finished by itself (no hang on the FIFO or /dev/zero)');
    assert.equal(r.code, 0, r.stderr);
    const s = json<IngestSummary>(r);
    assert.equal(s.copied, 4, JSON.stringify(s.warnings));
    assert.equal(s.notCopied, 0);
    const codes = s.warnings.map((w) => `${w.code} ${w.path}`).sort();
    for (const special of ['IMG_0001.THM', 'PIPE0001.JPG', 'ZERO0001.MP4'])
      assert.ok(
        codes.includes(`SPECIAL_FILE DCIM/100CAM/${special}`),
        `${special} reported: ${codes.join(', ')}`,
      );
    assert.ok(!s.warnings.some((w) => w.code === 'UNREADABLE' || w.code === 'VANISHED'), codes.join(', '));
    assert.match(s.warnings.find((w) => w.path.endsWith('PIPE0001.JPG'))!.message, /FIFO.*never opened/);
    assert.match(s.warnings.find((w) => w.path.endsWith('ZERO0001.MP4'))!.message, /character device/);
  });

  it('catalogues them with the readable name and the exact name bytes, bytes equal to the card', () => {
    const all = items();
    assert.equal(all.length, 4);
    const byName = new Map(all.map((i) => [i.original_name, i]));
    const bad = byName.get('bad\\xFF\\xFEutf8.jpg');
    assert.ok(bad, [...byName.keys()].join(', '));
    const facts = JSON.parse(bad.facts) as { originalNameBase64?: string };
    assert.ok(Buffer.from(facts.originalNameBase64 ?? '', 'base64').equals(bytes('bad\xff\xfeutf8.jpg')));
    assert.equal(sha256File(join(lib, bad.path)), sha256File(photos[1]!));
    assert.equal(bad.id, sha256File(photos[1]!));
    // Its THM companion travelled with it.
    assert.ok(existsSync(join(lib, `${bad.path}.thm`)));
    assert.equal(sha256File(join(lib, `${bad.path}.thm`)), sha256File(photos[4]!));
    const ctrl = byName.get('ctl\\x07name.jpg');
    assert.ok(ctrl, 'a control character in a name is escaped, not stored raw');
    assert.ok(
      Buffer.from(JSON.parse(ctrl.facts).originalNameBase64, 'base64').equals(
        Buffer.from('ctl\u0007name.jpg'),
      ),
    );
    assert.ok(byName.has('IMG_0003.JPG'), 'a file in a folder whose name is not UTF-8');
    assert.equal(
      JSON.parse(byName.get('IMG_0001.JPG')!.facts).originalNameBase64,
      undefined,
      'plain names: no bytes kept',
    );

    const db = new Database(join(lib, '.outpost/catalog.sqlite'), { readonly: true });
    const ledger = (
      db.prepare('select rel_path from imports order by rel_path').all() as { rel_path: string }[]
    ).map((x) => x.rel_path);
    db.close();
    assert.deepEqual(
      ledger,
      [BAD_DIR_READABLE, BAD_READABLE, 'DCIM/100CAM/IMG_0001.JPG', CTRL_READABLE].sort(),
    );
  });

  it('the readable name reaches the XMP sidecar and exiftool reads it back unchanged', async () => {
    const bad = items().find((i) => i.original_name === 'bad\\xFF\\xFEutf8.jpg')!;
    const cat = await openCatalog(join(lib, '.outpost/catalog.sqlite'));
    try {
      await applyAttributes(cat, lib, [bad.id], { rating: 2 }, { node: 'test', nowMs: Date.now() });
    } finally {
      await cat.close();
    }
    const x = exiftool(['-G1', '-XMP:all'], join(lib, sidecarRelPath(bad)));
    assert.equal(x['XMP-xmpMM:PreservedFileName'], 'bad\\xFF\\xFEutf8.jpg');
  });

  it('a re-run reads nothing again and copies nothing (human output lists the special files)', async () => {
    const r = await outpost(['ingest', card, '--library', lib, '--no-progress'], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /copied 0 .*already imported 4, duplicates 0/);
    assert.match(r.stdout, /DCIM\/100CAM\/PIPE0001\.JPG: \[SPECIAL_FILE\] a FIFO/);
    const again = json<IngestSummary>(await outpost(['ingest', card, '--library', lib, '--json']));
    assert.equal(again.copied, 0);
    assert.equal(again.skipped, 4);
    assert.equal(again.duplicates, 0);
    assert.equal(items().length, 4);
  });

  it('clean-up erases verified files by their exact names and leaves FIFOs and device nodes alone', async () => {
    const cfg = join(work, 'verified.yaml');
    writeFileSync(cfg, 'ingest:\n  cleanup:\n    policy: verified\n');
    const r = await outpost(['ingest', card, '--library', lib, '--json'], {
      env: { OUTPOST_CONFIG: cfg },
      timeoutMs: 90_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const s = json<IngestSummary>(r);
    assert.equal(s.erased, 5, JSON.stringify(s)); // four originals and the THM beside the bad name
    assert.deepEqual(readdirSync(join(card, 'DCIM', '100CAM')).sort(), [
      'IMG_0001.THM',
      'PIPE0001.JPG',
      'ZERO0001.MP4',
    ]);
    assert.deepEqual(readdirSync(at(card, bytes('DCIM/\xc0\xafDIR'))), []);
  });
});

describe('names that are not UTF-8 and special files, below the CLI', () => {
  it('a read-only card without a UUID is still identified by its file list', async () => {
    const dir = await makeTempDir('outpost-hostile-fp-');
    mkdirSync(join(dir, 'DCIM'));
    writeFileSync(at(dir, bytes('DCIM/bad\xff.jpg')), 'x');
    writeFileSync(join(dir, 'DCIM', 'IMG_0001.JPG'), 'y');
    execFileSync('mkfifo', [join(dir, 'DCIM', 'PIPE.JPG')]);
    const fp = await fingerprintCard(
      dir,
      { runner: nodeProcessRunner, readMountInfo: async () => '' },
      { writeIdFile: false },
    );
    assert.equal(fp.kind, 'file-list');
    assert.match(fp.id, /^list:[0-9a-f]{16}$/);
  });

  it(
    'copy and hash refuse a FIFO or a device at once instead of waiting or reading forever',
    { timeout: 20_000 },
    async () => {
      const dir = await makeTempDir('outpost-hostile-copy-');
      const fifo = join(dir, 'fifo.jpg');
      execFileSync('mkfifo', [fifo]);
      const zero = join(dir, 'zero.mp4');
      execFileSync('mknod', [zero, 'c', '1', '5']);
      mkdirSync(join(dir, 'tmp'));
      for (const p of [fifo, zero]) {
        await assert.rejects(copyHashed(p, join(dir, 'tmp'), { ext: 'jpg' }), SourceReadError);
        await assert.rejects(hashFile(p), /not a regular file/);
      }
      assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
    },
  );
});
