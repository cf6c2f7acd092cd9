/**
 * Still-image facts: exifr for the EXIF/GPS blocks (raw strings, no date revival), sharp's
 * header read for the pixel dimensions, and ExifTool as a fallback for RAW/HEIF files that
 * exifr cannot read. Never throws for a bad file: problems become warnings.
 */
import exifr from 'exifr';
import sharp from 'sharp';
import { extensionOf, isRaw } from '../core/media-types.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { exiftoolFactsArgs, factsFromTags, parseExiftoolJson, type RawTags } from './exif-values.js';
import { isEnvironmentFault, firstLine } from './faults.js';
import type { MediaFacts, MediaWarning, ProbeResult } from './types.js';

/** exifr: only the blocks we use, raw values (dates stay 'YYYY:MM:DD HH:MM:SS' strings). */
const EXIFR_OPTIONS = {
  tiff: true,
  exif: true,
  gps: true,
  ifd1: false,
  interop: false,
  // Read as raw bytes, only used to recognise trail-camera maker notes (Reconyx).
  makerNote: true,
  userComment: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
  translateKeys: true,
  translateValues: false,
  reviveValues: false,
  mergeOutput: true,
  sanitize: true,
  // exifr's default 512-byte first read misses an EXIF block that follows an ICC profile
  // or XMP packet (it then reports no EXIF at all); 256 KB covers real files for ~0.1 ms.
  firstChunkSize: 256 * 1024,
} as const;

const HEIF_EXTENSIONS = new Set(['heic', 'heif']);

export interface ImageProbeOptions {
  /** Needed for the ExifTool fallback (RAW, HEIF); without it only exifr is used. */
  runner?: ProcessRunner;
  signal?: AbortSignal;
}

async function readExifr(filePath: string): Promise<{ tags?: RawTags; error?: string }> {
  try {
    const out: unknown = await exifr.parse(filePath, EXIFR_OPTIONS);
    if (typeof out !== 'object' || out === null) return {};
    const { errors: _errors, ...tags } = out as RawTags;
    return Object.keys(tags).length > 0 ? { tags } : {};
  } catch (e) {
    if (isEnvironmentFault(e)) throw e;
    return { error: firstLine(e) };
  }
}

async function readExiftool(
  runner: ProcessRunner,
  filePath: string,
  signal: AbortSignal | undefined,
): Promise<RawTags | undefined> {
  const res = await runner.run('exiftool', exiftoolFactsArgs(filePath), {
    ...(signal ? { signal } : {}),
    timeoutMs: 60_000,
    maxStdoutBytes: 4 * 1024 * 1024,
  });
  const tags = parseExiftoolJson(res.stdout.toString('utf8'));
  if (!tags) return undefined;
  const { SourceFile: _src, ...rest } = tags;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

async function readHeader(filePath: string): Promise<{ width?: number; height?: number; error?: string }> {
  try {
    const m = await sharp(filePath, { failOn: 'none' }).metadata();
    return { width: m.width, height: m.height };
  } catch (e) {
    if (isEnvironmentFault(e)) throw e;
    return { error: firstLine(e) };
  }
}

/** Facts of a still image (JPEG, PNG, TIFF, HEIC/HEIF, camera RAW). */
export async function probeImage(filePath: string, opts: ImageProbeOptions = {}): Promise<ProbeResult> {
  const warnings: MediaWarning[] = [];
  const ext = extensionOf(filePath);
  const raw = isRaw(filePath);
  const heif = HEIF_EXTENSIONS.has(ext);

  const exif = await readExifr(filePath);
  let tags = exif.tags;
  if (raw && tags) {
    // A RAW's IFD0 often describes an embedded thumbnail, not the picture.
    const { ImageWidth: _w, ImageHeight: _h, ...rest } = tags;
    tags = rest;
  }
  // exifr reads TIFF-based RAWs and most HEIFs; ExifTool covers the rest (CR3, ORF, RW2,
  // odd HEIFs) and files whose EXIF exifr chokes on.
  const incomplete =
    !tags ||
    tags.DateTimeOriginal === undefined ||
    tags.Make === undefined ||
    (raw && tags.ExifImageWidth === undefined);
  if (opts.runner && (exif.error !== undefined || ((raw || heif) && incomplete))) {
    try {
      const fromTool = await readExiftool(opts.runner, filePath, opts.signal);
      if (fromTool) {
        // exifr values win where both exist: they are the ones tested across the corpus.
        tags = { ...fromTool, ...(tags ?? {}) };
      }
    } catch (e) {
      if (isEnvironmentFault(e)) throw e;
    }
  }

  const facts: MediaFacts = tags ? factsFromTags(tags) : {};

  // Pixel dimensions: the image header is authoritative for formats libvips reads; EXIF
  // copies go stale after edits. A RAW's TIFF header describes an embedded thumbnail, so
  // RAW dimensions come from the metadata.
  if (!raw) {
    const header = await readHeader(filePath);
    if (header.width && header.height) {
      facts.width = header.width;
      facts.height = header.height;
    } else if (!heif && !tags) {
      warnings.push({
        code: 'DECODE_FAILED',
        message: `Not a readable image: ${header.error ?? 'no dimensions in the header'}`,
      });
    }
  }

  if (!tags) {
    warnings.push({
      code: 'NO_METADATA',
      message:
        exif.error !== undefined
          ? `Could not read the EXIF metadata (${exif.error}); capture time, camera and position are unknown`
          : 'No EXIF metadata in the file; capture time, camera and position are unknown',
    });
  }
  return { facts, warnings };
}
