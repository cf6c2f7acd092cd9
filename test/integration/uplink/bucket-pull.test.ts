import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { silentLogger } from '../../../src/adapters/logger.js';
import { s3Client } from '../../../src/adapters/s3.js';
import { sleep } from '../../../src/adapters/sleep.js';
import { originalKey } from '../../../src/core/bucket-layout.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { recordLocalOps } from '../../../src/library/catalog/ops.js';
import { derivedRelPath } from '../../../src/library/layout.js';
import { sidecarRelPath } from '../../../src/library/sidecar/write.js';
import { UplinkRunner } from '../../../src/uplink/runner.js';
import type { newS3Bucket } from '../../kit/buckets.js';
import { s3Target } from '../../kit/buckets.js';
import { json, outpost } from '../../kit/cli.js';
import { startTestSwift, type TestSwift } from '../../kit/swift.js';
import { buildTestLibrary, emptyLibrary, NODE, type TestLibrary } from '../server/library.js';

interface Row {
  id: string;
  path: string;
  has_thumb: number;
  has_preview: number;
  has_poster: number;
  rating: number | null;
  monitor: string;
  captured_at: string | null;
}

const rows = (db: Parameters<typeof sqliteOf>[0]): Row[] =>
  sqliteOf(db)
    .prepare(
      "select id, path, has_thumb, has_preview, has_poster, rating, monitor, captured_at from items where state = 'stored' and deleted = 0 order by id",
    )
    .all() as Row[];

/**
 * `outpost pull`: a library sent straight to a bucket comes back from the bucket alone, into an
 * empty drive: the same items at the same paths, byte-exact, with thumbnails, previews and the
 * attributes people set; a damaged object is reported and the rest still comes.
 */
describe('outpost pull: a library rebuilt from its bucket', { timeout: 300_000 }, () => {
  let swift: TestSwift;
  let lib: TestLibrary;
  let settings: Awaited<ReturnType<typeof newS3Bucket>>;
  let rated: string;

  const configFor = (s: typeof settings, dir: string): string => {
    const file = join(dir, 'pull.yaml');
    writeFileSync(
      file,
      [
        `node: ${NODE}-pull`,
        'uplink:',
        '  target:',
        '    kind: s3',
        `    endpoint: ${s.endpoint}`,
        `    region: ${s.region}`,
        `    bucket: ${s.bucket}`,
        `    prefix: ${s.prefix}`,
        `    accessKeyId: "${s.accessKeyId}"`,
        `    secretAccessKey: "${s.secretAccessKey}"`,
        '',
      ].join('\n'),
    );
    return file;
  };

  before(async () => {
    swift = await startTestSwift();
    lib = await buildTestLibrary();
    rated = (
      sqliteOf(lib.catalog)
        .prepare("select id from items where type = 'photo' and state = 'stored' limit 1")
        .get() as {
        id: string;
      }
    ).id;
    await recordLocalOps(
      lib.catalog,
      [{ entity: 'item', id: rated, field: 'rating', value: 4 }],
      NODE,
      Date.now(),
    );
    const t = await s3Target(swift);
    settings = t.settings;
    const runner = new UplinkRunner(
      {
        catalog: lib.catalog,
        driveRoot: lib.drive.layout.root,
        target: t.target,
        now: () => Date.now(),
        sleep,
        log: silentLogger,
      },
      { node: NODE, pollMs: 100, maxBackoffMs: 300 },
    );
    const s = await runner.run(new AbortController().signal, { once: true });
    t.target.close();
    assert.equal(s.pendingBytes, 0, JSON.stringify(s.lastError));
  });
  after(async () => {
    await lib?.close();
    await swift?.stop();
  });

  it('into an empty drive: the same items, paths and bytes, derivatives and attributes; again: nothing to do', async () => {
    const fresh = await emptyLibrary();
    try {
      const cfg = configFor(settings, join(fresh.drive.layout.root, '..'));
      await fresh.catalog.close();
      const r = await outpost(['pull', '--library', fresh.drive.layout.root, '--json', '-c', cfg]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const want = rows(lib.catalog);
      const s = json<{ items: number; pulled: number; failed: unknown[] }>(r);
      assert.equal(s.items, want.length);
      assert.equal(s.pulled, want.length);
      assert.deepEqual(s.failed, []);

      const cat = await openCatalog(fresh.drive.layout.catalog);
      try {
        const got = rows(cat);
        // A video's poster frame is not in the bucket (its preview is): the derive pass makes it.
        assert.deepEqual(
          got.map((g) => ({ ...g, has_poster: undefined })),
          want.map((w) => ({ ...w, has_poster: undefined })),
          'same ids, paths, facts, derivative flags and ratings',
        );
        assert.equal(got.find((g) => g.id === rated)?.rating, 4);
        for (const w of want) {
          assert.deepEqual(
            readFileSync(join(fresh.drive.layout.root, w.path)),
            readFileSync(join(lib.drive.layout.root, w.path)),
          );
          if (w.has_thumb)
            assert.deepEqual(
              readFileSync(join(fresh.drive.layout.root, derivedRelPath(w.id, 'thumb'))),
              readFileSync(join(lib.drive.layout.root, derivedRelPath(w.id, 'thumb'))),
            );
        }
        // The rating travels with the file too (its XMP sidecar).
        const ratedRow = got.find((g) => g.id === rated)!;
        const xmp = sidecarRelPath(ratedRow);
        assert.ok(existsSync(join(fresh.drive.layout.root, xmp)), `sidecar ${xmp}`);
        assert.match(readFileSync(join(fresh.drive.layout.root, xmp), 'utf8'), /Rating[^0-9]*4/);
      } finally {
        await cat.close();
      }
      const again = await outpost(['pull', '--library', fresh.drive.layout.root, '--json', '-c', cfg]);
      const s2 = json<{ pulled: number; present: number }>(again);
      assert.equal(s2.pulled, 0);
      assert.equal(s2.present, want.length);
    } finally {
      await fresh.close();
    }
  });

  it('an object whose bytes do not match its name: reported, not taken in; the others come', async () => {
    const victim = rows(lib.catalog).find((r) => r.id !== rated)!;
    const admin = s3Client(settings);
    await admin.send(
      new PutObjectCommand({
        Bucket: settings.bucket,
        Key: originalKey(settings.prefix, victim.id),
        Body: 'not the photo',
      }),
    );
    admin.destroy();
    const fresh = await emptyLibrary();
    try {
      const cfg = configFor(settings, join(fresh.drive.layout.root, '..'));
      await fresh.catalog.close();
      const r = await outpost(['pull', '--library', fresh.drive.layout.root, '--json', '-c', cfg]);
      assert.equal(r.code, 3, r.stderr);
      const s = json<{ pulled: number; items: number; failed: { item: string; code: string }[] }>(r);
      assert.deepEqual(
        s.failed.map((f) => [f.item, f.code]),
        [[victim.id, 'CONTENT_MISMATCH']],
      );
      assert.equal(s.pulled, s.items - 1);
      const cat = await openCatalog(fresh.drive.layout.catalog);
      try {
        assert.equal(
          rows(cat).find((g) => g.id === victim.id),
          undefined,
        );
        assert.ok(!existsSync(join(fresh.drive.layout.root, victim.path)));
        // Nothing half-made left in the drive's tmp.
        const tmp = sqliteOf(cat)
          .prepare("select count(*) as n from items where state = 'pending'")
          .get() as { n: number };
        assert.equal(tmp.n, 0);
      } finally {
        await cat.close();
      }
    } finally {
      await fresh.close();
    }
  });
});
