/**
 * Camera source URLs → ffmpeg input arguments. Pure: no probing, no spawning.
 *
 * | URL | input |
 * | --- | --- |
 * | `testsrc:` / `testsrc:?size=640x360&rate=25&pattern=life` | ffmpeg's test pattern (testsrc2, or random `life`), read in real time |
 * | `file:/path/clip.mp4` (or a plain path) | a video file, looped, read in real time (demos, tests) |
 * | `rtsp://…` | RTSP over TCP with a socket timeout |
 * | `http(s)://…` | HTTP stream (MJPEG or MPEG-TS IP cameras) |
 * | `v4l2:/dev/video0?format=mjpeg&size=1280x720&fps=15` | a USB webcam |
 * | `rpicam:?codec=h264&width=1280&height=720&fps=25&camera=0&awb=daylight` | Raspberry Pi camera: `rpicam-vid` feeds ffmpeg's stdin; other keys are its controls (rpicam-controls.ts) |
 */
import { OutpostError } from '../core/errors.js';
import { rpicamControlArgs, rpicamControlProblems } from './rpicam-controls.js';

export type SourceKind = 'testsrc' | 'file' | 'rtsp' | 'http' | 'v4l2' | 'rpicam';

/** What the source delivers: `h264` can be stream-copied; `unknown` is decided by probing. */
export type SourceCodec = 'h264' | 'mjpeg' | 'raw' | 'unknown';

/** A helper process whose stdout becomes ffmpeg's stdin (rpicam-vid). */
export interface Feeder {
  cmd: string;
  args: string[];
}

export interface SourceSpec {
  kind: SourceKind;
  /** The URL as configured (for logs and status; may carry credentials: see `redactUrl`). */
  url: string;
  /** ffmpeg arguments up to and including `-i <input>`. */
  inputArgs: string[];
  feeder?: Feeder;
  codec: SourceCodec;
  /** Nominal frame rate when the URL states it. */
  fps?: number;
  /** Picture size when the URL states it (else probed, for the motion detector's aspect). */
  size?: { width: number; height: number };
}

function sizeOf(s: string): { width: number; height: number } {
  const [w, h] = s.split('x').map(Number);
  return { width: w!, height: h! };
}

const DEFAULT_TEST_SIZE = '640x360';
const DEFAULT_TEST_RATE = 25;
/** RTSP/HTTP read timeout: a camera that sends nothing for this long is an input error. */
const NETWORK_TIMEOUT_US = 10_000_000;

function bad(url: string, why: string): OutpostError {
  return new OutpostError('RECORDER_SOURCE', `camera source "${redactUrl(url)}": ${why}`);
}

function positiveInt(url: string, v: string | null, name: string, fallback: number): number;
function positiveInt(url: string, v: string | null, name: string): number | undefined;
function positiveInt(url: string, v: string | null, name: string, fallback?: number): number | undefined {
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 100_000) throw bad(url, `${name} must be a positive integer`);
  return n;
}

function size(url: string, v: string | null): string | undefined {
  if (v === null || v === '') return undefined;
  if (!/^\d{2,5}x\d{2,5}$/.test(v)) throw bad(url, 'size must look like 1280x720');
  return v;
}

/** Hide a password in `rtsp://user:pass@host/…` for logs and status. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]+):[^@/]*@/i, '$1:***@');
}

/** Parse a camera source URL. Throws RECORDER_SOURCE with what is wrong. */
export function parseSource(url: string): SourceSpec {
  const u = url.trim();
  if (u === '') throw bad(url, 'empty');
  if (u.startsWith('testsrc:')) {
    const q = new URLSearchParams(u.slice('testsrc:'.length).replace(/^\?/, ''));
    const s = size(u, q.get('size')) ?? DEFAULT_TEST_SIZE;
    const rate = positiveInt(u, q.get('rate'), 'rate', DEFAULT_TEST_RATE);
    // life: random each start (a restarted test camera does not repeat its earlier bytes).
    const pattern = q.get('pattern') ?? 'testsrc2';
    if (pattern !== 'testsrc2' && pattern !== 'life') throw bad(u, 'pattern must be testsrc2 or life');
    const graph =
      pattern === 'life' ? `life=size=${s}:rate=${rate}:ratio=0.3:mold=8` : `testsrc2=size=${s}:rate=${rate}`;
    // -re: the pattern arrives at its frame rate, like a live camera (and not as fast as the CPU).
    return {
      kind: 'testsrc',
      url: u,
      inputArgs: ['-re', '-f', 'lavfi', '-i', graph],
      codec: 'raw',
      fps: rate,
      size: sizeOf(s),
    };
  }
  if (/^rtsps?:\/\//i.test(u))
    return {
      kind: 'rtsp',
      url: u,
      inputArgs: ['-rtsp_transport', 'tcp', '-timeout', String(NETWORK_TIMEOUT_US), '-i', u],
      codec: 'unknown',
    };
  if (/^https?:\/\//i.test(u))
    return {
      kind: 'http',
      url: u,
      inputArgs: ['-rw_timeout', String(NETWORK_TIMEOUT_US), '-i', u],
      codec: 'unknown',
    };
  if (u.startsWith('v4l2:')) return v4l2(u);
  if (u.startsWith('rpicam:')) return rpicam(u);
  const path = u.startsWith('file:') ? u.slice('file:'.length) : u;
  if (!path.startsWith('/'))
    throw bad(
      url,
      'not a known source: use testsrc:, file:/abs/path, rtsp://, http(s)://, v4l2:/dev/videoN or rpicam:',
    );
  // file: keeps names with a colon or a leading dash from being read as a protocol or option.
  return {
    kind: 'file',
    url: u,
    inputArgs: ['-stream_loop', '-1', '-re', '-i', `file:${path}`],
    codec: 'unknown',
  };
}

function v4l2(u: string): SourceSpec {
  const [dev = '', query = ''] = u.slice('v4l2:'.length).split('?');
  if (!/^\/dev\/[A-Za-z0-9_/-]+$/.test(dev)) throw bad(u, 'v4l2 needs a device path, e.g. v4l2:/dev/video0');
  const q = new URLSearchParams(query);
  const format = q.get('format') ?? 'mjpeg';
  if (!/^[a-z0-9_]+$/.test(format))
    throw bad(u, 'format must be an ffmpeg pixel/codec name (mjpeg, h264, yuyv422)');
  const s = size(u, q.get('size'));
  const fps = positiveInt(u, q.get('fps'), 'fps');
  const args = ['-f', 'v4l2', '-input_format', format];
  if (s) args.push('-video_size', s);
  if (fps) args.push('-framerate', String(fps));
  args.push('-i', dev);
  const codec: SourceCodec = format === 'h264' ? 'h264' : format === 'mjpeg' ? 'mjpeg' : 'raw';
  return {
    kind: 'v4l2',
    url: u,
    inputArgs: args,
    codec,
    ...(fps ? { fps } : {}),
    ...(s ? { size: sizeOf(s) } : {}),
  };
}

const RPICAM_URL_KEYS = new Set(['codec', 'width', 'height', 'fps', 'camera']);

function rpicam(u: string): SourceSpec {
  const q = new URLSearchParams(u.slice('rpicam:'.length).replace(/^\?/, ''));
  const codec = q.get('codec') ?? 'h264';
  if (codec !== 'h264' && codec !== 'mjpeg') throw bad(u, 'codec must be h264 or mjpeg');
  const width = positiveInt(u, q.get('width'), 'width', 1280);
  const height = positiveInt(u, q.get('height'), 'height', 720);
  const fps = positiveInt(u, q.get('fps'), 'fps', 25);
  const camera = q.get('camera');
  const args = ['-t', '0', '-n', '--codec', codec, '--width', String(width), '--height', String(height)];
  args.push('--framerate', String(fps));
  // H.264: headers with every keyframe (a restarted reader can start anywhere), a keyframe a second.
  if (codec === 'h264') args.push('--inline', '--intra', String(fps));
  if (camera !== null) args.push('--camera', String(positiveIntOrZero(u, camera)));
  // Every other key is a camera control (brightness, shutter, awb, roi, …: rpicam-controls.ts).
  const controls = Object.fromEntries([...q].filter(([k]) => !RPICAM_URL_KEYS.has(k)));
  const problems = rpicamControlProblems(controls);
  if (problems.length) throw bad(u, problems.join('; '));
  args.push(...rpicamControlArgs(controls));
  args.push('-o', '-');
  // Raw H.264/MJPEG on a pipe has no timestamps: ffmpeg stamps frames at the stated rate.
  const demuxer = codec === 'h264' ? 'h264' : 'mjpeg';
  return {
    kind: 'rpicam',
    url: u,
    feeder: { cmd: 'rpicam-vid', args },
    // Little probing: what ffmpeg reads before it starts waits in the pipe and comes out as a burst
    // of old frames (late for a start instant); the stream has its headers at every keyframe.
    inputArgs: [
      '-f',
      demuxer,
      '-framerate',
      String(fps),
      '-fflags',
      '+genpts',
      '-probesize',
      '500000',
      '-analyzeduration',
      '500000',
      '-i',
      'pipe:0',
    ],
    codec,
    fps,
    size: { width, height },
  };
}

function positiveIntOrZero(u: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 16) throw bad(u, 'camera must be a camera index (0, 1, …)');
  return n;
}

/**
 * A camera's sound: `alsa:<device>` (a USB microphone: `alsa:plughw:1,0`, `alsa:default`; list
 * them with `arecord -L`) or `testsrc:` (a 440 Hz tone, in real time: demos and tests). ffmpeg
 * arguments up to and including `-i`; the queue lets the sound wait while the video input opens.
 */
export function parseAudioSource(url: string): string[] {
  const u = url.trim();
  if (u === 'testsrc:')
    return ['-re', '-f', 'lavfi', '-thread_queue_size', '512', '-i', 'sine=frequency=440:sample_rate=48000'];
  const m = /^alsa:([A-Za-z0-9_:,=.-]{1,64})$/.exec(u);
  if (!m)
    throw new OutpostError(
      'RECORDER_SOURCE',
      `audio source "${u}": use alsa:<device> (e.g. alsa:plughw:1,0)`,
      {
        hint: 'List the microphones with `arecord -L`; a USB microphone is usually plughw:1,0.',
      },
    );
  return ['-f', 'alsa', '-thread_queue_size', '1024', '-ac', '1', '-i', m[1]!];
}
