import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { json, outpost } from '../../kit/cli.js';
import { corpusFiles, sha256File } from '../../kit/fixtures.js';

interface Summary {
  copied: number;
  erased: number;
  warnings: { path: string; code: string }[];
}

describe('card clean-up policy', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'outpost-cleanup-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  function card(name: string, n: number): string {
    const root = join(work, name);
    mkdirSync(join(root, 'DCIM', '100CAM'), { recursive: true });
    corpusFiles()
      .slice(0, n)
      .forEach((f, i) => copyFileSync(f, join(root, 'DCIM', '100CAM', `IMG_${1000 + i}.JPG`)));
    return root;
  }

  it('never (the default) leaves the card untouched', async () => {
    const lib = join(work, 'lib0');
    await outpost(['init-drive', lib]);
    const c = card('card0', 3);
    const s = json<Summary>(await outpost(['ingest', c, '--library', lib, '--json']));
    assert.equal(s.copied, 3);
    assert.equal(s.erased, 0);
    assert.equal(readdirSync(join(c, 'DCIM', '100CAM')).length, 3);
  });

  it('verified erases only files whose library copy re-hashes correctly', async () => {
    const lib = join(work, 'lib1');
    await outpost(['init-drive', lib]);
    const c = card('card1', 4);
    const cfg = join(work, 'verified.yaml');
    writeFileSync(cfg, 'ingest:\n  cleanup:\n    policy: verified\n');
    const hashes = readdirSync(join(c, 'DCIM', '100CAM')).map((f) =>
      sha256File(join(c, 'DCIM', '100CAM', f)),
    );
    // First run with the policy off, then corrupt one library copy: that file must stay on the card.
    json<Summary>(await outpost(['ingest', c, '--library', lib, '--json']));
    const recs = json<{ id: string; path: string; originalName: string }[]>(
      await outpost(['ls', '--library', lib, '--json']),
    );
    const victim = recs.find((r) => r.originalName === 'IMG_1002.JPG')!;
    writeFileSync(join(lib, victim.path), Buffer.alloc(10));
    const r = await outpost(['ingest', c, '--library', lib, '--json'], { env: { OUTPOST_CONFIG: cfg } });
    assert.equal(r.code, 0, r.stderr);
    const s = json<Summary>(r);
    assert.equal(s.erased, 3);
    assert.ok(s.warnings.some((w) => w.code === 'VERIFY_FAILED' && w.path.endsWith('IMG_1002.JPG')));
    assert.deepEqual(readdirSync(join(c, 'DCIM', '100CAM')), ['IMG_1002.JPG']);
    // The erased files' bytes are all in the library.
    for (const rec of recs.filter((x) => x.originalName !== 'IMG_1002.JPG')) {
      assert.ok(hashes.includes(rec.id));
      assert.equal(sha256File(join(lib, rec.path)), rec.id);
    }
  });

  it('requiring a mirror or HQ copy that cannot be confirmed yet erases nothing', async () => {
    const lib = join(work, 'lib2');
    await outpost(['init-drive', lib]);
    const c = card('card2', 2);
    const cfg = join(work, 'mirror.yaml');
    writeFileSync(cfg, 'ingest:\n  cleanup:\n    policy: verified\n    require: [library, mirror]\n');
    const s = json<Summary>(
      await outpost(['ingest', c, '--library', lib, '--json'], { env: { OUTPOST_CONFIG: cfg } }),
    );
    assert.equal(s.erased, 0);
    assert.ok(s.warnings.some((w) => w.code === 'CLEANUP_DEFERRED'));
    assert.ok(existsSync(join(c, 'DCIM', '100CAM', 'IMG_1000.JPG')));
  });
});
