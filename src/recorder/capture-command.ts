/**
 * The one ffmpeg argv of a camera (docs/recorder.md): output A (encoded segments), and the
 * optional outputs B (grey rawvideo on fd 3, motion) and C (MJPEG on fd 4, live view). Pure.
 */
import { liveFilter, type OverlayPosition } from './live/overlay.js';
import { greyOutputArgs } from './motion/grey-frames.js';
import { rtspOutputArgs } from './live/rtsp-output.js';
import type { SourceSpec } from './sources.js';
import { gateFilter, transformFilter, transforms, type VideoTransform } from './transform.js';

/** Output A. Continuous: MP4 segments on the library drive; ring: 1 s MPEG-TS in RAM (motion pre-roll). */
export interface SegmentOutput {
  kind: 'continuous' | 'ring';
  /** Directory the segment files go to (`<dir>/%06d.mp4|ts`). */
  dir: string;
  /** ffmpeg's segment list (csv: file,start,end), appended when a segment closes. */
  listFile: string;
  seconds: number;
}

/** Output B: low-res grey frames for the motion detector, rawvideo `gray` on fd 3. */
export interface GreyOutput {
  fps: number;
  /**
   * The exact frame size (`greyFrameSize()` of the source): the reader splits the byte stream
   * by it, so the scaler is told both numbers, never `-2`.
   */
  width: number;
  height: number;
}

/** Output C: MJPEG frames for the live view on fd 4 (a stream of JPEGs, SOI…EOI). */
export interface MjpegOutput {
  fps: number;
  /** Maximum width; the height follows the aspect ratio. */
  width: number;
  /** Burn the wall-clock time into the frame. */
  timestamp: boolean;
  /** Its corner (default top-left). */
  position?: OverlayPosition | undefined;
  /** ffmpeg -q:v, 2 (best) … 31 (worst). */
  quality: number;
  /** Font of the timestamp (`fontFromFcMatch`); default DejaVu Sans Mono's usual path. */
  fontFile?: string | undefined;
}

export interface EncoderSettings {
  /** libx264 (software) or h264_v4l2m2m (Raspberry Pi hardware). */
  codec: 'libx264' | 'h264_v4l2m2m';
  /** libx264 preset; the Pi wants ultrafast or superfast. */
  preset: string;
  /** libx264 constant quality. */
  crf: number;
  /** Target bit rate for encoders without crf (kbit/s). */
  bitrateK: number;
}

export const DEFAULT_ENCODER: EncoderSettings = {
  codec: 'libx264',
  preset: 'veryfast',
  crf: 23,
  bitrateK: 2000,
};

export interface CaptureCommand {
  source: SourceSpec;
  /** Sound recorded with the segments: the audio input's ffmpeg arguments (`parseAudioSource`). */
  audioInput?: string[] | undefined;
  /** Stream-copy the video (the source is H.264); else re-encode with keyframes on segment bounds. */
  copy: boolean;
  encoder?: EncoderSettings;
  segments: SegmentOutput;
  /** Rotation, flips, size, frame rate of the recorded video (forces re-encoding). */
  transform?: VideoTransform;
  grey?: GreyOutput;
  mjpeg?: MjpegOutput;
  /**
   * Output D: H.264 pushed to the station's RTSP relay (live/rtsp-output.ts), last. `copy`: the
   * source is H.264 (the stream copies it unless the picture is changed; a start gate is not).
   */
  rtsp?: { url: string; copy: boolean } | undefined;
}

/** The fd numbers outputs B and C are written to (`stdio[3]`, `stdio[4]` of the child). */
export const GREY_FD = 3;
export const MJPEG_FD = 4;

/** Segment file name pattern inside `SegmentOutput.dir`. */
export function segmentPattern(o: SegmentOutput): string {
  return `${o.dir}/%06d.${o.kind === 'ring' ? 'ts' : 'mp4'}`;
}

/** The keyframe-forcing expression: a keyframe exactly at every segment boundary. */
export function keyframeExpr(seconds: number): string {
  return `expr:gte(t,n_forced*${seconds})`;
}

function encodeArgs(e: EncoderSettings, seconds: number): string[] {
  const args = ['-c:v', e.codec];
  if (e.codec === 'libx264') args.push('-preset', e.preset, '-tune', 'zerolatency', '-crf', String(e.crf));
  else args.push('-b:v', `${e.bitrateK}k`);
  // Keyframes on the segment grid, so every cut lands exactly on a boundary; yuv420p plays everywhere.
  args.push('-pix_fmt', 'yuv420p', '-force_key_frames', keyframeExpr(seconds));
  return args;
}

/** Output A: the segment muxer, `-reset_timestamps` so each file starts at 0, csv list for closures. */
function segmentArgs(c: CaptureCommand): string[] {
  const s = c.segments;
  const copy = c.copy && !transforms(c.transform);
  const vf = c.transform && !copy ? transformFilter(c.transform) : undefined;
  const video = copy ? ['-c:v', 'copy'] : encodeArgs(c.encoder ?? DEFAULT_ENCODER, s.seconds);
  return [
    '-map',
    '0:v:0',
    ...(c.audioInput ? ['-map', '1:a:0', ...audioArgs(c.transform?.startAtMs)] : ['-an']),
    ...(vf ? ['-vf', vf] : []),
    ...video,
    '-f',
    'segment',
    '-segment_time',
    String(s.seconds),
    '-segment_format',
    s.kind === 'ring' ? 'mpegts' : 'mp4',
    '-reset_timestamps',
    '1',
    '-segment_list',
    s.listFile,
    '-segment_list_type',
    'csv',
    segmentPattern(s),
  ];
}

/** AAC for the segments; the sound waits for the start gate like the picture (same wall clock). */
function audioArgs(startAtMs: number | undefined): string[] {
  const gate = startAtMs === undefined ? [] : ['-af', gateFilter(startAtMs, 'audio')];
  return [...gate, '-c:a', 'aac', '-b:a', '96k'];
}

function greyArgs(g: GreyOutput, startAtMs: number | undefined): string[] {
  return greyOutputArgs({
    fps: g.fps,
    width: g.width,
    height: g.height,
    output: `pipe:${GREY_FD}`,
    startAtMs,
  });
}

function mjpegArgs(m: MjpegOutput): string[] {
  const vf = liveFilter({
    fps: m.fps,
    width: m.width,
    timestamp: m.timestamp,
    ...(m.position ? { position: m.position } : {}),
    ...(m.fontFile ? { fontFile: m.fontFile } : {}),
  });
  return [
    '-map',
    '0:v:0',
    '-an',
    '-vf',
    vf,
    '-c:v',
    'mjpeg',
    '-q:v',
    String(m.quality),
    '-f',
    'mjpeg',
    `pipe:${MJPEG_FD}`,
  ];
}

/**
 * The full ffmpeg argv (without the program name). Progress goes to stdout as key=value blocks
 * (`-progress pipe:1`) for the stall watchdog; stdin is only read when a feeder pipes into it.
 */
export function captureArgs(c: CaptureCommand): string[] {
  const args = ['-hide_banner', '-nostats', '-loglevel', 'warning'];
  if (!c.source.feeder) args.push('-nostdin');
  args.push('-progress', 'pipe:1', '-stats_period', '0.5');
  args.push(...c.source.inputArgs);
  if (c.audioInput) args.push(...c.audioInput);
  args.push(...segmentArgs(c));
  if (c.grey) args.push(...greyArgs(c.grey, c.transform?.startAtMs));
  if (c.mjpeg) args.push(...mjpegArgs(c.mjpeg));
  if (c.rtsp)
    args.push(
      ...rtspOutputArgs({
        url: c.rtsp.url,
        copy: c.rtsp.copy,
        ...(c.encoder ? { encoder: c.encoder } : {}),
        ...(c.transform ? { transform: c.transform } : {}),
      }),
    );
  return args;
}

/** Stream copy when the source is H.264 (and copying is not turned off). */
export function shouldCopy(codec: SourceSpec['codec'], policy: 'auto' | 'always' | 'never'): boolean {
  if (policy === 'never') return false;
  if (policy === 'always') return true;
  return codec === 'h264';
}
