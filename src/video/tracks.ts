/**
 * A video file's tracks as a join needs them (lengths, codec, size), read in-process from its
 * `moov` box: a few small reads instead of an ffprobe process per file (an hour of segments is
 * 360 files).
 */
import { open } from 'node:fs/promises';
import { readIsoBmff } from '../media/isobmff.js';

export interface Tracks {
  /** Length of the video track (s). */
  videoS: number;
  /** Length of the sound track (s); null: no sound. */
  audioS: number | null;
  codec: string;
  width: number;
  height: number;
}

/** The file's tracks; throws (the reason) when it has no readable video track. */
export async function readTracks(path: string): Promise<Tracks> {
  const fh = await open(path, 'r');
  try {
    const info = await readIsoBmff(fh, (await fh.stat()).size);
    const v = info?.streams?.find((s) => s.codec_type === 'video');
    const a = info?.streams?.find((s) => s.codec_type === 'audio');
    const videoS = Number(v?.duration);
    if (!v || !(videoS > 0)) throw new Error('no readable video track');
    return {
      videoS,
      audioS: a && Number(a.duration) > 0 ? Number(a.duration) : null,
      codec: v.codec_name ?? 'unknown',
      width: v.width ?? 0,
      height: v.height ?? 0,
    };
  } finally {
    await fh.close();
  }
}
