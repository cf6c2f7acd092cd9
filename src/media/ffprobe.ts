/**
 * Video and audio facts from ffprobe: a pure command builder, a pure parser of its JSON, and
 * the runner call. Creation times in MP4/MOV are UTC; they become the station's wall clock.
 * Apple's `com.apple.quicktime.creationdate` states the camera's own offset and wins.
 */
import { isValidLocal, localFromInstant, type CaptureTime } from '../core/capture-time.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { exifDateToLocal } from './exif-values.js';
import { isEnvironmentFault } from './faults.js';
import type { FfOutput, FfStream } from './ffprobe-json.js';
import { quickProbe } from './quick-probe.js';
import type { MediaFacts, MediaWarning, ProbeResult } from './types.js';

/**
 * The demuxers ffprobe and ffmpeg may use on a file from a card: the containers of the video and
 * audio types Outpost ingests (src/core/media-types.ts: MP4/MOV/M4V/M4A are `mov`, MTS/M2TS
 * `mpegts`) and a few close kin a camera may write under those names (MPEG-PS, Matroska, raw AAC,
 * FLAC, Ogg). ffmpeg picks the demuxer by content, not by name: without this list a `.MOV` that
 * is an HLS playlist or a concat list makes it open the files or URLs that playlist names.
 */
export const MEDIA_DEMUXERS = [
  'mov',
  'avi',
  'mpegts',
  'mpeg',
  'matroska',
  'wav',
  'mp3',
  'aac',
  'flac',
  'ogg',
];

/**
 * Input options for a file nobody vouches for (it came from a card): the local file only (no
 * network, no other protocol a playlist could name) and only {@link MEDIA_DEMUXERS}. They go
 * before the input.
 */
export function untrustedInputArgs(): string[] {
  return ['-protocol_whitelist', 'file', '-format_whitelist', MEDIA_DEMUXERS.join(',')];
}

/**
 * `ffprobe` arguments for one file. The `file:` prefix keeps names with a colon or a leading
 * dash from being read as a protocol or an option.
 */
export function ffprobeArgs(path: string): string[] {
  return [
    '-v',
    'error',
    ...untrustedInputArgs(),
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    `file:${path}`,
  ];
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Tag lookup ignoring case (muxers disagree: creation_time, CREATION_TIME, ...). */
function tag(tags: Record<string, string> | undefined, key: string): string | undefined {
  if (!tags) return undefined;
  const direct = tags[key];
  if (typeof direct === 'string') return direct;
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(tags)) if (k.toLowerCase() === lower && typeof v === 'string') return v;
  return undefined;
}

/** `30000/1001` → 29.97; `0/0` → undefined. */
function rate(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const [n, d] = v.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  const r = d === undefined ? n : Number.isFinite(d) && d > 0 ? n / d : NaN;
  return Number.isFinite(r) && r < 10_000 ? Math.round(r * 1000) / 1000 : undefined;
}

/** No digital video carries a real date before 1971; 1970/1904 epochs mean "unset". */
const EARLIEST_MS = Date.UTC(1971, 0, 1);

/**
 * `creation_time`: MP4/MOV/MKV store an instant, which ffprobe prints in UTC with a `Z`; it
 * becomes the station's wall clock. AVI's IDIT chunk comes through as a bare date-time, the
 * camera's own naive clock: kept as it is.
 */
function fromCreationTime(v: string | undefined, timeZone: string): CaptureTime | undefined {
  const d = exifDateToLocal(v);
  if (!d || d.local < '1971') return undefined;
  if (d.offset === undefined) return { local: d.local, source: 'video' };
  const ms = Date.parse(`${d.local}${d.offset}`);
  if (!Number.isFinite(ms) || ms < EARLIEST_MS) return undefined;
  const local = localFromInstant(ms, timeZone);
  return isValidLocal(local) ? { local, source: 'video' } : undefined;
}

/**
 * A wall-clock date that states its own offset (Apple's creationdate, e.g.
 * `2024-05-01T10:20:30+0200`) or none (AVI `date`): keep its fields as they are.
 */
function fromWallClock(v: string | undefined): CaptureTime | undefined {
  const d = exifDateToLocal(v);
  if (!d || d.local < '1971') return undefined;
  return d.offset
    ? { local: d.local, offset: d.offset, source: 'video' }
    : { local: d.local, source: 'video' };
}

function captureTime(out: FfOutput, timeZone: string): CaptureTime | undefined {
  const all = [out.format?.tags, ...(out.streams ?? []).map((s) => s.tags)];
  for (const t of all) {
    const apple = fromWallClock(tag(t, 'com.apple.quicktime.creationdate'));
    if (apple) return apple;
  }
  for (const t of all) {
    const created = fromCreationTime(tag(t, 'creation_time'), timeZone);
    if (created) return created;
  }
  for (const t of all) {
    const naive = fromWallClock(tag(t, 'date'));
    if (naive) return naive;
  }
  return undefined;
}

/** ISO 6709 (`+48.8577+002.2950+035.000/`), as Apple and Android write a clip's position. */
export function parseIso6709(v: string | undefined): MediaFacts['gps'] {
  if (!v) return undefined;
  const m = /^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?/.exec(v.trim());
  if (!m) return undefined;
  const lat = Number(m[1]);
  const lon = Number(m[2]);
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180)
    return undefined;
  if (lat === 0 && lon === 0) return undefined;
  const gps: NonNullable<MediaFacts['gps']> = { lat, lon };
  const alt = m[3] === undefined ? NaN : Number(m[3]);
  if (Number.isFinite(alt)) gps.alt = alt;
  return gps;
}

/** Clockwise display rotation → EXIF orientation (1, 6, 3, 8). */
function orientationOf(stream: FfStream): number | undefined {
  const fromTag = num(tag(stream.tags, 'rotate'));
  // The display matrix states counter-clockwise degrees; the old `rotate` tag clockwise.
  const fromMatrix = stream.side_data_list?.map((d) => num(d.rotation)).find((r) => r !== undefined);
  const cw = fromTag ?? (fromMatrix === undefined ? undefined : -fromMatrix);
  if (cw === undefined) return undefined;
  const norm = (((Math.round(cw / 90) * 90) % 360) + 360) % 360;
  return ({ 0: 1, 90: 6, 180: 3, 270: 8 } as Record<number, number>)[norm];
}

/**
 * MediaFacts from `ffprobe -print_format json -show_format -show_streams` output (the parsed
 * object or its text). Tolerates missing fields; never throws.
 */
export function parseFfprobe(json: unknown, timeZone: string): MediaFacts {
  let out: FfOutput;
  try {
    const parsed: unknown = typeof json === 'string' ? JSON.parse(json) : json;
    out = typeof parsed === 'object' && parsed !== null ? (parsed as FfOutput) : {};
  } catch {
    return {};
  }
  const streams = Array.isArray(out.streams) ? out.streams : [];
  const facts: MediaFacts = {};
  // Cover art in MP3/M4A is a one-frame "video" stream flagged attached_pic: not a video.
  const video = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const audio = streams.find((s) => s.codec_type === 'audio');

  const duration =
    num(out.format?.duration) ??
    streams
      .map((s) => num(s.duration))
      .reduce<number | undefined>((a, b) => (b === undefined ? a : Math.max(a ?? 0, b)), undefined);
  if (duration !== undefined && duration > 0) facts.durationS = Math.round(duration * 1000) / 1000;

  if (video && num(video.width) && num(video.height)) {
    facts.width = num(video.width) as number;
    facts.height = num(video.height) as number;
    const o = orientationOf(video);
    if (o !== undefined && o !== 1) facts.orientation = o;
  }

  const codecs: NonNullable<MediaFacts['codecs']> = {};
  if (out.format?.format_name) codecs.container = out.format.format_name;
  if (video?.codec_name) codecs.video = video.codec_name;
  if (audio?.codec_name) codecs.audio = audio.codec_name;
  if (Object.keys(codecs).length > 0) facts.codecs = codecs;

  const capturedAt = captureTime(out, timeZone);
  if (capturedAt) facts.capturedAt = capturedAt;

  const ftags = out.format?.tags;
  const make = tag(ftags, 'com.apple.quicktime.make') ?? tag(ftags, 'make');
  const model = tag(ftags, 'com.apple.quicktime.model') ?? tag(ftags, 'model');
  if (make?.trim()) facts.make = make.trim();
  if (model?.trim()) facts.model = model.trim();
  const gps =
    parseIso6709(tag(ftags, 'com.apple.quicktime.location.ISO6709')) ??
    parseIso6709(tag(ftags, 'location')) ??
    parseIso6709(tag(ftags, 'location-eng'));
  if (gps) facts.gps = gps;

  const extra: Record<string, string | number> = {};
  const fps = video ? (rate(video.avg_frame_rate) ?? rate(video.r_frame_rate)) : undefined;
  if (fps !== undefined) extra.fps = fps;
  const sampleRate = num(audio?.sample_rate);
  if (sampleRate) extra.sampleRate = sampleRate;
  const channels = num(audio?.channels);
  if (channels) extra.channels = channels;
  const bitrate = num(out.format?.bit_rate);
  if (bitrate) extra.bitrate = bitrate;
  if (Object.keys(extra).length > 0) facts.extra = extra;
  return facts;
}

/**
 * The first useful line of ffprobe's stderr, without the `[demuxer @ 0x…]` or `file:path:` prefix.
 * A refusal by {@link MEDIA_DEMUXERS} says what the content looked like instead of listing them.
 */
export function ffmpegErrorLine(stderr: string, path?: string): string | undefined {
  const refused = /^\[([a-z0-9_,]+) @\s*0x[0-9a-f]+\]\s*Format not on whitelist/im.exec(stderr);
  if (refused)
    return `its content is ${refused[1]!.split(',')[0]} (not an audio or video container Outpost reads), so it was not opened`;
  for (const raw of stderr.split('\n')) {
    let l = raw.trim().replace(/^\[[^\]]*@\s*0x[0-9a-f]+\]\s*/i, '');
    if (path) {
      for (const p of [`file:${path}: `, `${path}: `]) if (l.startsWith(p)) l = l.slice(p.length);
    }
    if (l) return l;
  }
  return undefined;
}

export interface AvProbe extends ProbeResult {
  /** Whether ffprobe found a (non cover-art) video stream. */
  hasVideo: boolean;
}

/**
 * Facts of a video or audio file: MP4/MOV read in-process, a video's name on bytes of no
 * container refused at once, the rest through ffprobe. Never throws for a bad file.
 */
export async function probeAv(
  runner: ProcessRunner,
  path: string,
  timeZone: string,
  signal?: AbortSignal,
): Promise<AvProbe> {
  const quick = await quickProbe(path);
  signal?.throwIfAborted();
  // No audio or video track read (timecode or data only): ffprobe says what there is.
  if (quick.kind === 'read' && quick.out.streams?.length) return fromOutput(quick.out, timeZone, []);
  if (quick.kind === 'not-media')
    return {
      facts: {},
      hasVideo: false,
      warnings: [
        {
          code: 'DECODE_FAILED',
          message: `Not a readable video or audio file: its content starts like no audio or video container Outpost reads (bytes ${quick.head})`,
        },
      ],
    };
  return ffprobeAv(runner, path, timeZone, signal);
}

function fromOutput(out: FfOutput, timeZone: string, warnings: MediaWarning[]): AvProbe {
  const streams = out.streams ?? [];
  const hasVideo = streams.some((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  return { facts: parseFfprobe(out, timeZone), hasVideo, warnings };
}

/** Run ffprobe on a video or audio file. Never throws for a bad file. */
export async function ffprobeAv(
  runner: ProcessRunner,
  path: string,
  timeZone: string,
  signal?: AbortSignal,
): Promise<AvProbe> {
  const warnings: MediaWarning[] = [];
  let res;
  try {
    res = await runner.run('ffprobe', ffprobeArgs(path), {
      ...(signal ? { signal } : {}),
      timeoutMs: 60_000,
      maxStdoutBytes: 16 * 1024 * 1024,
    });
  } catch (e) {
    if (isEnvironmentFault(e)) throw e;
    return {
      facts: {},
      hasVideo: false,
      warnings: [{ code: 'DECODE_FAILED', message: `ffprobe failed: ${(e as Error).message}` }],
    };
  }
  signal?.throwIfAborted();
  const reason = ffmpegErrorLine(res.stderr, path);
  if (res.code !== 0) {
    warnings.push({
      code: 'DECODE_FAILED',
      message: `Not a readable video or audio file: ${reason ?? `ffprobe exited with ${res.code ?? res.signal}`}`,
    });
    return { facts: {}, hasVideo: false, warnings };
  }
  let parsed: FfOutput | undefined;
  try {
    parsed = JSON.parse(res.stdout.toString('utf8')) as FfOutput;
  } catch {
    parsed = undefined;
  }
  const streams = parsed?.streams ?? [];
  if (!parsed || streams.length === 0) {
    warnings.push({
      code: 'DECODE_FAILED',
      message: `No audio or video streams found${reason ? `: ${reason}` : ''}`,
    });
    return { facts: parsed ? parseFfprobe(parsed, timeZone) : {}, hasVideo: false, warnings };
  }
  return fromOutput(parsed, timeZone, warnings);
}
