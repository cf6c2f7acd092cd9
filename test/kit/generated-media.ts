/**
 * Test photos generated here, so the suite needs nothing beside the checkout: a stand-in for
 * `../shared/corpus/photos` with the same layout and file names (tests address files the same
 * way whichever set they get) and the same kinds of file — EXIF from several makers in both
 * byte orders, GPS (north, south, a (0, 0) placeholder), all eight orientations, XMP, a
 * Reconyx maker note, no EXIF at all, a JPEG whose pixels cannot be decoded but which embeds
 * a thumbnail, phone-sized photos. Also a RAW-like TIFF and HEIC files on demand.
 *
 * The pixels are seeded value noise (no fonts, no SVG): every picture is different in its low
 * frequencies, so perceptual hashes of different pictures are far apart, and the eight
 * orientation files store one picture transformed so that applying their EXIF orientation
 * gives it back upright. Metadata is written by ExifTool (one run for the whole set), the tool
 * the tests also use as their oracle. Output is byte-for-byte the same on every run.
 *
 * Run as a script (`node generated-media.js DIR`) to write the photo set into DIR: the test
 * kit calls it synchronously from a child process (see fixtures.ts), `scripts/run-tests.mjs`
 * once per run.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp, { type Sharp } from 'sharp';
import { CORPUS_PHOTOS, HAVE_CORPUS, REPO_ROOT } from './paths.js';
import { prng } from './prng.js';

/** Written last into a generated directory: the set is complete. */
export const GENERATED_READY = '.complete';

interface GpsSpec {
  lat: number;
  lon: number;
  alt?: number;
}

interface PhotoSpec {
  /** Path inside the set, as in the corpus. */
  path: string;
  /** Size of the upright picture (orientations 5..8 store it turned a quarter). */
  width: number;
  height: number;
  /** Byte order of the EXIF block; no EXIF block at all when neither this nor a tag is set. */
  byteOrder?: 'II' | 'MM';
  make?: string;
  model?: string;
  /** EXIF orientation (1..8); the stored pixels are the upright picture turned accordingly. */
  orientation?: number;
  /** `YYYY:MM:DD HH:MM:SS` */
  dateTimeOriginal?: string;
  offsetTimeOriginal?: string;
  gps?: GpsSpec;
  /** Other ExifTool assignments (`-TAG=VALUE`), e.g. XMP or IFD0 text. */
  tags?: Record<string, string>;
  /** A Reconyx HyperFire maker note carrying this capture time (and no standard date tags). */
  reconyxDate?: string;
  /** Embed a 160-pixel JPEG thumbnail (IFD1), as cameras do. */
  thumbnail?: boolean;
  /** Make the scan undecodable (its header points at Huffman tables the file does not define). */
  undecodable?: boolean;
  /** Picture seed (default: the path); files sharing a seed show the same picture. */
  seed?: string;
  quality?: number;
  /** Sensor grain (see picture); default 10. */
  grain?: number;
}

const maker = (
  name: string,
  make: string,
  model: string,
  dateTimeOriginal: string,
  width: number,
  height: number,
  more: Partial<PhotoSpec> = {},
): PhotoSpec => ({
  path: name,
  make,
  model,
  dateTimeOriginal,
  width,
  height,
  byteOrder: 'II',
  orientation: 1,
  ...more,
});

const GPS_SET: [string, string, number, number][] = [
  ['DSCN0010', '2008:10:22 16:28:39', 43.4674483333333, 11.8851266666639],
  ['DSCN0012', '2008:10:22 16:29:49', 43.4671566666639, 11.8853949999972],
  ['DSCN0021', '2008:10:22 16:38:20', 43.4670816666639, 11.8845383333306],
  ['DSCN0025', '2008:10:22 16:43:21', 43.468365, 11.8816349999722],
  ['DSCN0027', '2008:10:22 16:44:01', 43.4684416666667, 11.881515],
  ['DSCN0029', '2008:10:22 16:46:53', 43.4682433333306, 11.8801716666389],
  ['DSCN0038', '2008:10:22 16:52:15', 43.4672549999972, 11.8792133333333],
  ['DSCN0040', '2008:10:22 16:55:37', 43.4660116666389, 11.8791116666389],
  ['DSCN0042', '2008:10:22 17:00:07', 43.464455, 11.8814783333333],
];

const INVALID_SET: [string, number, number][] = [
  ['image00971', 636, 227],
  ['image01088', 425, 120],
  ['image01137', 88, 64],
  ['image01551', 61, 58],
  ['image01713', 49, 500],
  ['image01980', 284, 25],
  ['image02206', 65, 65],
];

/** The photo set: the corpus's layout and names, each file of the same kind as its namesake. */
export const PHOTO_SPECS: readonly PhotoSpec[] = [
  maker('Canon_40D.jpg', 'Canon', 'Canon EOS 40D', '2008:05:30 15:56:01', 100, 68),
  {
    path: 'Canon_40D_photoshop_import.jpg',
    width: 100,
    height: 77,
    byteOrder: 'MM',
    orientation: 1,
    tags: { 'IFD0:Software': 'Adobe Photoshop CS3 Windows', 'IFD0:ModifyDate': '2008:06:02 10:11:12' },
  },
  maker('Canon_DIGITAL_IXUS_400.jpg', 'Canon', 'Canon DIGITAL IXUS 400', '2004:08:27 13:52:55', 100, 75, {
    orientation: undefined,
  }),
  maker('Canon_PowerShot_S40.jpg', 'Canon', 'Canon PowerShot S40', '2003:12:14 12:01:44', 480, 360),
  maker('Fujifilm_FinePix6900ZOOM.jpg', 'FUJIFILM', 'FinePix6900ZOOM', '2001:02:19 06:40:05', 100, 75, {
    byteOrder: 'MM',
  }),
  maker('Fujifilm_FinePix_E500.jpg', 'FUJIFILM', 'FinePix E500', '2006:08:17 09:24:48', 59, 100, {
    byteOrder: 'MM',
  }),
  maker(
    'Kodak_CX7530.jpg',
    'EASTMAN KODAK COMPANY',
    'KODAK CX7530 ZOOM DIGITAL CAMERA',
    '2005:08:13 09:47:23',
    100,
    78,
    { gps: { lat: -0.3713, lon: 36.0564166666667 } },
  ),
  maker('Konica_Minolta_DiMAGE_Z3.jpg', 'KONICA MINOLTA', 'DiMAGE Z3', '2005:03:10 15:10:48', 70, 100, {
    byteOrder: 'MM',
  }),
  maker('Nikon_COOLPIX_P1.jpg', 'NIKON', 'COOLPIX P1', '2008:03:07 09:55:46', 100, 75),
  maker('Nikon_D70.jpg', 'NIKON CORPORATION', 'NIKON D70', '2008:03:15 09:52:01', 100, 66),
  maker('Olympus_C8080WZ.jpg', 'OLYMPUS CORPORATION', 'C8080WZ', '2006:10:22 15:44:29', 100, 72),
  {
    path: 'PaintTool_sample.jpg',
    width: 88,
    height: 100,
    byteOrder: 'II',
    orientation: 1,
    tags: { 'IFD0:Software': 'PaintTool SAI' },
  },
  maker('Panasonic_DMC-FZ30.jpg', 'Panasonic', 'DMC-FZ30', '2008:07:16 11:33:20', 100, 75),
  maker('Pentax_K10D.jpg', 'PENTAX Corporation', 'PENTAX K10D', '2008:05:04 16:47:24', 100, 72),
  // A trail camera: no Make, no standard date; the time is in its maker note.
  {
    path: 'Reconyx_HC500_Hyperfire.jpg',
    width: 2048,
    height: 1536,
    byteOrder: 'II',
    grain: 25,
    reconyxDate: '2020:03:16 10:00:00',
    tags: { 'ExifIFD:ISO': '100' },
  },
  maker('Ricoh_Caplio_RR330.jpg', 'Caplio', 'RR330', '2004:08:31 19:52:58', 100, 75, {
    orientation: undefined,
  }),
  maker(
    'Samsung_Digimax_i50_MP3.jpg',
    'Samsung Techwin',
    '<Digimax i50 MP3, Samsung #1 MP3>',
    '2006:08:15 17:50:57',
    100,
    75,
  ),
  // A camcorder that writes a (0, 0) placeholder position: no position.
  maker('Sony_HDR-HC3.jpg', 'SONY', 'HDR-HC3', '2007:06:15 04:42:32', 100, 64, { gps: { lat: 0, lon: 0 } }),
  maker('WWL_(Polaroid)_ION230.jpg', 'WWL', 'ION230', '2026:11:24 14:41:16', 75, 100),
  maker('corrupted.jpg', 'OLYMPUS IMAGING CORP.', 'u1020,S1020', '2015:09:08 11:02:17', 2592, 1944, {
    grain: 30,
    quality: 90,
    thumbnail: true,
    undecodable: true,
  }),
  ...GPS_SET.map(([name, date, lat, lon], i) =>
    maker(`gps/${name}.jpg`, 'NIKON', 'COOLPIX P6000', date, 640, 480, {
      gps: { lat, lon, alt: 250 + i * 3.5 },
      grain: 40,
    }),
  ),
  // No EXIF at all (an editor's XMP only); the pixels are fine. Odd sizes and aspect ratios.
  ...INVALID_SET.map(([name, width, height]): PhotoSpec => ({
    path: `invalid/${name}.jpg`,
    width,
    height,
    tags: {
      'XMP-xmp:CreatorTool': 'Adobe Fireworks CS5 11.0.0.484 Windows',
      'XMP-xmp:CreateDate': '2011:09:23 12:43:03Z',
    },
  })),
  {
    path: 'long_description.jpg',
    width: 100,
    height: 73,
    byteOrder: 'MM',
    orientation: 1,
    tags: {
      'IFD0:ImageDescription': Array.from(
        { length: 60 },
        (_, i) => `Line ${i + 1} of a very long image description written by the camera's owner.`,
      ).join(' '),
    },
  },
  maker('mobile/HMD_Nokia_8.3_5G.jpg', 'HMD Global', 'Nokia 8.3 5G', '2022:08:14 14:12:31', 2304, 988, {
    byteOrder: 'MM',
    offsetTimeOriginal: '+03:00',
    gps: { lat: 60.1467055555556, lon: 24.9067722222222, alt: 12.3 },
    grain: 35,
    quality: 90,
  }),
  maker('mobile/jolla.jpg', 'Jolla', 'Jolla', '2014:09:21 16:00:56', 1632, 1224, { grain: 25 }),
  ...(['landscape', 'portrait'] as const).flatMap((kind) =>
    Array.from({ length: 8 }, (_, i): PhotoSpec => ({
      path: `orientation/${kind}_${i + 1}.jpg`,
      width: kind === 'landscape' ? 600 : 450,
      height: kind === 'landscape' ? 450 : 600,
      byteOrder: i === 0 ? 'II' : 'MM',
      orientation: i + 1,
      seed: `orientation/${kind}`,
    })),
  ),
  {
    path: 'xmp/BlueSquare.jpg',
    width: 360,
    height: 216,
    byteOrder: 'MM',
    orientation: 1,
    tags: {
      'IFD0:ImageDescription': 'XMP test file, with EXIF and an XMP packet',
      'IFD0:Software': 'Adobe Photoshop CS2 Macintosh',
      'IFD0:ModifyDate': '2005:09:07 15:09:51',
      'XMP-dc:Title': 'Blue Square Test File',
      'XMP-xmp:Rating': '3',
      'XMP-photoshop:DateCreated': '2005:09:07 15:01:43',
    },
  },
  {
    path: 'xmp/no_exif.jpg',
    width: 322,
    height: 466,
    tags: { 'XMP-dc:Description': 'An image with XMP and no EXIF block', 'XMP-xmp:Rating': '2' },
  },
];

function seedOf(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32LE(0);
}

/**
 * Seeded RGB value noise, raw 8-bit: a coarse random colour field for the picture's layout
 * plus finer octaves for texture.
 */
function valueNoise(seed: string, width: number, height: number): Buffer {
  const rnd = prng(seedOf(seed));
  const long = Math.max(width, height);
  const acc = new Float32Array(width * height * 3);
  for (const [cells, amp] of [
    [4, 1],
    [11, 0.35],
    [37, 0.12],
    [97, 0.06],
  ] as const) {
    const gx = Math.max(1, Math.round((cells * width) / long));
    const gy = Math.max(1, Math.round((cells * height) / long));
    const row = gx + 1;
    const v = new Float32Array(row * (gy + 1) * 3);
    for (let i = 0; i < v.length; i++) v[i] = (rnd() - 0.5) * amp;
    // Cell index and smoothstep weight of every column and row.
    const cell = (n: number, g: number): [Int32Array, Float32Array] => {
      const idx = new Int32Array(n);
      const wt = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        const u = (k / Math.max(1, n - 1)) * g;
        const i = Math.min(g - 1, Math.floor(u));
        const f = u - i;
        idx[k] = i;
        wt[k] = f * f * (3 - 2 * f);
      }
      return [idx, wt];
    };
    const [xi, xw] = cell(width, gx);
    const [yi, yw] = cell(height, gy);
    for (let y = 0; y < height; y++) {
      const j = yi[y]!;
      const fw = yw[y]!;
      for (let x = 0; x < width; x++) {
        const i = xi[x]!;
        const fu = xw[x]!;
        const a = (j * row + i) * 3;
        const b = a + row * 3;
        const o = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) {
          const top = v[a + c]! * (1 - fu) + v[a + 3 + c]! * fu;
          const bottom = v[b + c]! * (1 - fu) + v[b + 3 + c]! * fu;
          acc[o + c]! += top * (1 - fw) + bottom * fw;
        }
      }
    }
  }
  const base = [rnd() * 140 + 60, rnd() * 140 + 60, rnd() * 140 + 60];
  const out = Buffer.alloc(acc.length);
  for (let k = 0; k < acc.length; k++)
    out[k] = Math.max(0, Math.min(255, Math.round(base[k % 3]! + acc[k]! * 220)));
  return out;
}

/** Seeded grey sensor grain around 128 (neutral in a soft-light blend), raw 8-bit RGB. */
function grainTile(seed: string, size: number, amplitude: number): Buffer {
  const rnd = prng(seedOf(`grain:${seed}`));
  const b = Buffer.alloc(size * size * 3);
  for (let i = 0; i < b.length; i += 3) {
    const v = Math.max(0, Math.min(255, Math.round(128 + (rnd() - 0.5) * 2 * amplitude)));
    b[i] = v;
    b[i + 1] = v;
    b[i + 2] = v;
  }
  return b;
}

/**
 * The upright picture for `seed`, `width` x `height` pixels: drawn at most 320 pixels wide or
 * high and scaled up (libvips does the large sizes quickly), with fine sensor grain of
 * `grain` (0..127) so that files have the sizes of camera files.
 */
export async function picture(seed: string, width: number, height: number, grain = 0): Promise<Sharp> {
  const scale = Math.min(1, 320 / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  let img = sharp(valueNoise(seed, w, h), { raw: { width: w, height: h, channels: 3 } });
  if (w !== width || h !== height) img = img.resize(width, height, { fit: 'fill', kernel: 'cubic' });
  if (grain > 0) {
    const size = Math.min(256, width, height);
    img = img.composite([
      {
        input: grainTile(seed, size, grain),
        raw: { width: size, height: size, channels: 3 },
        tile: true,
        blend: 'soft-light',
      },
    ]);
  }
  // Materialised, so that later rotations apply to the finished picture.
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
}

/**
 * Store the upright picture so that a viewer applying EXIF `orientation` shows it upright:
 * the inverse of the orientation's transform (checked by decoding with auto-orientation).
 */
function stored(img: Sharp, orientation: number): Sharp {
  switch (orientation) {
    case 2:
      return img.flop();
    case 3:
      return img.rotate(180);
    case 4:
      return img.flip();
    case 5:
      return img.rotate(270).flop();
    case 6:
      return img.rotate(270);
    case 7:
      return img.rotate(90).flop();
    case 8:
      return img.rotate(90);
    default:
      return img;
  }
}

/** A Reconyx HyperFire maker note (little-endian words, as ExifTool's Reconyx module reads it). */
function reconyxMakerNote(date: string): Buffer {
  const b = Buffer.alloc(0x60);
  b.writeUInt16LE(0xf101, 0); // maker note version
  b.writeUInt16LE(0x0003, 2); // firmware 3.3.0
  b.writeUInt16LE(0x0003, 4);
  b.writeUInt16LE(0x0000, 6);
  b.write('T', 0x0c, 'latin1'); // trigger: time-lapse
  const [d, t] = date.split(' ') as [string, string];
  const [y, mo, day] = d.split(':').map(Number) as [number, number, number];
  const [h, mi, s] = t.split(':').map(Number) as [number, number, number];
  // seconds, minutes, hours, month, day, year
  [s, mi, h, mo, day, y].forEach((v, i) => b.writeUInt16LE(v, 0x16 + i * 2));
  b.writeInt16LE(1, 0x28); // ambient temperature, °C
  'HC5TEST0001'.split('').forEach((c, i) => b.writeUInt16LE(c.charCodeAt(0), 0x2a + i * 2));
  return b;
}

/**
 * Point the first scan's components at Huffman tables 2 and 3, which a baseline file never
 * defines: the header still reads (dimensions, EXIF), the pixels cannot be decoded.
 */
function breakScan(jpeg: Buffer): Buffer {
  let pos = 2;
  while (pos + 4 <= jpeg.length && jpeg[pos] === 0xff) {
    const marker = jpeg[pos + 1] as number;
    const len = jpeg.readUInt16BE(pos + 2);
    if (marker === 0xda) {
      const out = Buffer.from(jpeg);
      const n = out[pos + 4] as number;
      for (let i = 0; i < n; i++) out[pos + 6 + i * 2] = 0x23;
      return out;
    }
    pos += 2 + len;
  }
  throw new Error('no scan found in the JPEG');
}

function exiftoolArgs(spec: PhotoSpec, file: string, aux: string): string[] | undefined {
  const a: string[] = [];
  const set = (tag: string, value: string | number | undefined): void => {
    if (value !== undefined) a.push(`-${tag}=${value}`);
  };
  if (spec.byteOrder) set('ExifByteOrder', spec.byteOrder);
  set('IFD0:Make', spec.make);
  set('IFD0:Model', spec.model);
  if (spec.orientation !== undefined) set('IFD0:Orientation#', spec.orientation);
  set('ExifIFD:DateTimeOriginal', spec.dateTimeOriginal);
  set('ExifIFD:CreateDate', spec.dateTimeOriginal);
  set('ExifIFD:OffsetTimeOriginal', spec.offsetTimeOriginal);
  if (spec.make) set('ExifIFD:ExifVersion', '0230');
  if (spec.gps) {
    const { lat, lon, alt } = spec.gps;
    set('GPS:GPSVersionID', '2.2.0.0');
    set('GPS:GPSLatitude', Math.abs(lat));
    set('GPS:GPSLatitudeRef', lat < 0 ? 'S' : 'N');
    set('GPS:GPSLongitude', Math.abs(lon));
    set('GPS:GPSLongitudeRef', lon < 0 ? 'W' : 'E');
    if (alt !== undefined) {
      set('GPS:GPSAltitude', alt);
      set('GPS:GPSAltitudeRef#', 0);
    }
  }
  for (const [tag, value] of Object.entries(spec.tags ?? {})) set(tag, value);
  if (spec.reconyxDate) {
    const note = join(aux, `${seedOf(spec.path)}.makernote`);
    writeFileSync(note, reconyxMakerNote(spec.reconyxDate));
    a.push(`-MakerNotes<=${note}`);
  }
  if (spec.thumbnail) a.push(`-ThumbnailImage<=${file}.thumb`);
  if (a.length === 0) return undefined;
  return ['-overwrite_original', '-q', ...a, file, '-execute'];
}

/** Write the photo set into `dir` (created if needed); files are read-only, like the corpus's. */
export async function writePhotoSet(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const aux = mkdtempSync(join(dir, '.work-'));
  try {
    const args: string[] = [];
    for (const spec of PHOTO_SPECS) {
      const file = join(dir, spec.path);
      mkdirSync(dirname(file), { recursive: true });
      const upright = await picture(spec.seed ?? spec.path, spec.width, spec.height, spec.grain ?? 10);
      const jpeg = await stored(upright, spec.orientation ?? 1)
        .jpeg({ quality: spec.quality ?? 85 })
        .toBuffer();
      writeFileSync(file, jpeg);
      if (spec.thumbnail) {
        await sharp(jpeg).resize(160, 160, { fit: 'inside' }).jpeg({ quality: 80 }).toFile(`${file}.thumb`);
      }
      const a = exiftoolArgs(spec, file, aux);
      if (a) args.push(...a);
    }
    const argFile = join(aux, 'exiftool.args');
    writeFileSync(argFile, `${args.join('\n')}\n`);
    execFileSync('exiftool', ['-@', argFile], { stdio: 'pipe', timeout: 120_000 });
    for (const spec of PHOTO_SPECS) {
      const file = join(dir, spec.path);
      if (spec.thumbnail) rmSync(`${file}.thumb`);
      if (spec.undecodable) writeFileSync(file, breakScan(readFileSync(file)));
      chmodSync(file, 0o444);
    }
  } finally {
    rmSync(aux, { recursive: true, force: true });
  }
  writeFileSync(join(dir, GENERATED_READY), '');
}

function tiffEntry(tag: number, type: number, count: number, value: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(type, 2);
  b.writeUInt32LE(count, 4);
  if (type === 3 && count === 1) b.writeUInt16LE(value, 8);
  else b.writeUInt32LE(value, 8);
  return b;
}

const SHORT = 3;
const LONG = 4;
const ASCII = 2;

/**
 * A RAW-like TIFF, laid out as NEF/DNG files are: IFD0 holds a small uncompressed RGB
 * thumbnail and the camera's Make/Model/Orientation, a SubIFD holds the full-size JPEG preview
 * (ExifTool: JpgFromRaw), the EXIF IFD the capture time and the sensor size. No sensor data:
 * nothing here decodes RAW, and tests need only what a camera embeds. Returns the preview's size.
 */
export async function makeRawLikeTiff(
  path: string,
  opts: {
    seed?: string;
    make?: string;
    model?: string;
    dateTimeOriginal?: string;
    orientation?: number;
    preview?: { width: number; height: number };
  } = {},
): Promise<{ width: number; height: number }> {
  const seed = opts.seed ?? 'raw-like';
  const pw = opts.preview?.width ?? 1200;
  const ph = opts.preview?.height ?? 800;
  const tw = 160;
  const th = Math.round((160 * ph) / pw);
  const preview = await (await picture(seed, pw, ph, 25)).jpeg({ quality: 85 }).toBuffer();
  const thumb = await (await picture(seed, tw, th)).raw().toBuffer();
  const make = `${opts.make ?? 'NIKON CORPORATION'}\0`;
  const model = `${opts.model ?? 'NIKON D850'}\0`;
  const date = `${opts.dateTimeOriginal ?? '2023:07:14 05:42:10'}\0`;

  // Layout: header | IFD0 | SubIFD | ExifIFD | strings | thumbnail strip | preview JPEG.
  const ifd0Count = 15;
  const subCount = 4;
  const exifCount = 3;
  const ifdSize = (n: number): number => 2 + n * 12 + 4;
  const ifd0At = 8;
  const subAt = ifd0At + ifdSize(ifd0Count);
  const exifAt = subAt + ifdSize(subCount);
  let at = exifAt + ifdSize(exifCount);
  const place = (len: number): number => {
    const p = at;
    at += len + (len % 2);
    return p;
  };
  const bpsAt = place(6);
  const makeAt = place(make.length);
  const modelAt = place(model.length);
  const dateAt = place(date.length);
  const stripAt = place(thumb.length);
  const previewAt = place(preview.length);
  const out = Buffer.alloc(at);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(ifd0At, 4);
  const writeIfd = (pos: number, entries: Buffer[]): void => {
    out.writeUInt16LE(entries.length, pos);
    entries.forEach((e, i) => e.copy(out, pos + 2 + i * 12));
    out.writeUInt32LE(0, pos + 2 + entries.length * 12);
  };
  const ifd0 = [
    tiffEntry(0xfe, LONG, 1, 1), // NewSubfileType: reduced-resolution image
    tiffEntry(0x100, LONG, 1, tw),
    tiffEntry(0x101, LONG, 1, th),
    tiffEntry(0x102, SHORT, 3, bpsAt),
    tiffEntry(0x103, SHORT, 1, 1), // uncompressed
    tiffEntry(0x106, SHORT, 1, 2), // RGB
    tiffEntry(0x10f, ASCII, make.length, makeAt),
    tiffEntry(0x110, ASCII, model.length, modelAt),
    tiffEntry(0x111, LONG, 1, stripAt),
    tiffEntry(0x112, SHORT, 1, opts.orientation ?? 1),
    tiffEntry(0x115, SHORT, 1, 3),
    tiffEntry(0x116, LONG, 1, th),
    tiffEntry(0x117, LONG, 1, thumb.length),
    tiffEntry(0x14a, LONG, 1, subAt), // SubIFDs
    tiffEntry(0x8769, LONG, 1, exifAt), // ExifIFD
  ];
  if (ifd0.length !== ifd0Count) throw new Error('IFD0 entry count');
  writeIfd(ifd0At, ifd0);
  writeIfd(subAt, [
    tiffEntry(0xfe, LONG, 1, 1),
    tiffEntry(0x103, SHORT, 1, 6), // old-style JPEG
    tiffEntry(0x201, LONG, 1, previewAt),
    tiffEntry(0x202, LONG, 1, preview.length),
  ]);
  writeIfd(exifAt, [
    tiffEntry(0x9003, ASCII, date.length, dateAt),
    tiffEntry(0xa002, LONG, 1, pw * 4),
    tiffEntry(0xa003, LONG, 1, ph * 4),
  ]);
  [8, 8, 8].forEach((v, i) => out.writeUInt16LE(v, bpsAt + i * 2));
  out.write(make, makeAt, 'latin1');
  out.write(model, modelAt, 'latin1');
  out.write(date, dateAt, 'latin1');
  thumb.copy(out, stripAt);
  preview.copy(out, previewAt);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, out);
  return { width: pw, height: ph };
}

/** A real HEVC-coded HEIC made from a JPEG with libheif's encoder (keeps the EXIF block). */
export function makeHeic(fromJpeg: string, path: string, quality = 70): void {
  mkdirSync(dirname(path), { recursive: true });
  execFileSync('heif-enc', ['-q', String(quality), '-o', path, fromJpeg], { stdio: 'pipe' });
}

let generatedDir: string | undefined;

/**
 * The generated photo set, made on first use (synchronously, in a child process: the kit's
 * helpers are synchronous) into a temporary directory removed when this process exits.
 * `OUTPOST_TEST_MEDIA` names a set made beforehand (scripts/run-tests.mjs makes one per run).
 */
export function generatedPhotosDir(): string {
  if (generatedDir) return generatedDir;
  const given = process.env.OUTPOST_TEST_MEDIA;
  if (given && existsSync(join(given, GENERATED_READY))) return (generatedDir = given);
  const dir = mkdtempSync(join(tmpdir(), 'outpost-test-photos-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const self = fileURLToPath(import.meta.url);
  execFileSync(process.execPath, [...(self.endsWith('.ts') ? ['--import', 'tsx'] : []), self, dir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  return (generatedDir = dir);
}

/**
 * The photos the kit's helpers hand out: the real-camera corpus when it is there, else the
 * generated set (same layout and names, same kinds of file).
 */
export function photosDir(): string {
  return HAVE_CORPUS ? CORPUS_PHOTOS : generatedPhotosDir();
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: generated-media DIR');
    process.exit(2);
  }
  await writePhotoSet(resolve(dir));
}
