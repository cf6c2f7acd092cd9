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

/** exifr on the XMP packet only (old editors and some cameras keep the capture date only there). */
const XMP_OPTIONS = {
  xmp: true,
  tiff: false,
  exif: false,
  gps: false,
  ifd1: false,
  mergeOutput: false,
  reviveValues: false,
  firstChunkSize: 256 * 1024,
} as const;

/** An XMP date ('2010-04-13T09:37:22+02:00', 'Z' or no zone) as EXIF-style tags. */
export function xmpDateTags(value: unknown): RawTags | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    String(value ?? '').trim(),
  );
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec = '00', zone] = m;
  const offset =
    zone === undefined ? undefined : zone === 'Z' ? '+00:00' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  return {
    DateTimeOriginal: `${y}:${mo}:${d} ${h}:${mi}:${sec}`,
    ...(offset ? { OffsetTimeOriginal: offset } : {}),
  };
}

/**
 * The capture date an XMP packet holds, when the EXIF block has none (ExifTool reads these too):
 * exif:DateTimeOriginal, photoshop:DateCreated, then xmp:CreateDate — never ModifyDate or
 * MetadataDate, which are when someone edited the file.
 */
async function readXmpDate(filePath: string): Promise<RawTags | undefined> {
  try {
    const out = (await exifr.parse(filePath, XMP_OPTIONS)) as
      Record<string, Record<string, unknown>> | undefined;
    if (!out) return undefined;
    for (const v of [
      out['exif']?.['DateTimeOriginal'],
      out['photoshop']?.['DateCreated'],
      out['xmp']?.['CreateDate'],
    ]) {
      const tags = xmpDateTags(v);
      if (tags) return tags;
    }
  } catch (e) {
    if (isEnvironmentFault(e)) throw e;
  }
  return undefined;
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

  // No capture date in EXIF: an XMP packet may hold one (issue 13 §1.7).
  const exifTags = tags;
  let xmpDate = false;
  if (!tags || (tags.DateTimeOriginal === undefined && tags.CreateDate === undefined)) {
    const fromXmp = await readXmpDate(filePath);
    if (fromXmp) {
      tags = { ...(tags ?? {}), ...fromXmp };
      xmpDate = true;
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
    } else if (!heif && !exifTags) {
      warnings.push({
        code: 'DECODE_FAILED',
        message: `Not a readable image: ${header.error ?? 'no dimensions in the header'}`,
      });
    }
  }

  if (!exifTags) {
    const unknown = xmpDate
      ? 'camera and position are unknown (capture time read from XMP)'
      : 'capture time, camera and position are unknown';
    warnings.push({
      code: 'NO_METADATA',
      message:
        exif.error !== undefined
          ? `Could not read the EXIF metadata (${exif.error}); ${unknown}`
          : `No EXIF metadata in the file; ${unknown}`,
    });
  }
  return { facts, warnings };
}
