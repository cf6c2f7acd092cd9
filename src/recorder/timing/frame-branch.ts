/**
 * The per-frame timing output of a camera's ffmpeg (docs/recorder.md, "Frame timing"): one more
 * output on fd 5 that sees the same frames as the recording. Pure.
 *
 * Re-encoded recordings: the branch runs the recording's timing filters (the start gate and the
 * frame rate; turning and scaling change no times) on a 24×2 crop of each frame, and `geq` writes
 * three times into the pixels of each tiny frame: the source's own time before the gate (camera
 * clock), the time after the chain (the recording's time line) and ffmpeg's wall clock as the
 * frame passed the filters (read once per frame). 48 bytes a frame.
 *
 * Stream copies are not decoded: the branch copies the packets to `framecrc`, one text line per
 * frame with its pts; Node stamps the wall clock as each line arrives (a frame late, see the doc).
 */
import { transformFilter, type VideoTransform } from '../transform.js';

/** The fd the timing output is written to (`stdio[5]`; fds 3 and 4 may be unused then). */
export const TIMING_FD = 5;
/** Encoded mode: bytes per frame on fd 5 (a 24×2 gray frame; row 0 carries the times). */
export const TIMING_FRAME_BYTES = 48;
export const TIMING_WIDTH = 24;
/** Byte 19 of each frame: a constant that tells the reader it is in step. */
export const TIMING_MARK = 0xa5;
/** Signed times are stored offset by 2^47 µs in 6 bytes. */
export const SIGNED_OFFSET_US = 2 ** 47;

export type TimingFormat = 'pixels' | 'framecrc';

/** Byte k (little-endian) of the time expression `us` (µs, an integer). */
function byteOf(us: string, k: string): string {
  return `mod(floor((${us})/pow(256,${k})),256)`;
}

const SIGNED_T = `floor(T*1000000+0.5)+${SIGNED_OFFSET_US}`;

/**
 * The branch's filter chain. `transform` is the recording's: only its gate and fps take part,
 * so the branch keeps exactly the frames the recording keeps (but see the doc on the gate).
 */
export function timingFilter(transform: VideoTransform | undefined): string {
  const timing = transformFilter({
    ...(transform?.startAtMs !== undefined ? { startAtMs: transform.startAtMs } : {}),
    ...(transform?.fps ? { fps: transform.fps } : {}),
  });
  return [
    `crop=${TIMING_WIDTH}:2:0:0`,
    'format=gray',
    // Camera clock: the source's time (ffmpeg counts it from the source's first frame).
    `geq=lum='if(lt(X,6),${byteOf(SIGNED_T, 'X')},0)'`,
    ...(timing ? [timing] : []),
    // The recording's time line.
    `geq=lum='if(lt(X,6),p(X,Y),if(lt(X,12),${byteOf(SIGNED_T, 'X-6')},0))'`,
    // The wall clock, read once per frame (pixel 0 runs first and keeps it in variable 1 for the
    // rest of row 0). The pts stays the recording's: ffmpeg's -progress out_time is the largest
    // end time of all outputs, and the recorder anchors runs on it.
    `geq=lum='0*if(eq(X,0)*eq(Y,0),st(1,floor(time(0)*1000000)),0)+if(lt(X,12),p(X,Y),if(gt(Y,0),0,if(lt(X,19),${byteOf('ld(1)', 'X-12')},if(eq(X,19),${TIMING_MARK},0))))'`,
  ].join(',');
}

/** The output's argv: which of the two formats follows from whether the recording is a copy. */
export function timingOutputArgs(o: { copy: boolean; transform?: VideoTransform | undefined }): {
  args: string[];
  format: TimingFormat;
} {
  const tail = ['-flush_packets', '1', `pipe:${TIMING_FD}`];
  if (o.copy)
    return { format: 'framecrc', args: ['-map', '0:v:0', '-an', '-c:v', 'copy', '-f', 'framecrc', ...tail] };
  return {
    format: 'pixels',
    args: [
      '-map',
      '0:v:0',
      '-an',
      '-vf',
      timingFilter(o.transform),
      '-c:v',
      'rawvideo',
      '-f',
      'rawvideo',
      ...tail,
    ],
  };
}
