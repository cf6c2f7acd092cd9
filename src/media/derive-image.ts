/**
 * Thumbnail, preview and perceptual hash of a still image, from ONE decode of the original:
 * sharp reads the file (JPEG shrink-on-load, auto-orientation) straight into the preview
 * JPEG; the WebP thumbnail and the 32x32 grey square for the pHash come from that preview.
 * Damaged files still get derivatives where libvips can decode part of them, or from the
 * JPEG preview the camera embedded; what went wrong becomes a warning.
 */
import { open } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { writeFileAtomic } from '../adapters/fs-atomic.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { extensionOf, isRaw } from '../core/media-types.js';
import { extractEmbeddedPreview, type EmbeddedPreview } from './embedded-preview.js';
import { decodeHeif } from './heif.js';
import { firstLine, isEnvironmentFault, isProgrammingError } from './faults.js';
import { PHASH_INPUT_SIZE, phashFromGrey32 } from './phash.js';
import type { DeriveResult, MediaWarning } from './types.js';

export interface ImageSource {
  /** A file path (preferred: lets libvips shrink JPEGs while decoding) or encoded bytes. */
  input: string | Buffer;
  /**
   * EXIF orientation to apply by hand (1..8), for embedded previews whose orientation lives
   * in the parent file. When undefined the image's own EXIF orientation is applied.
   */
  orientation?: number;
}

export interface RenderOptions {
  thumbSize: number;
  previewSize: number;
  /** WebP quality of the thumbnail. */
  thumbQuality?: number;
  /** JPEG quality of the preview. */
  previewQuality?: number;
}

export interface Rendered {
  preview: Buffer;
  thumb: Buffer;
  phash: string;
  /** Upright preview dimensions. */
  width: number;
  height: number;
  /** Warnings libvips emitted while decoding (tolerated with failOn: 'none'). */
  decodeWarnings: string[];
}

const HEIF_EXTENSIONS = new Set(['heic', 'heif']);

/**
 * EXIF orientation → sharp operations. Checked pixel for pixel against sharp's own
 * auto-orientation on the orientation corpus (integration test).
 */
function orient(img: Sharp, o: number): Sharp {
  switch (o) {
    case 2:
      return img.flop();
    case 3:
      return img.rotate(180);
    case 4:
      return img.flip();
    case 5: // transpose
      return img.rotate(90).flip();
    case 6:
      return img.rotate(90);
    case 7: // transverse
      return img.rotate(90).flop();
    case 8:
      return img.rotate(270);
    default:
      return img;
  }
}

/**
 * Decode once, straight into the upright preview JPEG (one libvips pipeline: shrink-on-load,
 * orientation, resize, encode). The thumbnail and the pHash square come from that small
 * JPEG, which libvips shrinks again while decoding: a few milliseconds. No full-size or
 * preview-size raw buffer ever reaches JavaScript, which keeps the heap small on a Pi.
 * Throws when libvips cannot decode the input at all.
 */
export async function renderDerivatives(source: ImageSource, opts: RenderOptions): Promise<Rendered> {
  const decodeWarnings: string[] = [];
  const manual = source.orientation;
  let img = sharp(source.input, {
    // Keep whatever libvips can decode of a damaged file; damage is reported separately.
    failOn: 'none',
    autoOrient: manual === undefined,
    sequentialRead: true,
  });
  img.on('warning', (w: unknown) => decodeWarnings.push(String(w)));
  if (manual !== undefined) img = orient(img, manual);
  const { data: preview, info } = await img
    .resize({
      width: opts.previewSize,
      height: opts.previewSize,
      fit: 'inside',
      withoutEnlargement: true,
    })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: opts.previewQuality ?? 82, mozjpeg: false })
    .toBuffer({ resolveWithObject: true });

  const [thumb, grey] = await Promise.all([
    sharp(preview)
      .resize({ width: opts.thumbSize, height: opts.thumbSize, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: opts.thumbQuality ?? 70 })
      .toBuffer(),
    sharp(preview)
      .resize({ width: PHASH_INPUT_SIZE, height: PHASH_INPUT_SIZE, fit: 'fill' })
      .greyscale()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }),
  ]);
  const phash = phashFromGrey32(firstChannel(grey.data, grey.info.channels));
  return { preview, thumb, phash, width: info.width, height: info.height, decodeWarnings };
}

function firstChannel(data: Buffer, channels: number): Uint8Array {
  if (channels === 1) return data;
  const out = new Uint8Array(data.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = data[i * channels] as number;
  return out;
}

/** Write preview and thumbnail atomically (tmp + fsync + rename): never a half-written file. */
export async function writeDerivatives(
  r: Pick<Rendered, 'preview' | 'thumb'>,
  targets: { thumbPath: string; previewPath: string },
): Promise<void> {
  await Promise.all([
    writeFileAtomic(targets.previewPath, r.preview),
    writeFileAtomic(targets.thumbPath, r.thumb),
  ]);
}

interface FileShape {
  jpeg: boolean;
  /** ISO-BMFF container (`ftyp` box): HEIC/HEIF/AVIF. */
  bmff: boolean;
  /** JPEG whose last marker is EOI (ignoring trailing padding). */
  endsWithEoi: boolean;
}

/** Magic bytes and the JPEG end-of-image marker: a cheap truncation check (two small reads). */
async function inspectFile(filePath: string): Promise<FileShape> {
  const fh = await open(filePath, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(12);
    await fh.read(head, 0, 12, 0);
    const jpeg = size >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
    const bmff = size >= 12 && head.toString('latin1', 4, 8) === 'ftyp';
    if (!jpeg) return { jpeg, bmff, endsWithEoi: false };
    const n = Math.min(64, size);
    const tail = Buffer.alloc(n);
    await fh.read(tail, 0, n, size - n);
    let end = n;
    while (end > 0 && [0x00, 0x0a, 0x0d, 0x20].includes(tail[end - 1] as number)) end--;
    return { jpeg, bmff, endsWithEoi: end >= 2 && tail[end - 2] === 0xff && tail[end - 1] === 0xd9 };
  } finally {
    await fh.close();
  }
}

/** Decode strictly (failOn: 'warning') at a small size; the libvips error, if any. */
async function strictDecodeError(input: string | Buffer): Promise<string | undefined> {
  try {
    await sharp(input, { failOn: 'warning', sequentialRead: true })
      .resize({ width: 256, height: 256, fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer();
    return undefined;
  } catch (e) {
    return firstLine(e);
  }
}

const TRUNCATION_RE = /premature end|truncat|unexpected end|end of (?:file|stream|data)|short read/i;

function damageWarning(detail: string): MediaWarning {
  return TRUNCATION_RE.test(detail)
    ? {
        code: 'TRUNCATED',
        message: `The image data is cut short (${detail}); the thumbnail and preview show only the part that could be read`,
      }
    : {
        code: 'DECODE_FAILED',
        message: `The image data is damaged (${detail}); the thumbnail and preview may show grey or garbled areas`,
      };
}

const TRUNCATED_NO_EOI: MediaWarning = {
  code: 'TRUNCATED',
  message:
    'The JPEG file ends before its end-of-image marker: it was probably cut off while being written or copied',
};

function none(warnings: MediaWarning[]): DeriveResult {
  return { thumb: false, preview: false, poster: false, warnings };
}

async function tryEmbedded(
  runner: ProcessRunner,
  filePath: string,
  signal: AbortSignal | undefined,
): Promise<EmbeddedPreview | undefined> {
  try {
    return await extractEmbeddedPreview(runner, filePath, signal);
  } catch (e) {
    if (isEnvironmentFault(e)) throw e;
    return undefined;
  }
}

/** Render + write; a render failure becomes a warning, a write failure (ENOSPC, EIO) throws. */
export async function deriveFromSource(
  source: ImageSource,
  targets: { thumbPath: string; previewPath: string },
  opts: RenderOptions & { signal?: AbortSignal },
): Promise<DeriveResult & { rendered?: Rendered; error?: string }> {
  let rendered: Rendered;
  try {
    rendered = await renderDerivatives(source, opts);
  } catch (e) {
    if (isEnvironmentFault(e) || isProgrammingError(e)) throw e;
    return { ...none([]), error: firstLine(e) };
  }
  opts.signal?.throwIfAborted();
  await writeDerivatives(rendered, targets);
  return { thumb: true, preview: true, poster: false, phash: rendered.phash, warnings: [], rendered };
}

export interface DeriveImageOptions extends RenderOptions {
  signal?: AbortSignal;
}

/**
 * Derivatives of a photo file. JPEG/PNG/TIFF/HEIF are decoded by sharp; camera RAW files
 * through the JPEG preview embedded by the camera (ExifTool). Never throws for a bad file.
 */
export async function deriveImage(
  runner: ProcessRunner,
  filePath: string,
  targets: { thumbPath: string; previewPath: string },
  opts: DeriveImageOptions,
): Promise<DeriveResult> {
  opts.signal?.throwIfAborted();
  if (isRaw(filePath)) return deriveRaw(runner, filePath, targets, opts);

  const direct = await deriveFromSource({ input: filePath }, targets, opts);
  let shape: FileShape;
  try {
    shape = await inspectFile(filePath);
  } catch (e) {
    if (isEnvironmentFault(e)) throw e;
    shape = { jpeg: false, bmff: false, endsWithEoi: false };
  }

  if (direct.rendered) {
    const warnings: MediaWarning[] = [];
    // A lenient decode hides damage: confirm suspicions with a strict (small) decode. Files
    // with data after EOI (motion photos, maker trailers) pass the strict decode: no warning.
    if ((shape.jpeg && !shape.endsWithEoi) || direct.rendered.decodeWarnings.length > 0) {
      const strict = await strictDecodeError(filePath);
      if (strict !== undefined) warnings.push(damageWarning(strict));
    }
    return { thumb: true, preview: true, poster: false, phash: direct.phash, warnings };
  }

  const reason = direct.error ?? 'unknown error';
  const warnings: MediaWarning[] = [];
  // HEIC/HEIF (phones): libvips here has no HEVC decoder; libheif's converter does.
  let heifProblem: string | undefined;
  if (shape.bmff) {
    const heif = await decodeHeif(runner, filePath, opts.signal);
    if (heif.ok) {
      try {
        // heif-convert already applied the HEIF rotation boxes: no further orientation.
        const res = await deriveFromSource({ input: heif.decoded.jpegPath, orientation: 1 }, targets, opts);
        if (res.rendered) return { thumb: true, preview: true, poster: false, phash: res.phash, warnings };
        heifProblem = res.error;
      } finally {
        await heif.decoded.cleanup();
      }
    } else heifProblem = heif.reason;
  }
  // libvips could not decode it at all: the camera's embedded preview is the next best thing.
  if (shape.jpeg && !shape.endsWithEoi) warnings.push(TRUNCATED_NO_EOI);
  const embedded = await tryEmbedded(runner, filePath, opts.signal);
  if (embedded) {
    const fromPreview = await deriveFromSource(
      { input: embedded.image, orientation: embedded.orientation ?? 1 },
      targets,
      opts,
    );
    if (fromPreview.rendered) {
      warnings.push({
        code: 'DECODE_FAILED',
        message: `The image could not be decoded (${reason}); the thumbnail and preview come from the smaller preview image embedded in the file (${embedded.tag})`,
      });
      return { thumb: true, preview: true, poster: false, phash: fromPreview.phash, warnings };
    }
  }
  const heif = HEIF_EXTENSIONS.has(extensionOf(filePath)) && shape.bmff;
  warnings.push({
    code: 'NO_DERIVATIVES',
    message: heif
      ? `HEIC/HEIF image could not be decoded here (${heifProblem ?? reason}) and it has no embedded JPEG preview; the original is kept`
      : `No thumbnail or preview: the image could not be decoded (${reason}) and it has no usable embedded preview; the original is kept`,
  });
  return none(warnings);
}

async function deriveRaw(
  runner: ProcessRunner,
  filePath: string,
  targets: { thumbPath: string; previewPath: string },
  opts: DeriveImageOptions,
): Promise<DeriveResult> {
  const embedded = await tryEmbedded(runner, filePath, opts.signal);
  if (!embedded) {
    return none([
      {
        code: 'NO_DERIVATIVES',
        message:
          'No thumbnail or preview: this RAW file has no embedded JPEG preview (RAW sensor data is not decoded here); the original is kept',
      },
    ]);
  }
  const res = await deriveFromSource(
    { input: embedded.image, orientation: embedded.orientation ?? 1 },
    targets,
    opts,
  );
  if (res.rendered) return { thumb: true, preview: true, poster: false, phash: res.phash, warnings: [] };
  return none([
    {
      code: 'NO_DERIVATIVES',
      message: `No thumbnail or preview: the RAW file's embedded preview (${embedded.tag}) could not be decoded (${res.error ?? 'unknown error'}); the original is kept`,
    },
  ]);
}
