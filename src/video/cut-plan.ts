/**
 * How one piece of a video file (in and out points) is cut (pure). Smart cut: stream-copy every
 * whole GOP inside the piece, re-encode only the frames between the in point and the next
 * keyframe and between the last keyframe and the out point (at most one GOP at each cut), so the
 * copied frames stay the source's bytes. Keyframe mode (pure lossless): widen the piece to the
 * keyframe at or before the in point and the one at or after the out point, and copy everything.
 */

/** What ffprobe says of a file's video packets (the first and last pieces of a range need it). */
export interface PacketIndex {
  /** Presentation and decode times (s) of the keyframes, in order. */
  keys: { pts: number; dts: number }[];
  /** Frames per second (constant frame rate). */
  fps: number;
  /** Length of the video track (s). */
  durationS: number;
}

export type VideoStep =
  /** Re-encode `frames` frames from `fromS` (accurate seek), the video only. */
  | { kind: 'encode'; path: string; fromS: number; frames: number }
  /**
   * Stream-copy from the keyframe at `inS` (absent: the file's start) until the packet whose decode
   * time is `outDts` (absent: the file's end); `durationS` is the presentation span copied.
   */
  | { kind: 'copy'; path: string; inS?: number | undefined; outDts?: number | undefined; durationS: number };

export type AudioStep =
  | { kind: 'whole'; path: string; durationS: number }
  | { kind: 'trim'; path: string; fromS: number; toS: number };

export interface PieceCut {
  video: VideoStep[];
  audio: AudioStep | undefined;
  /** Frames re-encoded at the start and at the end of the piece. */
  reencoded: { start: number; end: number };
  /** Keyframe mode: how much earlier the piece starts and later it ends than asked (s). */
  widened: { start: number; end: number };
  /** The piece's real in and out points after the cut (s). */
  inS: number;
  outS: number;
}

export interface PieceInput {
  path: string;
  inS: number;
  outS: number;
  /** Length of the video track (s). */
  videoS: number;
  /** Length of the audio track (s); null: no sound. */
  audioS: number | null;
}

/**
 * Cut one piece. `packets` may be undefined only for a whole file (in at 0, out at its end): it
 * is copied as it is.
 */
export function cutPiece(
  p: PieceInput,
  packets: PacketIndex | undefined,
  mode: 'smart' | 'keyframe',
): PieceCut {
  const frame = packets ? 1 / packets.fps : 0.04;
  const eps = frame / 2;
  const whole = p.inS <= eps && p.outS >= p.videoS - eps;
  const audioOf = (inS: number, outS: number, isWhole: boolean): AudioStep | undefined =>
    p.audioS === null
      ? undefined
      : isWhole
        ? { kind: 'whole', path: p.path, durationS: p.audioS }
        : { kind: 'trim', path: p.path, fromS: inS, toS: outS };
  if (whole)
    return {
      video: [{ kind: 'copy', path: p.path, durationS: p.videoS }],
      audio: audioOf(0, p.videoS, true),
      reencoded: { start: 0, end: 0 },
      widened: { start: 0, end: 0 },
      inS: 0,
      outS: p.videoS,
    };
  if (!packets) throw new Error(`cutPiece: ${p.path} is cut inside but has no packet index`);
  const keys = packets.keys;
  const atEnd = (t: number): boolean => t >= packets.durationS - eps;
  /** The key whose pts is `t` (within half a frame). */
  const keyAt = (t: number): { pts: number; dts: number } | undefined =>
    keys.find((k) => Math.abs(k.pts - t) <= eps);
  const frames = (a: number, b: number): number => Math.max(0, Math.round((b - a) * packets.fps));

  if (mode === 'keyframe') {
    const start = [...keys].reverse().find((k) => k.pts <= p.inS + eps) ?? keys[0];
    const end = keys.find((k) => k.pts >= p.outS - eps && k.pts > (start?.pts ?? 0) + eps);
    const inS = start?.pts ?? 0;
    const outS = end ? end.pts : packets.durationS;
    const isWhole = inS <= eps && atEnd(outS);
    return {
      video: [
        {
          kind: 'copy',
          path: p.path,
          inS: inS <= eps ? undefined : inS,
          outDts: end ? end.dts : undefined,
          durationS: outS - inS,
        },
      ],
      audio: audioOf(inS, outS, isWhole),
      reencoded: { start: 0, end: 0 },
      widened: { start: Math.max(0, p.inS - inS), end: Math.max(0, outS - p.outS) },
      inS,
      outS,
    };
  }

  // Smart: the first keyframe at or after the in point, the last at or before the out point.
  const first = keys.find((k) => k.pts >= p.inS - eps);
  const last = [...keys].reverse().find((k) => k.pts <= p.outS + eps);
  const video: VideoStep[] = [];
  let reStart = 0;
  let reEnd = 0;
  if (!first || !last || first.pts >= last.pts - eps) {
    // No whole GOP inside: the piece is one GOP or less; re-encode it, unless it ends at a key
    // with the rest copyable (in point on a key, out at the file's end).
    const onKey = keyAt(p.inS);
    if (onKey && atEnd(p.outS))
      video.push({
        kind: 'copy',
        path: p.path,
        inS: onKey.pts <= eps ? undefined : onKey.pts,
        durationS: packets.durationS - onKey.pts,
      });
    else {
      reStart = frames(p.inS, p.outS);
      video.push({ kind: 'encode', path: p.path, fromS: p.inS, frames: reStart });
    }
  } else {
    if (first.pts > p.inS + eps) {
      reStart = frames(p.inS, first.pts);
      video.push({ kind: 'encode', path: p.path, fromS: p.inS, frames: reStart });
    }
    const endsAtFileEnd = atEnd(p.outS);
    // Copy [first, last) — or to the file's end when the out point is its end.
    const copyEnd = endsAtFileEnd ? packets.durationS : last.pts;
    video.push({
      kind: 'copy',
      path: p.path,
      inS: first.pts <= eps ? undefined : first.pts,
      outDts: endsAtFileEnd ? undefined : last.dts,
      durationS: copyEnd - first.pts,
    });
    if (!endsAtFileEnd && p.outS > last.pts + eps) {
      reEnd = frames(last.pts, p.outS);
      video.push({ kind: 'encode', path: p.path, fromS: last.pts, frames: reEnd });
    }
  }
  return {
    video,
    audio: audioOf(p.inS, p.outS, false),
    reencoded: { start: reStart, end: reEnd },
    widened: { start: 0, end: 0 },
    inS: p.inS,
    outS: p.outS,
  };
}
