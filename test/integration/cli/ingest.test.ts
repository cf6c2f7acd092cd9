import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import type { IngestSummary } from '../../../src/ingest/types.js';
import { json, outpost } from '../../kit/cli.js';
import { applyAttributes } from '../../../src/library/attributes.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { corpusFiles, distinctHashes, makeCard, sha256File, type CardFixture } from '../../kit/fixtures.js';

type Summary = IngestSummary;
interface Rec {
  id: string;
  path: string;
  type: string;
  monitor: string;
  capturedAt: string | null;
  warnings: { code: string }[];
  derivatives: { thumb: boolean; preview: boolean; poster: boolean };
  gps: { lat: number; lon: number } | null;
  camera: string | null;
  durationS: number | null;
  phash: string | null;
  originalName: string;
}

/** Every file under library/, relative to the drive. */
function libraryFiles(drive: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out.push(r.slice(1));
    }
  };
  walk(join(drive, 'library'), '/library');
  return out.sort();
}

describe('outpost ingest (real files, real catalogue, real ffmpeg)', () => {
  let work: string;
  let drive: string;
  let card: CardFixture;
  let first: Summary;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'outpost-ingest-'));
    drive = join(work, 'drive');
    card = makeCard(join(work, 'card'));
    const init = await outpost(['init-drive', drive, '--label', 'Drive A', '--json']);
    assert.equal(init.code, 0, init.stderr);
    const r = await outpost(['ingest', join(work, 'card'), '--library', drive, '--monitor', 'Ana', '--json']);
    assert.equal(r.code, 0, r.stderr);
    first = json<Summary>(r);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('init-drive lays out the drive as ARCHITECTURE.md shows', () => {
    const marker = JSON.parse(readFileSync(join(drive, 'outpost-drive.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(marker.format, 'outpost-drive');
    assert.equal(marker.label, 'Drive A');
    assert.match(String(marker.id), /^[0-9a-f-]{36}$/);
    for (const d of ['library', '.outpost/derived', '.outpost/tmp'])
      assert.ok(statSync(join(drive, d)).isDirectory(), d);
    const db = new Database(join(drive, '.outpost/catalog.sqlite'), { readonly: true });
    assert.equal((db.pragma('journal_mode', { simple: true }) as string).toLowerCase(), 'wal');
    db.close();
  });

  it('init-drive refuses an existing library', async () => {
    const r = await outpost(['init-drive', drive]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /already a library drive/);
  });

  it('stores every distinct file exactly once, named by capture time and content hash', () => {
    const want = distinctHashes(card);
    const originals = libraryFiles(drive).filter(
      (p) => !/\.(thm|wav|xmp)$/.test(p) || !existsSync(join(drive, p.slice(0, p.lastIndexOf('.')))),
    );
    const got = originals.map((p) => sha256File(join(drive, p)));
    assert.equal(new Set(got).size, got.length, 'no content stored twice');
    assert.deepEqual(new Set(got), want);
    assert.equal(first.copied, want.size);
    assert.equal(first.duplicates, card.media.length - want.size);
    const today = new Date().toISOString().slice(0, 10);
    for (const p of originals) {
      const h = sha256File(join(drive, p));
      assert.match(p, new RegExp(`^library/Ana/${today}/\\d{8}-\\d{6}_${h.slice(0, 16)}\\.[a-z0-9]+$`), p);
    }
  });

  it('reports bad input per file and still keeps the bytes', () => {
    const codes = new Map(first.warnings.map((w) => [w.path, w.code]));
    assert.equal(codes.get('DCIM/101CAMERA/EMPTY001.JPG'), 'ZERO_BYTES');
    assert.ok(codes.has('DCIM/100CAMERA/corrupted.jpg'), 'corrupted.jpg has a warning');
    const invalid = first.warnings.filter((w) => w.path.startsWith('DCIM/100CAMERA/invalid__'));
    assert.ok(invalid.length >= 1, 'truncated files are reported');
    for (const w of first.warnings) assert.ok(w.message.length > 5, `warning ${w.code} has a message`);
    assert.ok(!first.warnings.some((w) => w.path.includes('.Trashes')), 'trash is not scanned');
  });

  it('ls --json lists one record per item with facts and derivatives', async () => {
    const r = await outpost(['ls', '--library', drive, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const recs = json<Rec[]>(r);
    assert.equal(recs.length, distinctHashes(card).size);
    for (const rec of recs) {
      assert.equal(sha256File(join(drive, rec.path)), rec.id, 'id is the sha256 of the stored bytes');
      assert.equal(rec.monitor, 'Ana');
    }
    const byName = new Map(recs.map((r2) => [r2.originalName, r2]));
    const canon = byName.get('Canon_40D.jpg')!;
    assert.equal(canon.type, 'photo');
    assert.equal(canon.capturedAt, '2008-05-30T15:56:01');
    assert.match(canon.path, /\/20080530-155601_/);
    assert.ok(canon.derivatives.thumb && canon.derivatives.preview);
    assert.match(canon.camera ?? '', /Canon/);
    const gps = byName.get('gps__DSCN0010.jpg')!;
    assert.ok(
      gps.gps && Math.abs(gps.gps.lat - 43.467) < 0.01 && Math.abs(gps.gps.lon - 11.885) < 0.01,
      JSON.stringify(gps.gps),
    );
    const mp4 = byName.get('MVI_0001.MP4')!;
    assert.equal(mp4.type, 'video');
    assert.ok(Math.abs((mp4.durationS ?? 0) - 2) < 0.15);
    assert.ok(mp4.derivatives.poster && mp4.derivatives.thumb);
    assert.equal(byName.get('REC_0002.MP3')!.type, 'audio');
    const corrupt = byName.get('corrupted.jpg')!;
    assert.ok(corrupt.warnings.length > 0);
    for (const rec of recs.filter((x) => x.derivatives.thumb)) {
      const thumb = join(drive, '.outpost/derived', rec.id.slice(0, 2), `${rec.id}-thumb.webp`);
      assert.equal(readFileSync(thumb).subarray(8, 12).toString(), 'WEBP');
    }
    // mtime of originals survives the copy
    const orig = join(card.root, 'DCIM/100CAMERA/Canon_40D.jpg');
    assert.equal(
      Math.trunc(statSync(join(drive, canon.path)).mtimeMs / 1000),
      Math.trunc(statSync(orig).mtimeMs / 1000),
    );
  });

  it('companions travel with their item', async () => {
    const recs = json<Rec[]>(await outpost(['ls', '--library', drive, '--json']));
    const avi = recs.find((r) => r.originalName === 'MVI_0002.AVI')!;
    assert.ok(existsSync(join(drive, `${avi.path}.thm`)), 'THM stored beside the AVI');
    // IMG_0100.JPG has the same bytes as a photo in 100CAMERA: a duplicate, yet its memo and
    // sidecar must still join the item.
    const imgId = sha256File(join(card.root, 'DCIM/101CAMERA/IMG_0100.JPG'));
    const img = recs.find((r) => r.id === imgId)!;
    assert.notEqual(img.originalName, 'IMG_0100.JPG');
    assert.equal(
      sha256File(join(drive, `${img.path}.wav`)),
      sha256File(join(card.root, 'DCIM/101CAMERA/IMG_0100.WAV')),
      'voice memo stored beside its photo',
    );
    assert.ok(existsSync(join(drive, `${img.path}.xmp`)), 'card XMP sidecar imported');
    // …and its rating (xmp:Rating="4" on the card) became the item's rating, as an op.
    const db = new Database(join(drive, '.outpost/catalog.sqlite'), { readonly: true });
    assert.equal(
      (db.prepare('select rating from items where id = ?').get(img.id) as { rating: number }).rating,
      4,
    );
    assert.ok(db.prepare("select 1 from ops where entity_id = ? and field = 'rating'").get(img.id));
    db.close();
    assert.ok(!recs.some((r) => r.originalName === 'IMG_0100.WAV'), 'a companion WAV is not an item');
    assert.ok(
      recs.some((r) => r.originalName === 'REC_0001.WAV'),
      'a lone WAV is an audio item',
    );
  });

  it('a re-run finds nothing new through the ledger without copying', async () => {
    const r = await outpost(['ingest', card.root, '--library', drive, '--monitor', 'Ana', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = json<Summary>(r);
    assert.equal(s.copied, 0);
    assert.equal(s.duplicates, 0, 'known files are skipped by the ledger, not re-hashed');
    assert.equal(s.skipped, card.media.length);
  });

  it('the same bytes from another card are recognised, not stored again', async () => {
    const other = join(work, 'card2');
    mkdirSync(join(other, 'DCIM'), { recursive: true });
    copyFileSync(corpusFiles()[5]!, join(other, 'DCIM', 'X.JPG'));
    const r = await outpost(['ingest', other, '--library', drive, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = json<Summary>(r);
    assert.equal(s.copied, 0);
    assert.equal(s.duplicates, 1);
    assert.equal(s.monitor, '_unassigned');
    assert.equal(libraryFiles(drive).filter((p) => p.startsWith('library/_unassigned')).length, 0);
  });

  it('items deleted from the library (tombstoned) are not re-imported', async () => {
    const recs = json<Rec[]>(await outpost(['ls', '--library', drive, '--json']));
    const victim = recs.find((r) => r.originalName === 'Nikon_D70.jpg')!;
    const db = new Database(join(drive, '.outpost/catalog.sqlite'));
    db.prepare('update items set deleted = 1 where id = ?').run(victim.id);
    db.close();
    rmSync(join(drive, victim.path));
    const third = join(work, 'card3');
    mkdirSync(third);
    copyFileSync(join(card.root, 'DCIM/100CAMERA/Nikon_D70.jpg'), join(third, 'DSC_0001.JPG'));
    const s = json<Summary>(await outpost(['ingest', third, '--library', drive, '--json']));
    assert.equal(s.tombstoned, 1);
    assert.equal(s.copied, 0);
    assert.ok(!existsSync(join(drive, victim.path)));
  });

  it('cards list and assign: an assigned card files its next items under its monitor', async () => {
    const cardDir = join(work, 'card4');
    mkdirSync(join(cardDir, 'DCIM'), { recursive: true });
    copyFileSync(corpusFiles()[6]!, join(cardDir, 'DCIM', 'A.JPG'));
    const s1 = json<Summary>(await outpost(['ingest', cardDir, '--library', drive, '--json']));
    assert.equal(s1.monitor, '_unassigned');
    assert.match(s1.card.id, /^idf:/);
    const list = json<{ id: string; monitor: string | null }[]>(
      await outpost(['cards', 'list', '--library', drive, '--json']),
    );
    assert.ok(list.some((c) => c.id === s1.card.id));
    const a = await outpost([
      'cards',
      'assign',
      s1.card.id.slice(0, 12),
      'Bruno',
      '--library',
      drive,
      '--json',
    ]);
    assert.equal(a.code, 0, a.stderr);
    const done = json<{ card: string; monitor: string; moved: number; failed: unknown[] }>(a);
    assert.equal(done.card, s1.card.id);
    assert.equal(done.moved, s1.copied, "the card's items already on the drive move to Bruno");
    assert.deepEqual(done.failed, []);
    if (s1.copied > 0) assert.ok(libraryFiles(drive).some((p) => p.startsWith('library/Bruno/')));
    const bad = await outpost(['cards', 'assign', s1.card.id, '../etc', '--library', drive]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a valid monitor/);
    // A new photo resized from the corpus: new bytes on the same card.
    await sharp(corpusFiles()[7]!)
      .resize(200)
      .jpeg()
      .toFile(join(cardDir, 'DCIM', 'B.JPG'));
    const s2 = json<Summary>(await outpost(['ingest', cardDir, '--library', drive, '--json']));
    assert.equal(s2.monitor, 'Bruno');
    assert.equal(s2.copied, 1);
    assert.equal(
      libraryFiles(drive).filter((p) => p.startsWith('library/Bruno/') && !p.endsWith('.xmp')).length,
      1 + s1.copied,
    );
  });

  it('similar finds a resized copy by perceptual hash', async () => {
    const recs = json<Rec[]>(await outpost(['ls', '--library', drive, '--json']));
    const src = corpusFiles().find((f) => f.endsWith('Pentax_K10D.jpg'))!;
    const original = recs.find((r) => r.originalName === 'Pentax_K10D.jpg')!;
    const cardDir = join(work, 'card5');
    mkdirSync(cardDir);
    await sharp(src).resize(240).jpeg({ quality: 60 }).toFile(join(cardDir, 'SMALL.JPG'));
    json<Summary>(await outpost(['ingest', cardDir, '--library', drive, '--json']));
    const r = await outpost(['similar', original.id.slice(0, 10), '--library', drive, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = json<{ similar: { id: string; path: string; distance: number }[] }>(r);
    const small = json<Rec[]>(await outpost(['ls', '--library', drive, '--json'])).find(
      (x) => x.originalName === 'SMALL.JPG',
    )!;
    assert.ok(
      out.similar.some((h) => h.id === small.id),
      JSON.stringify(out),
    );
    assert.ok(
      !out.similar.some((h) => h.id === recs.find((x) => x.originalName === 'Canon_40D.jpg')!.id),
      'unrelated photo is not similar',
    );
  });

  it('fsck is clean, then finds a missing file and a corrupted one', async () => {
    const ok = await outpost(['fsck', '--library', drive, '--hash', '--json']);
    assert.equal(ok.code, 0, ok.stdout);
    const recs = json<Rec[]>(await outpost(['ls', '--library', drive, '--json']));
    const a = recs.find((r) => r.originalName === 'Olympus_C8080WZ.jpg')!;
    const b = recs.find((r) => r.originalName === 'Kodak_CX7530.jpg')!;
    const bytes = readFileSync(join(drive, b.path));
    bytes.writeUInt8(bytes.readUInt8(bytes.length >> 1) ^ 0xff, bytes.length >> 1);
    writeFileSync(join(drive, b.path), bytes);
    const aBytes = readFileSync(join(drive, a.path));
    rmSync(join(drive, a.path));
    writeFileSync(join(drive, 'library', 'stray.jpg'), 'x');
    const bad = await outpost(['fsck', '--library', drive, '--hash', '--json']);
    assert.equal(bad.code, 1);
    const rep = json<{ problems: { code: string; path: string; fix: string }[] }>(bad);
    assert.ok(rep.problems.some((p) => p.code === 'MISSING' && p.path === a.path));
    assert.ok(rep.problems.some((p) => p.code === 'CORRUPT' && p.path === b.path));
    assert.ok(rep.problems.some((p) => p.code === 'ORPHAN' && p.path === 'library/stray.jpg'));
    for (const p of rep.problems) assert.ok(p.fix.length > 10);
    // without --hash the corruption (same size) is not seen, the missing file is
    const quick = json<{ problems: { code: string }[] }>(
      await outpost(['fsck', '--library', drive, '--json']),
    );
    assert.ok(!quick.problems.some((p) => p.code === 'CORRUPT'));
    // restore for the next tests
    writeFileSync(join(drive, a.path), aBytes);
    bytes.writeUInt8(bytes.readUInt8(bytes.length >> 1) ^ 0xff, bytes.length >> 1);
    writeFileSync(join(drive, b.path), bytes);
    rmSync(join(drive, 'library', 'stray.jpg'));
  });

  it('rebuild recreates the catalogue from the drive alone, tags included', async () => {
    const before = json<Rec[]>(await outpost(['ls', '--library', drive, '--json']));
    const tagged = before.find((r) => r.originalName === 'Canon_40D.jpg')!;
    const cat = await openCatalog(join(drive, '.outpost/catalog.sqlite'));
    await applyAttributes(
      cat,
      drive,
      [tagged.id],
      { rating: 5, event: 'EV-RIVER-1', tags: ['lion', 'dusk'], location: { lat: -1.2921, lon: 36.8219 } },
      { node: 'test', nowMs: Date.now() },
    );
    await cat.close();
    rmSync(join(drive, '.outpost/catalog.sqlite'));
    rmSync(join(drive, '.outpost/catalog.sqlite-wal'), { force: true });
    rmSync(join(drive, '.outpost/catalog.sqlite-shm'), { force: true });
    rmSync(join(drive, '.outpost/derived'), { recursive: true });
    const r = await outpost(['rebuild', '--library', drive, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const after2 = json<Rec[]>(await outpost(['ls', '--library', drive, '--json']));
    const key = (x: Rec): string => `${x.id} ${x.path} ${x.type} ${x.monitor} ${x.capturedAt}`;
    assert.deepEqual(after2.map(key).sort(), before.map(key).sort());
    assert.ok(
      after2.filter((x) => x.derivatives.thumb).length >=
        before.filter((x) => x.derivatives.thumb).length - 0,
    );
    const fsck = await outpost(['fsck', '--library', drive, '--json']);
    assert.equal(fsck.code, 0, fsck.stdout);
    const db = new Database(join(drive, '.outpost/catalog.sqlite'), { readonly: true });
    const row = db
      .prepare('select rating, event, tags, location_lat, location_lon from items where id = ?')
      .get(tagged.id) as {
      rating: number;
      event: string;
      tags: string;
      location_lat: number;
      location_lon: number;
    };
    db.close();
    assert.equal(row.rating, 5);
    assert.equal(row.event, 'EV-RIVER-1');
    assert.deepEqual(JSON.parse(row.tags), ['lion', 'dusk']);
    assert.ok(Math.abs(row.location_lat + 1.2921) < 1e-6 && Math.abs(row.location_lon - 36.8219) < 1e-6);
  });
});

describe('config and usage errors', () => {
  it('lists every bad key of the config file at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outpost-cfg-'));
    const cfg = join(dir, 'config.yaml');
    writeFileSync(
      cfg,
      'libary: /x\ningest:\n  thumbnailSize: huge\n  nameTemplate: "{YYYY}.{ext}"\nstation:\n  watchRoots: [relative]\n',
    );
    const r = await outpost(['ls', '--json'], { env: { OUTPOST_CONFIG: cfg } });
    assert.equal(r.code, 2);
    for (const k of ['libary', 'ingest.thumbnailSize', 'ingest.nameTemplate', 'station.watchRoots'])
      assert.match(r.stderr, new RegExp(k.replace('.', '\\.')));
    assert.equal(json<{ error: { code: string } }>(r).error.code, 'CONFIG_INVALID');
    rmSync(dir, { recursive: true });
  });

  it('a missing card or a non-library target gets a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outpost-usage-'));
    const r1 = await outpost(['ingest', join(dir, 'nope'), '--library', dir]);
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /not an Outpost library drive[\s\S]*init-drive/);
    await outpost(['init-drive', join(dir, 'lib')]);
    const r2 = await outpost(['ingest', join(dir, 'nope'), '--library', join(dir, 'lib')]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /CARD_NOT_FOUND/);
    const r3 = await outpost(['ingest', '--help']);
    assert.equal(r3.code, 0);
    assert.match(r3.stdout, /--monitor/);
    rmSync(dir, { recursive: true });
  });
});
