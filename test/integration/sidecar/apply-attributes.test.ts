import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AttributePatch } from '../../../src/core/attributes.js';
import { OutpostError } from '../../../src/core/errors.js';
import { applyAttributes, attributesOf } from '../../../src/library/attributes.js';
import { companionsOf, getItem } from '../../../src/library/catalog/items.js';
import { fsckLibrary } from '../../../src/library/fsck.js';
import { sidecarRelPath, writeSidecar } from '../../../src/library/sidecar/write.js';
import { parseXml } from '../../../src/library/sidecar/xml.js';
import { parseXmp } from '../../../src/library/sidecar/xmp.js';
import { sha256File } from '../../kit/fixtures.js';
import { asList, exiftool, makeLibrary, type TestLibrary } from './helpers.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

const NODE = 'station-test';
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

interface OpRow {
  seq: number;
  hlc: string;
  origin: string;
  entity_id: string;
  field: string;
  value: string;
}

describe('applyAttributes: catalogue, op log and XMP sidecars (real SQLite, real exiftool)', () => {
  let dir: string;
  let lib: TestLibrary;
  const sidecar = (i: number): string => join(lib.root, sidecarRelPath(lib.items[i]!));
  const ops = (): OpRow[] => sqliteOf(lib.cat).prepare('select * from ops order by seq').all() as OpRow[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-sidecar-'));
    lib = await makeLibrary(join(dir, 'drive'), 6, { cardId: 'card-1' });
  });
  after(async () => {
    await lib.cat.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records one op per item and field, with increasing HLC stamps from this node', async () => {
    const ids = [lib.items[0]!.id, lib.items[1]!.id];
    const patch: AttributePatch = { event: 'EV-NORTH', rating: 3, tags: ['lion', 'dusk', 'lion'] };
    const rows = await applyAttributes(lib.cat, lib.root, ids, patch, { node: NODE, nowMs: T0 });
    assert.deepEqual(
      rows.map((r) => r.id),
      ids,
    );
    const log = ops();
    assert.equal(log.length, 6);
    for (const id of ids)
      assert.deepEqual(
        log.filter((o) => o.entity_id === id).map((o) => o.field),
        ['event', 'rating', 'tags'],
      );
    for (let i = 1; i < log.length; i++) assert.ok(log[i]!.hlc > log[i - 1]!.hlc, 'HLC must increase');
    assert.ok(log.every((o) => o.origin === NODE && o.hlc.endsWith(`-${NODE}`)));
    assert.deepEqual(JSON.parse(log[2]!.value), ['lion', 'dusk']);
    for (const r of rows) {
      assert.deepEqual(attributesOf(r), {
        event: 'EV-NORTH',
        location: null,
        rating: 3,
        priority: false,
        tags: ['lion', 'dusk'],
        notes: null,
      });
    }
  });

  it('exiftool reads back every field, northern/eastern and southern/western hemispheres', async () => {
    const cases: { i: number; patch: Required<Omit<AttributePatch, 'rejected'>> }[] = [
      {
        i: 2,
        patch: {
          event: '2024-05-RIVER-SURVEY',
          location: { lat: 52.3702157, lon: 4.8951679 },
          rating: 5,
          priority: true,
          tags: ['lion', 'water hole', 'ünïcødé 象'],
          notes: 'Two lions & a cub at <dusk>; "quoted".\nSecond line.',
        },
      },
      {
        i: 3,
        patch: {
          event: 'Relevé <sud> & "ouest"',
          location: { lat: -33.8688197, lon: -151.2092955 },
          rating: 0,
          priority: false,
          tags: ['a&b', '<c>', "it's"],
          notes: 'Sud-ouest 😀',
        },
      },
    ];
    for (const { i, patch } of cases) {
      await applyAttributes(lib.cat, lib.root, [lib.items[i]!.id], patch, { node: NODE, nowMs: T0 + 1000 });
      const x = exiftool(['-n', '-G1', '-XMP:all'], sidecar(i));
      assert.equal(x['XMP-xmp:Rating'], patch.rating);
      assert.equal(x['XMP-iptcExt:Event'], patch.event);
      assert.ok(
        Math.abs(Number(x['XMP-exif:GPSLatitude']) - patch.location!.lat) < 1e-6,
        String(x['XMP-exif:GPSLatitude']),
      );
      assert.ok(
        Math.abs(Number(x['XMP-exif:GPSLongitude']) - patch.location!.lon) < 1e-6,
        String(x['XMP-exif:GPSLongitude']),
      );
      assert.deepEqual(asList(x['XMP-dc:Subject']), patch.tags);
      assert.equal(x['XMP-dc:Description'], patch.notes);
      assert.equal(x['XMP-outpost:Priority'], patch.priority);
      assert.equal(x['XMP-xmpMM:PreservedFileName'], lib.items[i]!.original_name);
      // The composite tags other tools show (signed decimal, hemisphere from the letter).
      const c = exiftool(['-n', '-GPSLatitude', '-GPSLongitude', '-GPSPosition', '-validate'], sidecar(i));
      assert.ok(Math.abs(Number(c.GPSLatitude) - patch.location!.lat) < 1e-6);
      assert.ok(Math.abs(Number(c.GPSLongitude) - patch.location!.lon) < 1e-6);
      const [plat, plon] = String(c.GPSPosition).split(' ').map(Number);
      assert.ok(Math.abs(plat! - patch.location!.lat) < 1e-6 && Math.abs(plon! - patch.location!.lon) < 1e-6);
      // -validate with -n: errors, warnings, minor warnings.
      assert.equal(c.Validate, '0 0 0');
    }
  });

  it('clearing a field removes it from the sidecar; other fields stay', async () => {
    const id = lib.items[2]!.id;
    await applyAttributes(
      lib.cat,
      lib.root,
      [id],
      { rating: null, location: null, tags: [], notes: null },
      {
        node: NODE,
        nowMs: T0 + 2000,
      },
    );
    const x = exiftool(['-n', '-G1', '-XMP:all'], sidecar(2));
    for (const gone of [
      'XMP-xmp:Rating',
      'XMP-exif:GPSLatitude',
      'XMP-exif:GPSLongitude',
      'XMP-dc:Subject',
      'XMP-dc:Description',
    ])
      assert.equal(x[gone], undefined, gone);
    assert.equal(x['XMP-iptcExt:Event'], '2024-05-RIVER-SURVEY');
    assert.equal(x['XMP-outpost:Priority'], true);
    const row = (await getItem(lib.cat, id))!;
    assert.deepEqual(parseXmp(readFileSync(sidecar(2), 'utf8')), { ...attributesOf(row) });
  });

  it('keeps the foreign fields of a sidecar that came from the card', async () => {
    const item = lib.items[4]!;
    writeFileSync(
      sidecar(4),
      `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:aux="http://ns.adobe.com/exif/1.0/aux/" photoshop:Credit="Jane &amp; Co" photoshop:City="Arusha"
 aux:SerialNumber="0123456789" xmp:Label="Red" xmp:Rating="2"/></rdf:RDF></x:xmpmeta>`,
    );
    await applyAttributes(
      lib.cat,
      lib.root,
      [item.id],
      { rating: 4, tags: ['leopard'] },
      { node: NODE, nowMs: T0 + 3000 },
    );
    const x = exiftool(['-n', '-G1', '-XMP:all'], sidecar(4));
    assert.equal(x['XMP-photoshop:Credit'], 'Jane & Co');
    assert.equal(x['XMP-photoshop:City'], 'Arusha');
    assert.equal(String(x['XMP-aux:SerialNumber']), '0123456789');
    assert.equal(x['XMP-xmp:Label'], 'Red');
    assert.equal(x['XMP-xmp:Rating'], 4);
    assert.deepEqual(asList(x['XMP-dc:Subject']), ['leopard']);
  });

  it('keeps the xmp companion row in sync, so fsck --hash stays clean', async () => {
    for (const i of [0, 1, 2, 3, 4]) {
      const item = lib.items[i]!;
      const [c] = (await companionsOf(lib.cat, item.id)).filter((x) => x.ext === 'xmp');
      assert.ok(c, `no xmp companion for item ${i}`);
      assert.equal(c.path, sidecarRelPath(item));
      assert.equal(c.sha256, sha256File(join(lib.root, c.path)));
      assert.equal(c.size, readFileSync(join(lib.root, c.path)).length);
    }
    const report = await fsckLibrary(lib.cat, lib.drive.layout, { hash: true });
    assert.deepEqual(report.problems, []);
    assert.equal(report.checkedHashes, lib.items.length);
  });

  it('refuses unknown ids, listing them, and changes nothing', async () => {
    const before = ops().length;
    const unknown = ['f'.repeat(64), 'e'.repeat(64)];
    await assert.rejects(
      applyAttributes(
        lib.cat,
        lib.root,
        [lib.items[5]!.id, ...unknown],
        { rating: 1 },
        { node: NODE, nowMs: T0 + 4000 },
      ),
      (e: unknown) => {
        assert.ok(e instanceof OutpostError);
        assert.equal(e.code, 'ITEM_NOT_FOUND');
        for (const u of unknown) assert.ok(e.message.includes(u), e.message);
        assert.deepEqual((e.details as { ids: string[] }).ids, unknown);
        return true;
      },
    );
    assert.equal(ops().length, before);
    assert.equal(existsSync(sidecar(5)), false);
    assert.equal((await getItem(lib.cat, lib.items[5]!.id))!.rating, null);
  });

  it('refuses an invalid patch before recording anything', async () => {
    const before = ops().length;
    await assert.rejects(
      applyAttributes(lib.cat, lib.root, [lib.items[5]!.id], { rating: 7 }, { node: NODE, nowMs: T0 + 4000 }),
      (e: unknown) => e instanceof OutpostError && e.code === 'INVALID_INPUT' && e.message.includes('rating'),
    );
    assert.equal(ops().length, before);
  });

  it('unserialised concurrent writes (as from two processes) still only ever show whole files', async () => {
    const item = (await getItem(lib.cat, lib.items[1]!.id))!;
    const path = sidecar(1);
    let stop = false;
    let reads = 0;
    const reader = (async (): Promise<void> => {
      while (!stop) {
        const text = await readFile(path, 'utf8');
        assert.ok(parseXml(text), `half-written sidecar:\n${text}`);
        reads++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let round = 0; round < 8; round++) {
      await Promise.all(
        Array.from({ length: 8 }, (_, n) =>
          writeSidecar(lib.cat, lib.root, item, {
            ...attributesOf(item),
            notes: `w${round}.${n} `.repeat(400),
          }),
        ),
      );
      await new Promise((r) => setImmediate(r));
    }
    stop = true;
    await reader;
    assert.ok(reads > 0);
    assert.match(parseXmp(readFileSync(path, 'utf8')).notes ?? '', /^w\d+\.\d+ /);
    // Put the sidecar back in line with the catalogue for the checks below.
    await writeSidecar(lib.cat, lib.root, item, attributesOf(item));
  });

  it('concurrent edits of one item never leave a half-written sidecar, and the last state wins', async () => {
    const item = lib.items[5]!;
    const path = sidecar(5);
    let stop = false;
    let reads = 0;
    const reader = (async (): Promise<void> => {
      while (!stop) {
        const text = await readFile(path, 'utf8').catch(() => undefined);
        if (text !== undefined) {
          assert.ok(parseXml(text), `half-written sidecar:\n${text}`);
          assert.equal(typeof parseXmp(text).priority, 'boolean');
          reads++;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const edits: Promise<unknown>[] = [];
    for (let n = 0; n < 40; n++) {
      const patch: AttributePatch = {
        rating: n % 6,
        tags: [`t${n}`, `round ${n}`],
        notes: `edit ${n} `.repeat(50 + n),
        priority: n % 2 === 0,
      };
      edits.push(
        applyAttributes(lib.cat, lib.root, [item.id], patch, { node: NODE, nowMs: T0 + 10_000 + n }),
      );
      if (n % 10 === 9) await Promise.all(edits.splice(0));
    }
    await Promise.all(edits);
    stop = true;
    await reader;
    assert.ok(reads > 0);
    const row = (await getItem(lib.cat, item.id))!;
    assert.deepEqual(parseXmp(readFileSync(path, 'utf8')), attributesOf(row));
    const leftovers = readdirSync(dirname(path)).filter((f) => f.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
    const report = await fsckLibrary(lib.cat, lib.drive.layout, { hash: true });
    assert.deepEqual(report.problems, []);
  });
});
