import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { after, before, describe, it, it as nodeIt } from 'node:test';
import sharp from 'sharp';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import { renderDerivatives } from '../../../src/media/derive-image.js';
import { hammingDistance } from '../../../src/media/phash.js';
import type { DeriveResult, ProbeResult } from '../../../src/media/types.js';
import { generatedPhotosDir, makeRawLikeTiff, photosDir } from '../../kit/generated-media.js';
import { CORPUS_TIER_SKIP } from '../../kit/paths.js';
import {
  allFiles,
  CORPUS_PHOTOS,
  decodedSize,
  exiftoolOracle,
  isJpegFile,
  isWebpFile,
  oracleLocal,
  type OracleRecord,
} from './helpers.js';

const THUMB = 320;
const PREVIEW = 1600;
/** Upright variants differ only by the digit printed in the middle (corpus) or not at all (generated). */
const SAME_PICTURE_MAX_BITS = 6;

interface Outcome {
  file: string;
  probe?: ProbeResult;
  derive?: DeriveResult;
  error?: unknown;
  thumbPath: string;
  previewPath: string;
}

const analyzer = createMediaAnalyzer({ runner: nodeProcessRunner });
/** A file of the kit's photo set (the real corpus when it is there, else the generated one). */
const photo = (...parts: string[]): string => join(photosDir(), ...parts);
const codes = (ws: { code: string }[] | undefined): string[] => (ws ?? []).map((w) => w.code);

async function run(file: string, name: string, dir: string): Promise<Outcome> {
  const o: Outcome = {
    file,
    thumbPath: join(dir, `${name}-thumb.webp`),
    previewPath: join(dir, `${name}-preview.jpg`),
  };
  try {
    o.probe = await analyzer.probe(file, 'photo', { timeZone: 'Africa/Nairobi' });
    o.derive = await analyzer.derive(
      file,
      'photo',
      { thumbPath: o.thumbPath, previewPath: o.previewPath, posterPath: join(dir, `${name}-poster.jpg`) },
      { thumbSize: THUMB, previewSize: PREVIEW },
    );
  } catch (e) {
    o.error = e;
  }
  return o;
}

/**
 * The analyzer over a whole photo set, with ExifTool as the oracle: the generated set always,
 * the real-camera corpus (the corpus tier) when it is there. Both have the same layout and names.
 */
function describePhotoSet(title: string, dirOf: () => string, skip: string | false): void {
  describe(title, () => {
    // Each test reports the skip (a skipped suite is not counted in node's summary).
    const it = (name: string, fn: () => void | Promise<void>): void => {
      nodeIt(name, skip ? { skip } : {}, fn);
    };
    let root: string;
    let files: string[] = [];
    const outcomes = new Map<string, Outcome>();
    let oracle: Map<string, OracleRecord>;
    let work: string;
    const rel = (f: string): string => relative(root, f);
    const get = (r: string): Outcome => {
      const o = outcomes.get(join(root, r));
      assert.ok(o, `no outcome for ${r}`);
      return o;
    };

    before(async () => {
      if (skip) return;
      root = dirOf();
      files = allFiles(root).filter((f) => f.toLowerCase().endsWith('.jpg'));
      work = await mkdtemp(join(tmpdir(), 'outpost-media-photos-'));
      for (const f of files) outcomes.set(f, await run(f, rel(f).replaceAll('/', '_'), work));
      oracle = await exiftoolOracle(files, [
        'IFD0:Make',
        'IFD0:Model',
        'IFD0:Orientation',
        'ExifIFD:DateTimeOriginal',
        'ExifIFD:OffsetTimeOriginal',
        'MakerNotes:DateTimeOriginal',
        'File:ImageWidth',
        'File:ImageHeight',
        'File:ExifByteOrder',
        'Composite:GPSLatitude',
        'Composite:GPSLongitude',
      ]);
    });
    after(async () => {
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('covers the whole corpus', () => {
      assert.ok(files.length >= 50, `only ${files.length} corpus files`);
      assert.equal(oracle.size, files.length);
    });

    it('never throws on any file', () => {
      for (const o of outcomes.values())
        assert.equal(o.error, undefined, `${rel(o.file)}: ${String(o.error)}`);
    });

    it('gives good photos a capture time, make/model and dimensions that match ExifTool', () => {
      let good = 0;
      for (const f of files) {
        const ex = oracle.get(f) ?? {};
        const facts = get(rel(f)).probe?.facts;
        const dto = ex['ExifIFD:DateTimeOriginal'];
        if (dto === undefined || ex['IFD0:Make'] === undefined) continue;
        good++;
        const offset = ex['ExifIFD:OffsetTimeOriginal'];
        assert.deepEqual(
          facts?.capturedAt,
          offset
            ? { local: oracleLocal(dto), offset, source: 'exif' }
            : { local: oracleLocal(dto), source: 'exif' },
          rel(f),
        );
        assert.equal(facts?.make, String(ex['IFD0:Make']), rel(f));
        assert.equal(facts?.model, String(ex['IFD0:Model']), rel(f));
        assert.equal(facts?.width, ex['File:ImageWidth'], rel(f));
        assert.equal(facts?.height, ex['File:ImageHeight'], rel(f));
      }
      assert.ok(good >= 25, `only ${good} photos with DateTimeOriginal and Make`);
    });

    it('reads the dimensions and orientation of every file as ExifTool does', () => {
      for (const f of files) {
        const ex = oracle.get(f) ?? {};
        const facts = get(rel(f)).probe?.facts;
        assert.equal(facts?.width, ex['File:ImageWidth'], rel(f));
        assert.equal(facts?.height, ex['File:ImageHeight'], rel(f));
        assert.equal(facts?.orientation, ex['IFD0:Orientation'], rel(f));
      }
    });

    it('matches ExifTool on GPS position and DateTimeOriginal for the gps/ photos', () => {
      const gpsFiles = files.filter((f) => rel(f).startsWith('gps/'));
      assert.ok(gpsFiles.length >= 9);
      for (const f of gpsFiles) {
        const ex = oracle.get(f) ?? {};
        const facts = get(rel(f)).probe?.facts;
        assert.equal(facts?.capturedAt?.local, oracleLocal(ex['ExifIFD:DateTimeOriginal']), rel(f));
        assert.ok(facts?.gps, `${rel(f)} has no position`);
        assert.ok(Math.abs(facts.gps.lat - Number(ex['Composite:GPSLatitude'])) < 1e-6, rel(f));
        assert.ok(Math.abs(facts.gps.lon - Number(ex['Composite:GPSLongitude'])) < 1e-6, rel(f));
      }
    });

    it('finds a position wherever ExifTool does (other folders too), and none elsewhere', () => {
      for (const f of files) {
        const ex = oracle.get(f) ?? {};
        const gps = get(rel(f)).probe?.facts.gps;
        const lat = ex['Composite:GPSLatitude'];
        const lon = ex['Composite:GPSLongitude'];
        if (lat === undefined || (lat === 0 && lon === 0)) {
          assert.equal(gps, undefined, rel(f));
          continue;
        }
        assert.ok(gps, rel(f));
        assert.ok(Math.abs(gps.lat - Number(lat)) < 1e-6 && Math.abs(gps.lon - Number(lon)) < 1e-6, rel(f));
      }
    });

    it("reads the trail camera's capture time from its maker note, as ExifTool does", () => {
      const f = join(root, 'Reconyx_HC500_Hyperfire.jpg');
      const ex = oracle.get(f) ?? {};
      const makerDate = Object.entries(ex).find(([k]) => k.endsWith(':DateTimeOriginal'))?.[1];
      assert.ok(makerDate, 'ExifTool finds a maker-note date');
      const facts = get('Reconyx_HC500_Hyperfire.jpg').probe?.facts;
      assert.deepEqual(facts?.capturedAt, { local: oracleLocal(makerDate), source: 'exif' });
      assert.equal(facts?.make, 'RECONYX');
    });

    it('warns NO_METADATA exactly for the files where ExifTool finds no EXIF', () => {
      let without = 0;
      for (const f of files) {
        const hasExif = oracle.get(f)?.['File:ExifByteOrder'] !== undefined;
        const warned = codes(get(rel(f)).probe?.warnings).includes('NO_METADATA');
        assert.equal(warned, !hasExif, rel(f));
        if (!hasExif) without++;
      }
      assert.ok(without >= 7, 'invalid/* have no EXIF');
    });

    it('reads the XMP capture date ExifTool finds in files without EXIF (invalid/*)', async () => {
      const noExif = files.filter((f) => oracle.get(f)?.['File:ExifByteOrder'] === undefined);
      const res = await nodeProcessRunner.run('exiftool', [
        '-json',
        '-G1',
        '-XMP-exif:DateTimeOriginal',
        '-XMP-photoshop:DateCreated',
        '-XMP-xmp:CreateDate',
        ...noExif,
      ]);
      let dated = 0;
      for (const r of JSON.parse(res.stdout.toString('utf8')) as Record<string, string>[]) {
        const d = r['XMP-exif:DateTimeOriginal'] ?? r['XMP-photoshop:DateCreated'] ?? r['XMP-xmp:CreateDate'];
        const got = get(rel(String(r['SourceFile']))).probe?.facts.capturedAt?.local;
        if (d === undefined) {
          assert.equal(got, undefined, String(r['SourceFile']));
          continue;
        }
        dated++;
        assert.equal(
          got,
          d.slice(0, 19).replace(/^(\d{4}):(\d{2}):(\d{2}) /, '$1-$2-$3T'),
          String(r['SourceFile']),
        );
      }
      if (root === CORPUS_PHOTOS) assert.ok(dated >= 2, `dated files without EXIF: ${dated}`);
    });

    it('still makes derivatives for invalid/* (their pixels are fine) and warns about their metadata', () => {
      const invalid = files.filter((f) => rel(f).startsWith('invalid/'));
      assert.equal(invalid.length, 7);
      for (const f of invalid) {
        const o = get(rel(f));
        assert.ok(codes(o.probe?.warnings).length > 0, `${rel(f)} has no warning`);
        assert.equal(o.derive?.thumb, true, rel(f));
        assert.equal(o.derive?.preview, true, rel(f));
      }
    });

    it('warns about corrupted.jpg, whose pixels libvips cannot decode, and uses its embedded preview', async () => {
      // The oracle: a strict libvips decode of the file fails.
      await assert.rejects(sharp(join(root, 'corrupted.jpg')).raw().toBuffer());
      const o = get('corrupted.jpg');
      assert.deepEqual(codes(o.derive?.warnings), ['DECODE_FAILED']);
      assert.match(o.derive?.warnings[0]?.message ?? '', /embedded/);
      assert.equal(o.derive?.thumb, true);
      assert.equal(o.derive?.preview, true);
      // Its metadata is intact.
      assert.equal(o.probe?.facts.make, 'OLYMPUS IMAGING CORP.');
    });

    it('writes a JPEG preview and a WebP thumbnail within the requested sizes, with a pHash', async () => {
      for (const o of outcomes.values()) {
        if (!o.derive?.thumb) continue;
        assert.ok(await isJpegFile(o.previewPath), `${rel(o.file)} preview is not a JPEG`);
        assert.ok(await isWebpFile(o.thumbPath), `${rel(o.file)} thumb is not a WebP`);
        const t = await decodedSize(o.thumbPath);
        const p = await decodedSize(o.previewPath);
        assert.ok(Math.max(t.width, t.height) <= THUMB, `${rel(o.file)} thumb ${t.width}x${t.height}`);
        assert.ok(Math.max(p.width, p.height) <= PREVIEW, `${rel(o.file)} preview ${p.width}x${p.height}`);
        assert.match(o.derive.phash ?? '', /^[0-9a-f]{16}$/, rel(o.file));
        assert.equal(o.derive.poster, false);
      }
      // Big photos are actually shrunk to the requested sizes.
      const nokia = get('mobile/HMD_Nokia_8.3_5G.jpg');
      assert.deepEqual(await decodedSize(nokia.previewPath), { width: PREVIEW, height: 686 });
      assert.deepEqual(await decodedSize(nokia.thumbPath), { width: THUMB, height: 137 });
    });

    for (const kind of ['landscape', 'portrait'] as const) {
      it(`makes upright thumbnails for ${kind}_1..8 whatever their EXIF orientation`, async () => {
        const ref = get(`orientation/${kind}_1.jpg`).derive?.phash;
        assert.ok(ref);
        for (let n = 1; n <= 8; n++) {
          const o = get(`orientation/${kind}_${n}.jpg`);
          assert.equal(o.probe?.facts.orientation, n);
          const t = await decodedSize(o.thumbPath);
          if (kind === 'landscape')
            assert.ok(t.width > t.height, `${kind}_${n} thumb is ${t.width}x${t.height}`);
          else assert.ok(t.height > t.width, `${kind}_${n} thumb is ${t.width}x${t.height}`);
          const d = hammingDistance(ref, o.derive?.phash ?? '');
          assert.ok(d <= SAME_PICTURE_MAX_BITS, `${kind}_${n} is ${d} bits from ${kind}_1`);
        }
      });
    }

    it('would notice a thumbnail that is not upright (the check above can fail)', async () => {
      const ref = get('orientation/landscape_1.jpg').derive?.phash ?? '';
      for (const n of [3, 6, 8]) {
        // Decode ignoring the EXIF tag: the picture stays as stored (rotated).
        const r = await renderDerivatives(
          { input: join(root, 'orientation', `landscape_${n}.jpg`), orientation: 1 },
          { thumbSize: THUMB, previewSize: PREVIEW },
        );
        assert.ok(hammingDistance(ref, r.phash) > SAME_PICTURE_MAX_BITS, `stored landscape_${n}`);
      }
      assert.ok(hammingDistance(ref, get('orientation/portrait_1.jpg').derive?.phash ?? '') > 20);
    });

    it('orients embedded previews by hand exactly as libvips does from EXIF', async () => {
      for (const kind of ['landscape', 'portrait']) {
        for (let n = 1; n <= 8; n++) {
          const input = join(root, 'orientation', `${kind}_${n}.jpg`);
          const auto = await renderDerivatives({ input }, { thumbSize: THUMB, previewSize: PREVIEW });
          const manual = await renderDerivatives(
            { input, orientation: n },
            { thumbSize: THUMB, previewSize: PREVIEW },
          );
          assert.deepEqual([manual.width, manual.height], [auto.width, auto.height], `${kind}_${n}`);
          const a = await sharp(auto.preview).raw().toBuffer();
          const m = await sharp(manual.preview).raw().toBuffer();
          let diff = 0;
          for (let i = 0; i < a.length; i++) diff += Math.abs((a[i] as number) - (m[i] as number));
          assert.ok(diff / a.length < 1, `${kind}_${n}: mean difference ${diff / a.length}`);
        }
      }
    });
  });
}

describePhotoSet('media analyzer on the generated photo set', generatedPhotosDir, false);
describePhotoSet(
  'media analyzer on the real-camera corpus (corpus tier)',
  () => CORPUS_PHOTOS,
  CORPUS_TIER_SKIP,
);

describe('media analyzer on damaged and unusual files', () => {
  let dir: string;
  const derive = (file: string): Promise<DeriveResult> =>
    analyzer.derive(
      file,
      'photo',
      {
        thumbPath: `${file}.thumb.webp`,
        previewPath: `${file}.preview.jpg`,
        posterPath: `${file}.poster.jpg`,
      },
      { thumbSize: THUMB, previewSize: PREVIEW },
    );

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outpost-media-damaged-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads the capture date of a photo whose only metadata is XMP (old editors, some cameras)', async () => {
    const file = join(dir, 'xmp-only.jpg');
    await writeFile(
      file,
      await sharp({ create: { width: 64, height: 48, channels: 3, background: '#357' } })
        .jpeg()
        .toBuffer(),
    );
    // As old Photoshop/Fireworks exports carry it: a CreateDate with a zone, a later ModifyDate.
    await nodeProcessRunner.run('exiftool', [
      '-overwrite_original',
      '-XMP-xmp:CreateDate=2010:04:13 09:37:22+02:00',
      '-XMP-xmp:ModifyDate=2012:08:27 15:36:36Z',
      file,
    ]);
    const probe = await analyzer.probe(file, 'photo', { timeZone: 'UTC' });
    assert.deepEqual(probe.facts.capturedAt?.local, '2010-04-13T09:37:22');
    const warning = probe.warnings.find((w) => w.code === 'NO_METADATA');
    assert.ok(warning, 'still no EXIF');
    assert.match(warning.message, /capture time read from XMP/);
    assert.doesNotMatch(warning.message, /capture time, camera/);
  });

  it('warns TRUNCATED for a JPEG cut short, and still makes derivatives', async () => {
    const whole = await readFile(photo('mobile', 'HMD_Nokia_8.3_5G.jpg'));
    const cut = join(dir, 'cut.jpg');
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    // The oracle: libvips refuses it when asked to fail on truncation.
    await assert.rejects(sharp(cut, { failOn: 'truncated' }).raw().toBuffer(), /premature end/i);
    const d = await derive(cut);
    assert.deepEqual(codes(d.warnings), ['TRUNCATED']);
    assert.equal(d.thumb, true);
    assert.equal(d.preview, true);
    const p = await analyzer.probe(cut, 'photo', { timeZone: 'UTC' });
    assert.equal(p.facts.make, 'HMD Global');
  });

  it('does not warn for data after the end-of-image marker (motion photos, maker trailers)', async () => {
    const trailer = join(dir, 'trailer.jpg');
    const jpeg = await readFile(photo('gps', 'DSCN0010.jpg'));
    await writeFile(trailer, Buffer.concat([jpeg, Buffer.alloc(300_000, 0x5a)]));
    const d = await derive(trailer);
    assert.deepEqual(d.warnings, []);
    assert.equal(d.thumb, true);
  });

  it('warns (no throw) for files that are not images at all', async () => {
    for (const [name, bytes] of [
      ['random.jpg', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 256))],
      ['empty.jpg', Buffer.alloc(0)],
      ['header-only.jpg', (await readFile(photo('gps', 'DSCN0010.jpg'))).subarray(0, 300)],
      ['random.heic', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31 + 7) % 256))],
      ['random.png', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31 + 7) % 256))],
    ] as const) {
      const file = join(dir, name);
      await writeFile(file, bytes);
      const p = await analyzer.probe(file, 'photo', { timeZone: 'UTC' });
      const d = await derive(file);
      assert.ok(codes(d.warnings).includes('NO_DERIVATIVES'), `${name}: ${JSON.stringify(d.warnings)}`);
      assert.equal(d.thumb, false, name);
      assert.equal(d.phash, undefined, name);
      if (name !== 'header-only.jpg') assert.ok(p.warnings.length > 0, `${name} probe has no warning`);
    }
  });

  it('makes RAW derivatives from the embedded JPEG preview (ExifTool), with no warning', async () => {
    // A RAW-like TIFF as NEF files are laid out: thumbnail in IFD0, the JPEG preview in a SubIFD.
    const raw = join(dir, 'camera.nef');
    await makeRawLikeTiff(raw, { preview: { width: 1200, height: 800 } });
    const embedded = await nodeProcessRunner.run('exiftool', ['-b', '-JpgFromRaw', raw]);
    const size = await sharp(embedded.stdout).metadata();
    const d = await derive(raw);
    assert.deepEqual(d.warnings, []);
    assert.equal(d.thumb, true);
    assert.deepEqual(await decodedSize(`${raw}.preview.jpg`), { width: size.width, height: size.height });
  });

  it('stops when the run is cancelled', async () => {
    const file = photo('gps', 'DSCN0010.jpg');
    const signal = AbortSignal.abort();
    await assert.rejects(analyzer.probe(file, 'photo', { timeZone: 'UTC', signal }), { name: 'AbortError' });
    await assert.rejects(
      analyzer.derive(
        file,
        'photo',
        {
          thumbPath: join(dir, 'a.webp'),
          previewPath: join(dir, 'a.jpg'),
          posterPath: join(dir, 'a.poster.jpg'),
        },
        { thumbSize: THUMB, previewSize: PREVIEW, signal },
      ),
      { name: 'AbortError' },
    );
  });

  it('throws for an environment fault on the output, not for the file', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const file = photo('gps', 'DSCN0010.jpg');
    await assert.rejects(
      analyzer.derive(
        file,
        'photo',
        {
          thumbPath: join(blocker, 'sub', 't.webp'),
          previewPath: join(blocker, 'sub', 'p.jpg'),
          posterPath: join(blocker, 'sub', 'x.jpg'),
        },
        { thumbSize: THUMB, previewSize: PREVIEW },
      ),
    );
    assert.equal(basename(blocker), 'not-a-dir');
  });
});
