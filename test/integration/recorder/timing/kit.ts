/**
 * Helpers of the frame-timing tests: ffprobe's frame times of a recording, the frames.csv beside
 * it, and a Recorder run on a temp drive until it has closed enough segments.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Drive } from '../../../../src/library/drive.js';
import { Recorder, type CameraSettings } from '../../../../src/recorder/recorder.js';
import type { SegmentEvent } from '../../../../src/recorder/sinks/sink.js';
import { realRecorderDeps } from '../../../kit/recorder.js';

/** Presentation times of every frame of the file's video, in order (ffprobe decodes them all). */
export function probeFramePts(path: string): number[] {
  const out = execFileSync('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'frame=pts_time',
    '-of',
    'csv=p=0',
    path,
  ]);
  return (
    out
      .toString()
      .trim()
      .split('\n')
      // Side data may add empty fields and lines: the first field of each non-empty line.
      .map((l) => l.split(',')[0]!.trim())
      .filter(Boolean)
      .map(Number)
      .sort((a, b) => a - b)
  );
}

export { countFrames } from '../../../kit/ffprobe.js';

export interface CsvTable {
  header: string[];
  rows: string[][];
}

export async function readCsv(path: string): Promise<CsvTable> {
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

/** Runs a recorder until `segments` segments are in (or `maxMs`), then stops it. */
export async function recordSegments(
  drive: Drive,
  cam: CameraSettings,
  segments: number,
  ringRoot: string,
  maxMs = 20_000,
  during?: (r: Recorder) => void,
): Promise<{ recorder: Recorder; events: SegmentEvent[] }> {
  const r = new Recorder(cam, { minFreeBytes: 0, deleteUnsent: false, ringRoot }, drive, realRecorderDeps());
  const events: SegmentEvent[] = [];
  r.on('segment', (s) => events.push(s));
  await r.start();
  during?.(r);
  for (let t = 0; t < maxMs && events.length < segments; t += 100)
    await new Promise((res) => setTimeout(res, 100));
  await r.stop();
  return { recorder: r, events };
}

export function abs(drive: Drive, e: SegmentEvent): string {
  return join(drive.layout.root, e.path);
}
