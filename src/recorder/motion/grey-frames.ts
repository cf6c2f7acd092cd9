/**
 * Raw grey frames from ffmpeg (`-f rawvideo -pix_fmt gray`, one byte per pixel, no headers) →
 * frames of width × height with timestamps. The `fps` filter upstream makes the rate constant,
 * so a frame's time is `startTime + index / fps`.
 */
import { gateFilter } from '../transform.js';

export interface GreyFrame {
  /** width × height grey bytes; a fresh buffer per frame (the consumer may keep it). */
  data: Uint8Array;
  index: number;
  /** Seconds on the caller's clock. */
  t: number;
}

export interface GreyStreamOptions {
  width: number;
  height: number;
  fps: number;
  /** Time of frame 0 (e.g. wall-clock seconds when capture started). Default 0. */
  startTime?: number;
}

/** Splits a byte stream (a Node Readable, or any async iterable of chunks) into frames. */
export async function* readGreyFrames(
  stream: AsyncIterable<Uint8Array | string>,
  opts: GreyStreamOptions,
): AsyncGenerator<GreyFrame> {
  const size = opts.width * opts.height;
  if (!(size > 0)) throw new RangeError(`grey frames: bad size ${opts.width}×${opts.height}`);
  const start = opts.startTime ?? 0;
  let frame = new Uint8Array(size);
  let filled = 0;
  let index = 0;
  for await (const chunk of stream) {
    if (typeof chunk === 'string')
      throw new TypeError('grey frames: the stream must be binary (no encoding)');
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(size - filled, chunk.length - off);
      frame.set(chunk.subarray(off, off + take), filled);
      filled += take;
      off += take;
      if (filled === size) {
        yield { data: frame, index, t: start + index / opts.fps };
        index++;
        frame = new Uint8Array(size);
        filled = 0;
      }
    }
  }
}

/** Analysis frame size for a source: `height` rows, width by aspect ratio, both even. */
export function greyFrameSize(
  srcWidth: number,
  srcHeight: number,
  height = 120,
): { width: number; height: number } {
  const h = Math.max(2, Math.round(height / 2) * 2);
  const w = Math.max(2, Math.round((srcWidth * h) / srcHeight / 2) * 2);
  return { width: w, height: h };
}

/**
 * Decoder options (before `-i`) for a decode that only feeds the detector: one thread (threading
 * costs CPU for no gain at these sizes) and no deblocking filter (invisible at 120 px, ~15 % of
 * H.264 decoding). Not for a decode that also feeds recordings or the live view.
 */
export function greyInputArgs(): string[] {
  return ['-threads', '1', '-skip_loop_filter', 'all'];
}

/**
 * ffmpeg output options for the detector's frames (one more output of the capture process, or a
 * process of its own): constant rate, exact size (the reader must know it), grey, raw.
 */
export function greyOutputArgs(opts: {
  fps: number;
  width: number;
  height: number;
  output?: string;
  /** A gated recording (a fleet session's instant): the detector's time line starts with it. */
  startAtMs?: number | undefined;
}): string[] {
  const gate = opts.startAtMs === undefined ? '' : `${gateFilter(opts.startAtMs)},`;
  return [
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    `${gate}fps=${opts.fps},scale=${opts.width}:${opts.height}:flags=area,format=gray`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'gray',
    opts.output ?? 'pipe:1',
  ];
}
