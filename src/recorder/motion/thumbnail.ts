/**
 * The motion event's thumbnail: a frame grabbed at the peak with the motion box drawn on it
 * (sharp composites an SVG rectangle), so a reviewer sees at a glance what moved.
 */
import sharp from 'sharp';
import type { ProcessRunner } from '../../adapters/process-runner.js';
import { posterArgs } from '../../media/derive-video.js';
import type { Box } from './detector.js';

export interface BoxThumbOptions {
  /** Output width in pixels (height by aspect). Default 320, the library thumbnail size. */
  width?: number;
  /** Default '#ff2020'. */
  color?: string;
  /** Default 'webp' (the library's thumbnail format). */
  format?: 'webp' | 'jpeg';
  quality?: number;
}

/** An SVG the size of the image with the box outlined (line width scales with the image). */
export function boxSvg(width: number, height: number, box: Box, color: string): string {
  const sw = Math.max(2, Math.round(width / 100));
  const clamp = (v: number, max: number): number => Math.min(Math.max(v, 0), max);
  const x0 = clamp(Math.round(box.x * width), width - 1);
  const y0 = clamp(Math.round(box.y * height), height - 1);
  const x1 = clamp(Math.round((box.x + box.w) * width), width);
  const y1 = clamp(Math.round((box.y + box.h) * height), height);
  // Inset by half the stroke so the whole line stays inside the image.
  const h = sw / 2;
  const rw = Math.max(x1 - x0 - sw, 1);
  const rh = Math.max(y1 - y0 - sw, 1);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect x="${x0 + h}" y="${y0 + h}" width="${rw}" height="${rh}" fill="none" stroke="${color}" stroke-width="${sw}"/></svg>`
  );
}

/** A still (JPEG/PNG/… bytes) → thumbnail with the box drawn (no box: just the thumbnail). */
export async function drawMotionBox(
  image: Buffer,
  box: Box | null,
  opts: BoxThumbOptions = {},
): Promise<Buffer> {
  const width = opts.width ?? 320;
  const resized = await sharp(image).resize({ width }).toBuffer({ resolveWithObject: true });
  let img = sharp(resized.data);
  if (box) {
    const svg = boxSvg(resized.info.width, resized.info.height, box, opts.color ?? '#ff2020');
    img = img.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  }
  const quality = opts.quality ?? 85;
  return (opts.format ?? 'webp') === 'webp'
    ? img.webp({ quality }).toBuffer()
    : img.jpeg({ quality }).toBuffer();
}

/** Grab the frame at `atSeconds` of the event clip and draw the box on it. */
export async function motionThumbnail(
  runner: ProcessRunner,
  videoPath: string,
  atSeconds: number,
  box: Box | null,
  opts: BoxThumbOptions & { signal?: AbortSignal } = {},
): Promise<Buffer> {
  const res = await runner.run('ffmpeg', posterArgs(videoPath, 'pipe:1', Math.max(0, atSeconds)), {
    ...(opts.signal ? { signal: opts.signal } : {}),
    timeoutMs: 60_000,
    maxStdoutBytes: 64 * 1024 * 1024,
  });
  if (res.code !== 0 || res.stdout.length === 0)
    throw new Error(`no frame at ${atSeconds}s of ${videoPath}: ${res.stderr.trim().split('\n').at(-1)}`);
  return drawMotionBox(res.stdout, box, opts);
}
