/**
 * Splits a byte stream of concatenated JPEGs (ffmpeg `-f mjpeg` / `-f image2pipe -c:v mjpeg`) into
 * frames. Pure: bytes in, frames out; chunk boundaries may fall anywhere, even inside a marker.
 *
 * It walks the JPEG marker structure instead of searching for the next FF D9, because APPn
 * segments may hold an EXIF thumbnail with its own SOI/EOI: segment lengths are skipped, and only
 * inside entropy-coded data is `FF xx` a marker (FF 00 is a stuffed byte, FF D0..D7 restarts).
 * Bytes outside a frame (garbage, a torn first frame) are skipped until the next SOI. Memory is
 * bounded: a frame that grows past `maxFrameBytes` is dropped and the splitter looks for the next
 * SOI.
 */

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

/** 4 MiB: a 1080p JPEG at high quality is ~1 MiB; the live stream is ≤ 640 px wide. */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

export interface JpegSplitterOptions {
  /** A frame longer than this is dropped (bounded memory against a stream that never ends a frame). */
  maxFrameBytes?: number;
}

export interface JpegSplitterStats {
  frames: number;
  /** Frames dropped for growing past maxFrameBytes. */
  oversize: number;
  /** Frames dropped for a broken marker structure (a new SOI inside one, a bad segment length). */
  corrupt: number;
  /** Bytes skipped outside frames. */
  skippedBytes: number;
}

type State =
  | 'seek' // outside a frame, looking for FF D8
  | 'seek-ff' // outside a frame, just saw FF
  | 'marker' // inside a frame, expecting FF (start of the next marker)
  | 'marker-code' // inside a frame, saw FF, expecting the marker code
  | 'len1' // first byte of a segment length
  | 'len2' // second byte
  | 'skip' // inside a segment's payload
  | 'entropy' // entropy-coded data after SOS
  | 'entropy-ff'; // entropy-coded data, just saw FF

export class JpegSplitter {
  readonly stats: JpegSplitterStats = { frames: 0, oversize: 0, corrupt: 0, skippedBytes: 0 };
  private readonly max: number;
  private state: State = 'seek';
  /** Earlier chunks' parts of the current frame. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  private segLen = 0;
  private skipLeft = 0;
  private segIsSos = false;

  constructor(opts: JpegSplitterOptions = {}) {
    this.max = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!(this.max >= 4)) throw new RangeError('maxFrameBytes must be at least 4');
  }

  /** Feed the next chunk; returns the frames it completed (each a fresh Buffer, SOI..EOI). */
  push(chunk: Uint8Array): Buffer[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const frames: Buffer[] = [];
    /** Where the current frame starts in `buf` (-1: it started in an earlier chunk, or none). */
    let start = this.inFrame() ? 0 : -1;
    let i = 0;
    const n = buf.length;
    const beginAt = (sofPos: number): void => {
      // sofPos is the D8; its FF is the byte before, possibly in the previous chunk.
      this.parts = [];
      this.partBytes = 0;
      if (sofPos === 0) {
        this.parts.push(Buffer.from([0xff]));
        this.partBytes = 1;
        start = 0;
      } else start = sofPos - 1;
      this.state = 'marker';
    };
    const drop = (why: 'oversize' | 'corrupt'): void => {
      this.stats[why]++;
      this.parts = [];
      this.partBytes = 0;
      start = -1;
      this.state = 'seek';
    };

    while (i < n) {
      // Bound memory: a frame that already holds `max` bytes may not take another one.
      if (start >= 0 && this.partBytes + (i - start) >= this.max) {
        drop('oversize');
        continue;
      }
      const b = buf[i]!;
      switch (this.state) {
        case 'seek': {
          const ff = b === 0xff ? i : buf.indexOf(0xff, i);
          this.stats.skippedBytes += (ff < 0 ? n : ff) - i;
          if (ff < 0) i = n;
          else {
            i = ff + 1;
            this.state = 'seek-ff';
          }
          break;
        }
        case 'seek-ff':
          if (b === SOI) {
            beginAt(i);
            i++;
          } else if (b === 0xff) {
            this.stats.skippedBytes++;
            i++;
          } else {
            this.stats.skippedBytes += 2;
            this.state = 'seek';
            i++;
          }
          break;
        case 'marker':
          if (b === 0xff) {
            this.state = 'marker-code';
            i++;
          } else {
            drop('corrupt');
          }
          break;
        case 'marker-code':
        case 'entropy-ff': {
          const inEntropy = this.state === 'entropy-ff';
          i++;
          if (b === 0xff) break; // fill byte
          if (inEntropy && (b === 0x00 || (b >= 0xd0 && b <= 0xd7))) {
            this.state = 'entropy'; // stuffed byte or restart marker
            break;
          }
          if (b === EOI) {
            const tail = buf.subarray(start, i);
            const frame =
              this.parts.length === 0
                ? Buffer.from(tail)
                : Buffer.concat([...this.parts, tail], this.partBytes + tail.length);
            frames.push(frame);
            this.stats.frames++;
            this.parts = [];
            this.partBytes = 0;
            start = -1;
            this.state = 'seek';
          } else if (b === SOI) {
            this.stats.corrupt++; // a new image before the last one ended: keep the new one
            beginAt(i - 1);
          } else if (b === 0x01 || (b >= 0xd0 && b <= 0xd7)) {
            this.state = 'marker'; // standalone markers (TEM, RSTn) have no length
          } else {
            this.segIsSos = b === SOS;
            this.state = 'len1';
          }
          break;
        }
        case 'len1':
          this.segLen = b << 8;
          this.state = 'len2';
          i++;
          break;
        case 'len2':
          this.segLen |= b;
          i++;
          if (this.segLen < 2) {
            drop('corrupt');
            break;
          }
          this.skipLeft = this.segLen - 2;
          this.state = this.skipLeft > 0 ? 'skip' : this.segIsSos ? 'entropy' : 'marker';
          break;
        case 'skip': {
          const take = Math.min(this.skipLeft, n - i);
          this.skipLeft -= take;
          i += take;
          if (this.skipLeft === 0) this.state = this.segIsSos ? 'entropy' : 'marker';
          break;
        }
        case 'entropy': {
          const ff = buf.indexOf(0xff, i);
          if (ff < 0) i = n;
          else {
            i = ff + 1;
            this.state = 'entropy-ff';
          }
          break;
        }
      }
    }
    if (start >= 0) {
      // The frame goes on in the next chunk; copy so the caller's chunk can be reused.
      if (this.partBytes + (n - start) > this.max) drop('oversize');
      else {
        const part = Buffer.from(buf.subarray(start, n));
        this.parts.push(part);
        this.partBytes += part.length;
      }
    }
    return frames;
  }

  /** Forget a partial frame (the source restarted: its next bytes start a new stream). */
  reset(): void {
    this.parts = [];
    this.partBytes = 0;
    this.state = 'seek';
  }

  private inFrame(): boolean {
    return this.state !== 'seek' && this.state !== 'seek-ff';
  }
}

/** True when `b` starts with SOI and ends with EOI (a whole JPEG as far as markers tell). */
export function looksLikeJpeg(b: Uint8Array): boolean {
  const n = b.length;
  return n >= 4 && b[0] === 0xff && b[1] === SOI && b[n - 2] === 0xff && b[n - 1] === EOI;
}
