/**
 * What a cut needs to know of a video file, from ffprobe's packet list (no decoding): the video
 * stream's codec parameters (to re-encode a few frames the same way) and its keyframes' times.
 */
import type { ProcessRunner } from '../adapters/process-runner.js';
import { OutpostError } from '../core/errors.js';
import type { PacketIndex } from './cut-plan.js';

export interface VideoStreamInfo extends PacketIndex {
  codec: string;
  /** ffprobe's profile name ("High", "Main", "Constrained Baseline", …). */
  profile: string | undefined;
  /** H.264 level × 10 (31 = 3.1). */
  level: number | undefined;
  pixFmt: string | undefined;
  width: number;
  height: number;
  /** Bits per second of the video stream (or the file's, when the stream does not say). */
  bitRate: number | undefined;
  /** Denominator of the stream's time base (the MP4 track's timescale). */
  timescale: number | undefined;
  /** Frames a decoder holds back (B-frames); 0: none. */
  reorder: number;
  /** The frame rate is not constant (a phone's clip): no smart cut. */
  variable: boolean;
  frames: number;
}

interface ProbeJson {
  streams?: {
    codec_type?: string;
    codec_name?: string;
    profile?: string;
    level?: number;
    pix_fmt?: string;
    width?: number;
    height?: number;
    r_frame_rate?: string;
    avg_frame_rate?: string;
    time_base?: string;
    has_b_frames?: number;
    bit_rate?: string;
    sample_rate?: string;
    channels?: number;
    duration?: string;
  }[];
  packets?: { pts_time?: string; dts_time?: string; duration_time?: string; flags?: string }[];
  format?: { bit_rate?: string; duration?: string };
}

const ratio = (r: string | undefined): number => {
  const [n, d] = (r ?? '').split('/').map(Number);
  return n && d ? n / d : 0;
};

export async function probePackets(runner: ProcessRunner, path: string): Promise<VideoStreamInfo> {
  const r = await runner.run(
    'ffprobe',
    [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_type,codec_name,profile,level,pix_fmt,width,height,r_frame_rate,avg_frame_rate,time_base,has_b_frames,bit_rate,sample_rate,channels,duration:format=bit_rate,duration',
      '-show_entries',
      'packet=pts_time,dts_time,duration_time,flags',
      '-select_streams',
      'v:0',
      '-of',
      'json',
      path,
    ],
    { timeoutMs: 120_000, maxStdoutBytes: 256 * 1024 * 1024 },
  );
  if (r.code !== 0)
    throw new OutpostError(
      'VIDEO_UNREADABLE',
      `cannot read the video of ${path}: ${r.stderr.trim().split('\n')[0] ?? ''}`,
    );
  const j = JSON.parse(r.stdout.toString('utf8')) as ProbeJson;
  const v = j.streams?.find((s) => s.codec_type === 'video') ?? j.streams?.[0];
  const packets = j.packets ?? [];
  if (!v || packets.length === 0) throw new OutpostError('VIDEO_UNREADABLE', `${path} has no video frames`);
  const pts = packets.map((p) => Number(p.pts_time));
  const sorted = [...pts].filter(Number.isFinite).sort((a, b) => a - b);
  const deltas = sorted.slice(1).map((t, i) => t - sorted[i]!);
  const rate = ratio(v.r_frame_rate) || ratio(v.avg_frame_rate) || 25;
  const frameS = 1 / rate;
  const variable = deltas.some((d) => Math.abs(d - frameS) > frameS * 0.25);
  const last = sorted[sorted.length - 1] ?? 0;
  const durationS = last - (sorted[0] ?? 0) + frameS;
  const keys = packets
    .filter((p) => p.flags?.includes('K'))
    .map((p) => ({ pts: Number(p.pts_time), dts: Number(p.dts_time ?? p.pts_time) }))
    .filter((k) => Number.isFinite(k.pts))
    .sort((a, b) => a.pts - b.pts);
  return {
    codec: v.codec_name ?? 'unknown',
    profile: v.profile,
    level: v.level,
    pixFmt: v.pix_fmt,
    width: v.width ?? 0,
    height: v.height ?? 0,
    bitRate: Number(v.bit_rate ?? j.format?.bit_rate) || undefined,
    timescale: Number((v.time_base ?? '').split('/')[1]) || undefined,
    reorder: v.has_b_frames ?? 0,
    variable,
    fps: rate,
    durationS,
    keys,
    frames: packets.length,
  };
}
