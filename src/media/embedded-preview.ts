/**
 * The JPEG previews cameras embed in RAW files (and in many JPEGs and HEIFs), extracted
 * with ExifTool: the way to a thumbnail when the main image cannot be decoded here.
 */
import type { ProcessRunner } from '../adapters/process-runner.js';

/** Embedded images, in the order cameras usually size them (largest first). */
export const EMBEDDED_PREVIEW_TAGS = ['JpgFromRaw', 'PreviewImage', 'ThumbnailImage'] as const;

export interface EmbeddedPreview {
  /** A JPEG. */
  image: Buffer;
  tag: (typeof EMBEDDED_PREVIEW_TAGS)[number];
  /** EXIF orientation of the main image, which the preview shares. */
  orientation?: number;
}

/** One ExifTool run for all candidates: JSON with binary values as `base64:`, numeric Orientation. */
export function embeddedPreviewArgs(filePath: string): string[] {
  return ['-json', '-b', '-n', ...EMBEDDED_PREVIEW_TAGS.map((t) => `-${t}`), '-Orientation', filePath];
}

function isJpeg(b: Buffer): boolean {
  return b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** The largest embedded JPEG in ExifTool's JSON output, with the main image's orientation. */
export function pickEmbeddedPreview(stdout: string): EmbeddedPreview | undefined {
  let first: unknown;
  try {
    const parsed: unknown = JSON.parse(stdout);
    first = Array.isArray(parsed) ? parsed[0] : undefined;
  } catch {
    return undefined;
  }
  if (typeof first !== 'object' || first === null) return undefined;
  const rec = first as Record<string, unknown>;
  let best: EmbeddedPreview | undefined;
  for (const tag of EMBEDDED_PREVIEW_TAGS) {
    const v = rec[tag];
    if (typeof v !== 'string' || !v.startsWith('base64:')) continue;
    const image = Buffer.from(v.slice('base64:'.length), 'base64');
    if (!isJpeg(image)) continue;
    if (!best || image.length > best.image.length) best = { image, tag };
  }
  if (!best) return undefined;
  const o = rec.Orientation;
  if (typeof o === 'number' && Number.isInteger(o) && o >= 1 && o <= 8) best.orientation = o;
  return best;
}

/** Run ExifTool and return the largest embedded JPEG preview, if any. */
export async function extractEmbeddedPreview(
  runner: ProcessRunner,
  filePath: string,
  signal?: AbortSignal,
): Promise<EmbeddedPreview | undefined> {
  const res = await runner.run('exiftool', embeddedPreviewArgs(filePath), {
    ...(signal ? { signal } : {}),
    timeoutMs: 60_000,
    maxStdoutBytes: 256 * 1024 * 1024,
  });
  signal?.throwIfAborted();
  return pickEmbeddedPreview(res.stdout.toString('utf8'));
}
