import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixedClock } from '../../../src/adapters/clock.js';
import { silentLogger } from '../../../src/adapters/logger.js';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { parseConfig } from '../../../src/config/load.js';
import { ingestCard } from '../../../src/ingest/ingest.js';
import { applyAttributes, attributesOf, importCardSidecars } from '../../../src/library/attributes.js';
import { companionsOf, listItems } from '../../../src/library/catalog/items.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import type { ItemRow } from '../../../src/library/catalog/schema.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { fsckLibrary } from '../../../src/library/fsck.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import { corpusFiles, sha256File } from '../../kit/fixtures.js';
import { asList, exiftool } from './helpers.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

const NODE = 'station-card';
const T0 = Date.UTC(2024, 4, 2, 9, 0, 0);

/** What Lightroom on the field laptop leaves beside a photo: Outpost fields and foreign ones. */
const LIGHTROOM_XMP = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
   xmp:Rating="4" xmp:Label="Green" photoshop:Credit="Field team &amp; partners"
   exif:GPSLatitude="3,22.5S" exif:GPSLongitude="36,41.25E" crs:Exposure2012="+0.30">
   <Iptc4xmpExt:Event><rdf:Alt><rdf:li xml:lang="x-default">SURVEY-MAY</rdf:li></rdf:Alt></Iptc4xmpExt:Event>
   <dc:subject><rdf:Bag><rdf:li>elephant</rdf:li><rdf:li>herd</rdf:li></rdf:Bag></dc:subject>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Herd crossing at dawn</rdf:li></rdf:Alt></dc:description>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;

/** A sidecar with nothing Outpost reads (only a credit line). */
const CREDIT_ONLY_XMP = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:Credit="Cam 7"/></rdf:RDF></x:xmpmeta>`;

describe('card sidecars: imported at ingest, kept through edits (real ingest, real exiftool)', () => {
  let dir: string;
  let drive: Drive;
  let cat: Catalog;
  let byName: Map<string, ItemRow>;
  const cardXmp = new Map<string, string>();
  const item = (name: string): ItemRow => byName.get(name)!;
  const sidecarPath = async (name: string): Promise<string> => {
    const [c] = (await companionsOf(cat, item(name).id)).filter((x) => x.ext === 'xmp');
    assert.ok(c, `${name} has no xmp companion`);
    return join(drive.layout.root, c.path);
  };
  const refresh = async (): Promise<void> => {
    byName = new Map((await listItems(cat)).map((r) => [r.original_name, r]));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-card-xmp-'));
    const card = join(dir, 'card');
    const dcim = join(card, 'DCIM', '100CAMERA');
    mkdirSync(dcim, { recursive: true });
    const photos = corpusFiles();
    for (const [i, name] of ['IMG_0001.JPG', 'IMG_0002.JPG', 'IMG_0003.JPG', 'IMG_0004.JPG'].entries())
      copyFileSync(photos[i]!, join(dcim, name));
    const sidecars: [string, string][] = [
      ['IMG_0001.XMP', LIGHTROOM_XMP],
      ['IMG_0003.JPG.xmp', CREDIT_ONLY_XMP],
      ['IMG_0004.XMP', LIGHTROOM_XMP.replace('SURVEY-MAY', 'SURVEY-JUNE')],
    ];
    for (const [name, text] of sidecars) {
      writeFileSync(join(dcim, name), text);
      cardXmp.set(name.slice(0, 8), text);
    }
    drive = await initDrive(join(dir, 'drive'), { label: 'A', now: new Date(T0) });
    const summary = await ingestCard(
      {
        cardRoot: card,
        card: { id: 'card-lr', kind: 'dir', label: 'LR' },
        drive,
        monitor: 'Ana',
        settings: parseConfig({}, 'test').ingest,
        timeZone: 'UTC',
        node: NODE,
      },
      {
        analyzer: createMediaAnalyzer({ runner: nodeProcessRunner }),
        clock: fixedClock(new Date(T0)),
        log: silentLogger,
      },
    );
    assert.equal(summary.copied, 4, JSON.stringify(summary));
    cat = await openCatalog(drive.layout.catalog);
    await refresh();
  });
  after(async () => {
    await cat?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an edit after ingest keeps the card values and applies the edit on top', async () => {
    const id = item('IMG_0004.JPG').id;
    const [row] = await applyAttributes(
      cat,
      drive.layout.root,
      [id],
      { notes: 'edited first', rating: 1 },
      {
        node: NODE,
        nowMs: T0 + 1,
      },
    );
    assert.deepEqual(attributesOf(row!), {
      event: 'SURVEY-JUNE',
      location: { lat: -3.375, lon: 36.6875 },
      rating: 1,
      priority: false,
      tags: ['elephant', 'herd'],
      notes: 'edited first',
    });
    const x = exiftool(['-n', '-G1', '-XMP:all'], await sidecarPath('IMG_0004.JPG'));
    assert.deepEqual(asList(x['XMP-dc:Subject']), ['elephant', 'herd']);
    assert.equal(x['XMP-dc:Description'], 'edited first');
    assert.equal(x['XMP-xmp:Rating'], 1);
    assert.equal(x['XMP-photoshop:Credit'], 'Field team & partners');
  });

  it('ingest imported the card sidecars as ops from this station (a second import is a no-op)', async () => {
    const res = await importCardSidecars(cat, drive.layout.root, NODE, T0 + 1000);
    assert.deepEqual(res, { items: 0, ops: 0, failed: [] });
    await refresh();
    assert.deepEqual(attributesOf(item('IMG_0001.JPG')), {
      event: 'SURVEY-MAY',
      location: { lat: -3.375, lon: 36.6875 },
      rating: 4,
      priority: false,
      tags: ['elephant', 'herd'],
      notes: 'Herd crossing at dawn',
    });
    const ops = sqliteOf(cat)
      .prepare('select field, origin from ops where entity_id = ? order by seq')
      .all(item('IMG_0001.JPG').id) as { field: string; origin: string }[];
    assert.deepEqual(
      ops.map((o) => o.field),
      ['event', 'location', 'rating', 'tags', 'notes'],
    );
    assert.ok(ops.every((o) => o.origin === NODE));
    // The user's earlier edit of IMG_0004 is not overwritten by a second import.
    assert.equal(item('IMG_0004.JPG').rating, 1);
    assert.equal(item('IMG_0004.JPG').notes, 'edited first');
  });

  it('leaves the card sidecar bytes as they came, and is idempotent', async () => {
    const p = await sidecarPath('IMG_0001.JPG');
    assert.equal(readFileSync(p, 'utf8'), cardXmp.get('IMG_0001'));
    assert.deepEqual(await importCardSidecars(cat, drive.layout.root, NODE, T0 + 2000), {
      items: 0,
      ops: 0,
      failed: [],
    });
    // A sidecar with nothing Outpost reads gives nothing, and items without one are untouched.
    assert.deepEqual(attributesOf(item('IMG_0003.JPG')).tags, []);
    assert.equal(item('IMG_0002.JPG').rating, null);
  });

  it('an edit after the import keeps the card fields other tools wrote', async () => {
    const id = item('IMG_0001.JPG').id;
    await applyAttributes(
      cat,
      drive.layout.root,
      [id],
      { rating: 2, priority: true },
      { node: NODE, nowMs: T0 + 3000 },
    );
    const x = exiftool(['-n', '-G1', '-XMP:all'], await sidecarPath('IMG_0001.JPG'));
    assert.equal(x['XMP-xmp:Rating'], 2);
    assert.equal(x['XMP-outpost:Priority'], true);
    assert.equal(x['XMP-iptcExt:Event'], 'SURVEY-MAY');
    assert.deepEqual(asList(x['XMP-dc:Subject']), ['elephant', 'herd']);
    assert.ok(Math.abs(Number(x['XMP-exif:GPSLatitude']) - -3.375) < 1e-9);
    assert.equal(x['XMP-photoshop:Credit'], 'Field team & partners');
    assert.equal(x['XMP-xmp:Label'], 'Green');
    assert.equal(String(x['XMP-crs:Exposure2012']), '+0.30');
    const credit = await applyAttributes(
      cat,
      drive.layout.root,
      [item('IMG_0003.JPG').id],
      { tags: ['cam7'] },
      {
        node: NODE,
        nowMs: T0 + 4000,
      },
    );
    assert.deepEqual(attributesOf(credit[0]!).tags, ['cam7']);
    const y = exiftool(['-G1', '-XMP:all'], await sidecarPath('IMG_0003.JPG'));
    assert.equal(y['XMP-photoshop:Credit'], 'Cam 7');
  });

  it('fsck --hash is clean: companion rows follow the rewritten sidecars', async () => {
    for (const name of ['IMG_0001.JPG', 'IMG_0003.JPG', 'IMG_0004.JPG']) {
      const [c] = (await companionsOf(cat, item(name).id)).filter((x) => x.ext === 'xmp');
      assert.equal(c!.sha256, sha256File(join(drive.layout.root, c!.path)), name);
    }
    const report = await fsckLibrary(cat, drive.layout, { hash: true });
    assert.deepEqual(report.problems, []);
  });
});
