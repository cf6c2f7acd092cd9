/**
 * Is an upload a whole JPEG? Starts with SOI (FF D8 FF), ends with EOI (FF D9, trailing padding
 * allowed), and libvips decodes it without error. The decode makes the day strip's thumbnail at
 * the same time (shrink-on-load: a 1080p JPEG is decoded at 1/8 scale), so a snapshot costs one
 * decode.
 */
import { open } from 'node:fs/promises';
import sharp from 'sharp';

export type JpegProblem = 'empty' | 'not-jpeg' | 'truncated' | 'undecodable';

export type JpegCheck =
  | { ok: true; width: number; height: number; thumb: Buffer }
  | { ok: false; reason: JpegProblem; message: string };

/** Bytes at the end a camera may pad a JPEG with after EOI. */
const PADDING = new Set([0x00, 0x0a, 0x0d, 0x20, 0xff]);

export async function checkJpeg(file: string, thumbSize: number): Promise<JpegCheck> {
  const fh = await open(file, 'r');
  let size: number;
  const head = Buffer.alloc(3);
  const tail = Buffer.alloc(256);
  let tailLen = 0;
  try {
    size = (await fh.stat()).size;
    if (size === 0) return { ok: false, reason: 'empty', message: 'the upload is empty (0 bytes)' };
    await fh.read(head, 0, 3, 0);
    tailLen = Math.min(tail.length, size);
    await fh.read(tail, 0, tailLen, size - tailLen);
  } finally {
    await fh.close();
  }
  if (size < 3 || head[0] !== 0xff || head[1] !== 0xd8 || head[2] !== 0xff)
    return {
      ok: false,
      reason: 'not-jpeg',
      message: `not a JPEG: starts with ${head.subarray(0, Math.min(3, size)).toString('hex') || 'nothing'}`,
    };
  let end = tailLen;
  while (end > 0 && PADDING.has(tail[end - 1]!)) end--;
  if (!(end >= 2 && tail[end - 2] === 0xff && tail[end - 1] === 0xd9))
    return {
      ok: false,
      reason: 'truncated',
      message: `truncated JPEG: no end-of-image marker (${size} bytes)`,
    };
  try {
    const img = sharp(file, { failOn: 'error', sequentialRead: true, autoOrient: true });
    const [meta, thumb] = await Promise.all([
      img.metadata(),
      img
        .clone()
        .resize({ width: thumbSize, height: thumbSize, fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 70 })
        .toBuffer(),
    ]);
    return { ok: true, width: meta.width ?? 0, height: meta.height ?? 0, thumb };
  } catch (e) {
    return {
      ok: false,
      reason: 'undecodable',
      message: `the JPEG does not decode: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}
