import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeHlc, decodeHlc } from '../../../src/core/hlc.js';
import type { Op } from '../../../src/core/ops.js';
import { recordLocalOps } from '../../../src/library/catalog/ops.js';
import { fsckLibrary } from '../../../src/library/fsck.js';
import { relocateItems } from '../../../src/library/relocate.js';
import { itemFacts, sha256, startTestHq, tusUpload, type TestHq } from '../../kit/hq.js';
import { addRawItem, testRunner } from '../../kit/uplink.js';
import { emptyLibrary } from '../server/library.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

/**
 * Issue 10 §1: an op from anywhere is checked like an edit. Two stations and a real HQ on
 * loopback: station-2's key tries what the probe did to station-1's items (move them into
 * .outpost/tmp or out of the drive, delete them, write nonsense, drag every clock to 2077), and
 * station-1 pulls whatever HQ hands it with its own checks.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const YEAR = 365 * 24 * 3600 * 1000;

describe('ops across the trust boundary (HQ /sync, station pull)', { timeout: 120_000 }, () => {
  let hq: TestHq;
  let st1: Awaited<ReturnType<typeof emptyLibrary>>;
  let victim: { id: string; path: string };
  let own2: string;

  const hqHlcWall = (): number => {
    const r = sqliteOf(hq.catalog).prepare("select value from meta where key = 'hlc'").get() as
      { value: string } | undefined;
    return r ? decodeHlc(r.value).wall : 0;
  };
  const sync = async (station: string, body: unknown): Promise<{ status: number; json: Json }> => {
    const res = await fetch(`${hq.url}/hq/v1/sync`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hq.key(station)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Json };
  };
  let wall = Date.now() - 60_000;
  const op = (origin: string, id: string, field: string, value: unknown, at = wall++): Op => ({
    entity: 'item',
    id,
    field,
    value,
    hlc: encodeHlc({ wall: at, counter: 0, node: origin }),
    origin,
  });
  const station1Run = async () => {
    const { runner, target } = testRunner(
      st1.catalog,
      st1.drive.layout.root,
      { url: hq.url, key: hq.key('station-1') },
      { node: 'station-1', pullOpsEveryMs: 0 },
    );
    const s = await runner.run(new AbortController().signal, { once: true });
    target.close();
    return s;
  };

  before(async () => {
    hq = await startTestHq();
    st1 = await emptyLibrary();
    victim = await addRawItem(st1.catalog, st1.drive.layout.root, {
      size: 4000,
      type: 'photo',
      ext: 'jpg',
      monitor: 'Ana',
      seed: 'victim',
    });
    await addRawItem(st1.catalog, st1.drive.layout.root, {
      size: 3000,
      type: 'photo',
      ext: 'jpg',
      seed: 'other',
    });
    const s = await station1Run();
    assert.equal(s.pendingBytes, 0, JSON.stringify(s.lastError));
    own2 = sha256('station-2 item');
    assert.equal((await sync('station-2', { items: [itemFacts(own2, 1)], ops: [] })).status, 200);
  });
  after(async () => {
    await hq?.close();
    await st1?.close();
  });

  it("station-2's key cannot move, delete or rewrite station-1's items, nor drag HQ's clock ahead", async () => {
    const future = Date.now() + 51 * YEAR;
    const before = hqHlcWall();
    const attack = [
      op('station-2', victim.id, 'monitor', '../.outpost/tmp', future),
      op('station-2', victim.id, 'monitor', '../../../../tmp/pwned'),
      op('station-2', victim.id, 'monitor', 'Legit'),
      op('station-2', victim.id, 'deleted', true),
      op('station-2', victim.id, 'rating', 1),
      op('station-2', own2, 'rating', 99),
      op('station-2', own2, 'tags', [1, { a: 2 }]),
      op('station-2', own2, 'tags', ['fox', 'fox']),
      op('station-2', own2, 'event', ' padded '),
      op('station-2', own2, 'path', 'library/x'),
      op('station-2', own2, 'rating', 3, future),
      {
        ...op('station-2', own2, 'rating', 2),
        hlc: encodeHlc({ wall: wall++, counter: 0, node: 'station-1' }),
      },
      op('station-2', own2, 'rating', 4),
    ];
    const res = await sync('station-2', { items: [], ops: attack });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.ops, 1, 'only the last op (a rating on its own item) is merged');
    const codes = Object.fromEntries(
      (res.json.refused as { index: number; code: string }[]).map((r) => [r.index, r.code]),
    );
    assert.deepEqual(codes, {
      0: 'OP_INVALID',
      1: 'OP_INVALID',
      2: 'OP_FORBIDDEN',
      3: 'OP_FORBIDDEN',
      4: 'OP_FORBIDDEN',
      5: 'OP_INVALID',
      6: 'OP_INVALID',
      7: 'OP_INVALID',
      8: 'OP_INVALID',
      9: 'OP_INVALID',
      10: 'OP_CLOCK_AHEAD',
      11: 'OP_INVALID',
    });
    for (const r of res.json.refused as { message: string; hint: string }[]) {
      assert.ok(r.message.length > 0 && r.message.length < 400, r.message);
      assert.ok(r.hint.length > 0);
    }
    // Nothing of them is in HQ's log, and HQ's clock did not move into the future.
    const stored = sqliteOf(hq.catalog)
      .prepare("select count(*) as n from ops where origin = 'station-2' and entity_id = ?")
      .get(victim.id) as { n: number };
    assert.equal(stored.n, 0);
    assert.ok(hqHlcWall() < Date.now() + 10 * 60_000, `HQ clock ${new Date(hqHlcWall()).toISOString()}`);
    assert.ok(hqHlcWall() >= before);
    const row = sqliteOf(hq.catalog)
      .prepare('select monitor, deleted, rating from items where id = ?')
      .get(victim.id);
    assert.deepEqual({ ...(row as object) }, { monitor: 'Ana', deleted: 0, rating: null });
  });

  it('item facts with paths that leave library/ or bad monitor names are refused', async () => {
    const id = sha256('evil facts');
    for (const bad of [
      { path: '../../etc/shadow' },
      { path: 'library/../../etc/shadow' },
      { path: '/etc/shadow' },
      { path: 'library/Ana/2024-06-01/a\u0001.jpg' },
      { monitor: '../.outpost/tmp' },
      { monitor: 'a/b' },
    ]) {
      const res = await sync('station-2', { items: [{ ...itemFacts(id, 1), ...bad }], ops: [] });
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal(res.json.error.code, 'INVALID_INPUT');
    }
    assert.equal(sqliteOf(hq.catalog).prepare('select 1 from items where id = ?').get(id), undefined);
  });

  it("station-2 cannot give station-1's items (or items that do not exist) a thumbnail or preview", async () => {
    const fake = Buffer.from('a thumbnail station-2 made up');
    for (const [item, rendition] of [
      [victim.id, 'thumb'],
      [victim.id, 'preview'],
      [sha256('no such item'), 'thumb'],
    ] as const) {
      const run = tusUpload({
        baseUrl: hq.url,
        key: hq.key('station-2'),
        bytes: fake,
        metadata: { item, rendition, sha256: sha256(fake) },
      });
      await assert.rejects(run.done, /response code: 403/);
    }
    const objs = sqliteOf(hq.catalog)
      .prepare("select station from objects where item = ? and rendition in ('thumb', 'preview')")
      .all(victim.id) as { station: string }[];
    assert.ok(objs.every((o) => o.station === 'station-1'));
  });

  it('station-1 checks what it pulls: moves only from HQ, no stamps from the future, and HQ edits reach its sidecars', async () => {
    // What an older (or compromised) HQ could hand out: written to HQ's log behind its checks.
    const raw = sqliteOf(hq.catalog).prepare(
      'insert into ops (hlc, origin, entity, entity_id, field, value) values (?, ?, ?, ?, ?, ?)',
    );
    const put = (o: Op) => raw.run(o.hlc, o.origin, o.entity, o.id, o.field, JSON.stringify(o.value));
    put(op('station-2', victim.id, 'monitor', '../.outpost/tmp'));
    put(op('station-2', victim.id, 'monitor', 'Evil'));
    put(op('station-2', victim.id, 'deleted', true));
    put(op('station-2', victim.id, 'rating', 99));
    // An HQ editor (HQ's node) reviews the photo: an attribute the station must take and write.
    await recordLocalOps(
      hq.catalog,
      [{ entity: 'item', id: victim.id, field: 'event', value: 'HQ-REVIEW <&>' }],
      'hq-test',
      Date.now(),
    );
    const stationClock = (): number => {
      const r = sqliteOf(st1.catalog).prepare("select value from meta where key = 'hlc'").get() as {
        value: string;
      };
      return decodeHlc(r.value).wall;
    };

    const s = await station1Run();
    const row = sqliteOf(st1.catalog)
      .prepare('select path, monitor, deleted, rating, event from items where id = ?')
      .get(victim.id) as {
      path: string;
      monitor: string;
      deleted: number;
      rating: number | null;
      event: string;
    };
    assert.deepEqual(
      { monitor: row.monitor, deleted: row.deleted, rating: row.rating, event: row.event },
      { monitor: 'Ana', deleted: 0, rating: null, event: 'HQ-REVIEW <&>' },
    );
    assert.equal(row.path, victim.path);
    assert.match(s.lastError?.message ?? '', /not merged/);
    // The station's relocation pass (run at start) has nothing to do; the original stays put.
    const moved = await relocateItems(st1.catalog, st1.drive.layout.root);
    assert.equal(moved.moved, 0);
    assert.ok(existsSync(join(st1.drive.layout.root, victim.path)));
    // The sidecar says what the catalogue says (exiftool reads it).
    const xmp = join(st1.drive.layout.root, `${victim.path}.xmp`);
    const ev = execFileSync('exiftool', ['-s3', '-XMP-iptcExt:Event', xmp], { encoding: 'utf8' }).trim();
    assert.equal(ev, 'HQ-REVIEW <&>');

    // A stamp 51 years ahead from HQ itself: not merged, and the page is read again later
    // (the cursor waits), the station's clock untouched.
    const cursorBefore = sqliteOf(st1.catalog)
      .prepare("select value from meta where key like 'uplink:%:ops-pulled'")
      .get() as {
      value: string;
    };
    put(op('hq-test', victim.id, 'rating', 5, Date.now() + 51 * YEAR));
    const s2 = await station1Run();
    assert.match(s2.lastError?.message ?? '', /ahead of this station's clock/);
    const rating = sqliteOf(st1.catalog).prepare('select rating from items where id = ?').get(victim.id) as {
      rating: number | null;
    };
    assert.equal(rating.rating, null);
    assert.ok(stationClock() < Date.now() + 10 * 60_000);
    const cursorAfter = sqliteOf(st1.catalog)
      .prepare("select value from meta where key like 'uplink:%:ops-pulled'")
      .get() as {
      value: string;
    };
    assert.equal(
      cursorAfter.value,
      cursorBefore.value,
      'the page with the future stamp is pulled again later',
    );

    const report = await fsckLibrary(st1.catalog, st1.drive.layout, { hash: true });
    assert.deepEqual(report.problems, []);
    assert.deepEqual(readdirSync(st1.drive.layout.tmpDir), []);
    assert.ok(readFileSync(join(st1.drive.layout.root, victim.path)).length === 4000);
  });
});
