/**
 * Ground-truth clips for motion detection, made with real ffmpeg: a corpus photo as the static
 * scene, per-frame sensor noise, a textured object crossing the frame during known intervals,
 * and sudden lighting changes (a brightness step, a non-linear darkening) with nothing moving.
 * The truth is what this generator was told to draw, never what a detector says.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { photosDir } from './generated-media.js';

const run = promisify(execFile);

export interface Interval {
  from: number;
  to: number;
}

export interface LightingChange extends Interval {
  /** 'brighter': eq brightness step up; 'darker': a curves darkening (not a uniform shift). */
  kind: 'brighter' | 'darker';
}

export interface ClipSpec {
  durationS: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Background photo (default: the kit's Reconyx trail-camera photo, real or generated). */
  photo?: string;
  /** When an object crosses the frame (it is visible for the whole interval). */
  motion: Interval[];
  lighting: LightingChange[];
  /** ffmpeg `noise` strength (0–100), temporal, every frame different. Default 14. */
  noise?: number;
  /** x264 preset: 'veryfast' (default, like a camera's encoder) or 'ultrafast' for quick tests. */
  preset?: string;
}

export interface GroundTruth {
  durationS: number;
  motion: Interval[];
  lighting: LightingChange[];
  width: number;
  height: number;
  fps: number;
}

/** 90 s: four crossings and two lighting changes, far enough apart not to merge (gap 10 s + rolls). */
export const TEST_CLIP: ClipSpec = {
  durationS: 90,
  motion: [
    { from: 6, to: 12 },
    { from: 26, to: 31 },
    { from: 58, to: 64 },
    { from: 80, to: 85 },
  ],
  lighting: [
    { from: 40, to: 48, kind: 'brighter' },
    { from: 70, to: 75, kind: 'darker' },
  ],
};

/** 150 s for the benchmark: six crossings, three lighting changes. */
export const BENCH_CLIP: ClipSpec = {
  durationS: 150,
  motion: [
    { from: 6, to: 12 },
    { from: 27, to: 33 },
    { from: 57, to: 62 },
    { from: 79, to: 85 },
    { from: 107, to: 112 },
    { from: 132, to: 139 },
  ],
  lighting: [
    { from: 42, to: 49, kind: 'brighter' },
    { from: 94, to: 99, kind: 'darker' },
    { from: 119, to: 124, kind: 'brighter' },
  ],
};

const OBJ_W = 72;
const OBJ_H = 144;

/** The ffmpeg filter graph for a spec (exported for reading, not for tests to assert on). */
export function clipFilter(spec: ClipSpec): string {
  const w = spec.width ?? 640;
  const h = spec.height ?? 480;
  const parts: string[] = [];
  parts.push(
    `[0:v]scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},setsar=1,format=yuv420p[b0]`,
  );
  const n = spec.motion.length;
  if (n > 0) parts.push(`[1:v]split=${n}${spec.motion.map((_, i) => `[o${i}]`).join('')}`);
  spec.motion.forEach((m, i) => {
    // Left to right, then right to left, at different heights; visible for the whole interval.
    const span = w - OBJ_W;
    const x =
      i % 2 === 0
        ? `${span}*(t-${m.from})/${m.to - m.from}`
        : `${span}-${span}*(t-${m.from})/${m.to - m.from}`;
    const y = Math.round((h - OBJ_H) * (0.3 + (0.4 * ((i * 37) % 10)) / 10));
    parts.push(`[b${i}][o${i}]overlay=x='${x}':y=${y}:enable='between(t,${m.from},${m.to})'[b${i + 1}]`);
  });
  let last = `b${n}`;
  spec.lighting.forEach((l, i) => {
    const f =
      l.kind === 'brighter'
        ? `eq=brightness=0.18:enable='between(t,${l.from},${l.to})'`
        : `curves=all='0/0 0.5/0.33 1/0.8':enable='between(t,${l.from},${l.to})'`;
    parts.push(`[${last}]${f}[l${i}]`);
    last = `l${i}`;
  });
  parts.push(`[${last}]noise=alls=${spec.noise ?? 14}:allf=t,format=yuv420p[out]`);
  return parts.join(';');
}

/**
 * Render the clip (H.264 without B-frames, one keyframe per second, as a camera stream) and return
 * its ground truth.
 */
export async function makeMotionClip(outPath: string, spec: ClipSpec): Promise<GroundTruth> {
  const fps = spec.fps ?? 15;
  const photo = spec.photo ?? join(photosDir(), 'Reconyx_HC500_Hyperfire.jpg');
  const d = String(spec.durationS);
  const args = [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-loop',
    '1',
    '-framerate',
    String(fps),
    '-t',
    d,
    '-i',
    photo,
    '-f',
    'lavfi',
    '-i',
    `testsrc2=s=${OBJ_W}x${OBJ_H}:r=${fps}:d=${d}`,
    '-filter_complex',
    clipFilter(spec),
    '-map',
    '[out]',
    '-r',
    String(fps),
    '-t',
    d,
    '-c:v',
    'libx264',
    '-preset',
    spec.preset ?? 'veryfast',
    '-crf',
    '23',
    // A camera's encoder caps its bit rate; sensor noise would otherwise take ~8 Mbit/s.
    '-maxrate',
    '2M',
    '-bufsize',
    '4M',
    '-g',
    String(fps),
    '-keyint_min',
    String(fps),
    '-sc_threshold',
    '0',
    // No B-frames, like IP and Pi cameras' streams.
    '-bf',
    '0',
    '-pix_fmt',
    'yuv420p',
    '-movflags',
    '+faststart',
    '-y',
    outPath,
  ];
  await run('ffmpeg', args, { maxBuffer: 16 * 1024 * 1024 });
  return {
    durationS: spec.durationS,
    motion: spec.motion.map((m) => ({ ...m })),
    lighting: spec.lighting.map((l) => ({ ...l })),
    width: spec.width ?? 640,
    height: spec.height ?? 480,
    fps,
  };
}

export interface Score {
  recall: number;
  precision: number;
  /** Detected intervals that overlap a lighting change (must be none). */
  duringLighting: Interval[];
}

const overlaps = (a: Interval, b: Interval): boolean => a.from < b.to && b.from < a.to;

/**
 * An event matches a truth interval when they overlap. Recall: share of truth intervals matched
 * by some event; precision: share of events matching some truth interval.
 */
export function scoreEvents(detected: readonly Interval[], truth: GroundTruth): Score {
  const hit = truth.motion.filter((m) => detected.some((d) => overlaps(d, m))).length;
  const good = detected.filter((d) => truth.motion.some((m) => overlaps(d, m))).length;
  return {
    recall: truth.motion.length === 0 ? 1 : hit / truth.motion.length,
    precision: detected.length === 0 ? 1 : good / detected.length,
    duringLighting: detected.filter((d) => truth.lighting.some((l) => overlaps(d, l))),
  };
}
