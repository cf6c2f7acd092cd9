/**
 * Output D of a camera's ffmpeg (docs/rtsp-stream.md): the network stream, H.264 pushed over
 * RTSP/TCP to the station's relay (live/rtsp/relay.ts), which lab tools play from. Pure.
 *
 * By default the push goes through the `tee` muxer with `onfail=ignore` and a `null` slave beside
 * it: measured with ffmpeg 5.1, a plain `-f rtsp` output that cannot connect at start ("Could not
 * write header … Connection refused") or loses its connection later ("av_interleaved_write_frame():
 * Broken pipe") ends the whole ffmpeg, recording included (exit 1). Through tee, the failed slave
 * is dropped and the recording goes on; the null slave is needed because tee fails when all of its
 * slaves fail ("All tee outputs failed"). The stream then stays off until ffmpeg restarts.
 */
import type { EncoderSettings } from '../capture-command.js';
import { OutpostError } from '../../core/errors.js';
import { transformFilter, transforms, type VideoTransform } from '../transform.js';

export interface RtspOutput {
  /** Where to publish: `rtsp://127.0.0.1:<port>/<camera>[?token=…]`. */
  url: string;
  /** The source is H.264 and may be copied (the recording's copy decision). */
  copy: boolean;
  /** Encoder for a re-encoded stream; libx264 gets ultrafast/zerolatency whatever its preset. */
  encoder?: EncoderSettings;
  /** The camera's picture settings; any of them (but the start gate) means re-encoding. */
  transform?: VideoTransform;
  /** Seconds between keyframes of a re-encoded stream (default 1): how soon a new player sees a picture. */
  keyframeSeconds?: number;
  /**
   * Publish through tee with onfail=ignore (default true), so a relay that is away does not end
   * the recording. False: a plain rtsp output (tests, or a stream that matters more than the file).
   */
  survive?: boolean;
}

/** Bit rate of a re-encoded stream when no encoder settings are given (kbit/s). */
export const DEFAULT_STREAM_BITRATE_K = 1500;

/**
 * The stream's picture settings: the recording's, less the start gate (a fleet session's start
 * instant holds back the recorded frames; the live picture is wanted before it too).
 */
export function streamTransform(t: VideoTransform | undefined): VideoTransform | undefined {
  if (!t) return undefined;
  const { startAtMs: _gate, ...rest } = t;
  return rest;
}

function encodeArgs(o: RtspOutput): string[] {
  const e = o.encoder;
  const kfs = o.keyframeSeconds ?? 1;
  if (!(kfs > 0)) throw new OutpostError('INVALID_INPUT', `keyframeSeconds must be positive (got ${kfs})`);
  const rate = e?.bitrateK ?? DEFAULT_STREAM_BITRATE_K;
  const args =
    e?.codec === 'h264_v4l2m2m'
      ? ['-c:v', 'h264_v4l2m2m', '-b:v', `${rate}k`]
      : // Capped quality: a LAN stream must not spike past what the Wi-Fi carries.
        [
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-tune',
          'zerolatency',
          '-crf',
          String(e?.crf ?? 23),
          '-maxrate',
          `${rate}k`,
          '-bufsize',
          `${rate}k`,
        ];
  // Keyframes every kfs seconds of stream time, whatever the frame rate; yuv420p plays everywhere.
  args.push('-pix_fmt', 'yuv420p', '-force_key_frames', `expr:gte(t,n_forced*${kfs})`);
  return args;
}

/** The tee slave spec; `|`, `[` and `]` would split or end it, so the URL may not hold them. */
function teeTarget(url: string): string {
  if (/[|[\]\\]/.test(url))
    throw new OutpostError('INVALID_INPUT', `rtsp url may not contain | [ ] or \\ (got ${url})`);
  return `[f=rtsp:rtsp_transport=tcp:onfail=ignore]${url}|[f=null:onfail=ignore]-`;
}

/**
 * The argv fragment of one more ffmpeg output (append after the other outputs). Copy when the
 * source is H.264 and the picture is not changed; else libx264 ultrafast/zerolatency (or the Pi's
 * hardware encoder), a keyframe every second.
 */
export function rtspOutputArgs(o: RtspOutput): string[] {
  if (!/^rtsp:\/\/[^\s]+$/.test(o.url)) throw new OutpostError('INVALID_INPUT', `not an rtsp url: ${o.url}`);
  const t = streamTransform(o.transform);
  const copy = o.copy && !transforms(t);
  const vf = t && !copy ? transformFilter(t) : undefined;
  const args = ['-map', '0:v:0', '-an', ...(vf ? ['-vf', vf] : [])];
  args.push(...(copy ? ['-c:v', 'copy'] : encodeArgs(o)));
  if (o.survive ?? true) {
    // Through tee the encoder is not told the rtsp muxer wants global headers; without them the
    // SDP has no sprop-parameter-sets and players wait for in-band SPS/PPS.
    if (!copy) args.push('-flags:v', '+global_header');
    args.push('-f', 'tee', teeTarget(o.url));
  } else args.push('-f', 'rtsp', '-rtsp_transport', 'tcp', o.url);
  return args;
}
