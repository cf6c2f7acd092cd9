import { execFileSync } from 'node:child_process';

/** The first video stream of a file as ffprobe reports it: size and average frame rate. */
export function probeVideo(path: string): { width: number; height: number; avg_frame_rate: string } {
  const out = execFileSync('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height,avg_frame_rate',
    '-of',
    'json',
    path,
  ]);
  return (
    JSON.parse(out.toString()) as { streams: { width: number; height: number; avg_frame_rate: string }[] }
  ).streams[0]!;
}

/** The video frames in a file, decoded (ffprobe -count_frames). */
export function countFrames(path: string): number {
  const out = execFileSync('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_frames',
    '-of',
    'csv=p=0',
    path,
  ]);
  return Number(out.toString().trim());
}
