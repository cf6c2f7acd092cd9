import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { recordLocalOps } from '../../../src/library/catalog/ops.js';
import { startTestHq, type TestHq } from '../../kit/hq.js';
import { testRunner } from '../../kit/uplink.js';
import { buildTestLibrary, NODE, type TestLibrary } from '../server/library.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

interface ObjRow {
  item: string;
  rendition: string;
  sha256: string;
  size: number;
  station: string;
}

/** The station's uplink against a real HQ on loopback, over a library filled by real ingest. */
describe('uplink runner → HQ', { timeout: 120_000 }, () => {
  let lib: TestLibrary;
  let hq: TestHq;
  let rated: string;

  before(async () => {
    lib = await buildTestLibrary();
    hq = await startTestHq();
    // A person rates a photo before anything was sent: it must travel as an op and go early.
    const photos = sqliteOf(lib.catalog)
      .prepare("select id from items where type = 'photo' and state = 'stored' order by sort_time")
      .all() as { id: string }[];
    rated = photos[Math.floor(photos.length / 2)]!.id;
    await recordLocalOps(
      lib.catalog,
      [{ entity: 'item', id: rated, field: 'rating', value: 5 }],
      NODE,
      Date.now(),
    );
  });
  after(async () => {
    await hq?.close();
    await lib?.close();
  });

  const objects = (): ObjRow[] =>
    sqliteOf(hq.catalog)
      .prepare('select item, rendition, sha256, size, station from objects order by rowid')
      .all() as ObjRow[];

  it('sends everything once, byte-exact, in class order, with the ops', async () => {
    const { runner, target } = testRunner(
      lib.catalog,
      lib.drive.layout.root,
      { url: hq.url, key: hq.key(NODE) },
      { node: NODE },
    );
    const s = await runner.run(new AbortController().signal, { once: true });
    target.close();
    assert.equal(s.pendingBytes, 0, JSON.stringify(s.lastError));
    const items = sqliteOf(lib.catalog)
      .prepare(
        "select id, has_thumb, has_preview, has_poster, path from items where state = 'stored' and deleted = 0",
      )
      .all() as { id: string; has_thumb: number; has_preview: number; has_poster: number; path: string }[];
    const got = objects();
    const want = items.flatMap((i) => [
      `${i.id}:original`,
      ...(i.has_thumb ? [`${i.id}:thumb`] : []),
      ...(i.has_preview || i.has_poster ? [`${i.id}:preview`] : []),
    ]);
    assert.deepEqual(new Set(got.map((o) => `${o.item}:${o.rendition}`)), new Set(want));
    assert.equal(got.length, want.length, 'each object once');
    for (const o of got) {
      assert.equal(o.station, NODE);
      // The stored bytes hash to their name (HQ verified them; check again from its disk).
      const bytes = readFileSync(join(hq.data.objectsDir, o.sha256.slice(0, 2), o.sha256));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), o.sha256);
      if (o.rendition === 'original') assert.equal(o.sha256, o.item);
    }
    for (const i of items)
      assert.deepEqual(
        readFileSync(join(lib.drive.layout.root, i.path)),
        readFileSync(join(hq.data.objectsDir, i.id.slice(0, 2), i.id)),
      );

    // Order: every thumbnail before any other rendition; the rated photo before other previews.
    const kinds = got.map((o) => o.rendition);
    const lastThumb = kinds.lastIndexOf('thumb');
    const firstOther = kinds.findIndex((k) => k !== 'thumb');
    assert.ok(lastThumb < firstOther, `thumbnails first: ${kinds.join(',')}`);
    // Items rated 4+ (ours, and any the card's own XMP rated) before the other previews.
    const important = new Set(
      (
        sqliteOf(lib.catalog).prepare('select id from items where rating >= 4 or priority = 1').all() as {
          id: string;
        }[]
      ).map((r) => r.id),
    );
    assert.ok(important.has(rated));
    const lastImportant = Math.max(
      ...got.flatMap((o, i) => (important.has(o.item) && o.rendition !== 'thumb' ? [i] : [])),
    );
    const firstPlainPreview = got.findIndex((o) => !important.has(o.item) && o.rendition === 'preview');
    assert.ok(
      lastImportant < firstPlainPreview,
      `rated items go before the other previews: ${got.map((o) => (important.has(o.item) ? 'R' : '') + o.rendition[0]).join('')}`,
    );

    // The rating arrived as an op and HQ's catalogue shows it.
    const atHq = sqliteOf(hq.catalog).prepare('select rating from items where id = ?').get(rated) as {
      rating: number;
    };
    assert.equal(atHq.rating, 5);
    const journal = sqliteOf(lib.catalog)
      .prepare("select count(*) as n from uplink_transfers where state <> 'done'")
      .get() as { n: number };
    assert.equal(journal.n, 0);
  });

  it('a second run moves no bytes, and pulls what editors at HQ changed', async () => {
    const some = objects()[0]!.item;
    await recordLocalOps(
      hq.catalog,
      [{ entity: 'item', id: some, field: 'event', value: 'HQ-REVIEW' }],
      'hq-editor',
      Date.now(),
    );
    const { runner, target } = testRunner(
      lib.catalog,
      lib.drive.layout.root,
      { url: hq.url, key: hq.key(NODE) },
      { node: NODE },
    );
    const s = await runner.run(new AbortController().signal, { once: true });
    target.close();
    assert.equal(s.sentBytes, 0);
    const here = sqliteOf(lib.catalog).prepare('select event from items where id = ?').get(some) as {
      event: string;
    };
    assert.equal(here.event, 'HQ-REVIEW');
  });

  it('does not send what HQ already has (asked first): a fresh journal sends nothing', async () => {
    sqliteOf(lib.catalog).prepare('delete from uplink_transfers').run();
    const { runner, target } = testRunner(
      lib.catalog,
      lib.drive.layout.root,
      { url: hq.url, key: hq.key(NODE) },
      { node: NODE },
    );
    const s = await runner.run(new AbortController().signal, { once: true });
    target.close();
    assert.equal(s.sentBytes, 0);
    assert.ok(s.finished > 0);
  });

  it('an upload HQ no longer knows (expired or finished) is started again, never retried forever', async () => {
    const row = sqliteOf(lib.catalog)
      .prepare("select item from uplink_transfers where rendition = 'original' limit 1")
      .get() as { item: string };
    // As a station killed mid-upload long ago would find it: an upload URL HQ has forgotten.
    sqliteOf(lib.catalog)
      .prepare(
        "update uplink_transfers set state = 'uploading', upload_url = ?, offset = 10 where item = ? and rendition = 'original'",
      )
      .run(`${hq.url}/hq/v1/uploads/${'0'.repeat(32)}`, row.item);
    const { runner, target } = testRunner(
      lib.catalog,
      lib.drive.layout.root,
      { url: hq.url, key: hq.key(NODE) },
      { node: NODE },
    );
    const s = await runner.run(new AbortController().signal, { once: true });
    target.close();
    assert.equal(s.pendingBytes, 0, JSON.stringify(s.lastError));
    assert.match(s.lastError?.message ?? '', /404/, 'HQ said the upload is gone');
    const after = sqliteOf(lib.catalog)
      .prepare(
        "select state, upload_url as url from uplink_transfers where item = ? and rendition = 'original'",
      )
      .get(row.item) as { state: string };
    assert.equal(after.state, 'done', 'HQ already had the bytes: asked, and done without sending them again');
    assert.equal(s.sentBytes, 0);
  });

  it('a wrong key stops with auth-failed and sends nothing', async () => {
    const other = await openCatalog(lib.drive.layout.catalog);
    try {
      const bad = `op1_${NODE}_${'A'.repeat(43)}`;
      const { runner, target } = testRunner(
        other,
        lib.drive.layout.root,
        { url: hq.url, key: bad },
        { node: NODE },
      );
      sqliteOf(other).prepare('delete from uplink_transfers').run();
      const s = await runner.run(new AbortController().signal, { once: true });
      target.close();
      assert.equal(s.state, 'stopped');
      assert.match(s.lastError?.message ?? '', /401/);
      assert.equal(s.sentBytes, 0);
    } finally {
      await other.close();
    }
  });
});
