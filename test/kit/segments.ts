import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeProcessRunner } from '../../src/adapters/process-runner.js';
import { openCatalog } from '../../src/library/catalog/open.js';
import type { ItemRow } from '../../src/library/catalog/schema.js';
import type { Drive } from '../../src/library/drive.js';
import { keyframeExpr } from '../../src/recorder/capture-command.js';
import { placeSegment } from '../../src/recorder/segment-item.js';
import { realRecorderDeps } from './recorder.js';

/**
 * Recorded segments made faster than real time: ffmpeg's test pattern and a tone through the
 * recorder's own encoder settings (libx264 zerolatency, keyframes on the segment grid, AAC, the
 * segment muxer with timestamps reset per file), then placed on the drive as the recorder places
 * them (placeSegment: facts.recording, `cam:<camera>` items). The recorder itself reads its
 * sources in real time; its own test (recorder/continuous) covers that part.
 */
export interface MadeSegment {
  item: ItemRow;
  startMs: number;
  endMs: number;
  index: number;
}

export async function recordSegments(
  drive: Drive,
  o: {
    camera: string;
    startMs: number;
    seconds: number;
    segmentS: number;
    size?: string;
    fps?: number;
    audio?: boolean;
    work: string;
  },
): Promise<MadeSegment[]> {
  const fps = o.fps ?? 25;
  const dir = join(o.work, `seg-${o.camera}-${o.startMs}`);
  const list = join(dir, 'list.csv');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  const r = await nodeProcessRunner.run(
    'ffmpeg',
    [
      '-nostdin',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${o.size ?? '640x360'}:rate=${fps}`,
      ...(o.audio === false ? [] : ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000']),
      '-t',
      String(o.seconds),
      '-map',
      '0:v:0',
      ...(o.audio === false ? ['-an'] : ['-map', '1:a:0', '-c:a', 'aac', '-b:a', '96k']),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'zerolatency',
      '-crf',
      '28',
      '-pix_fmt',
      'yuv420p',
      '-force_key_frames',
      keyframeExpr(o.segmentS),
      '-f',
      'segment',
      '-segment_time',
      String(o.segmentS),
      '-segment_format',
      'mp4',
      '-reset_timestamps',
      '1',
      '-segment_list',
      list,
      '-segment_list_type',
      'csv',
      join(dir, '%06d.mp4'),
    ],
    { timeoutMs: 300_000 },
  );
  if (r.code !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  const rows = (await readFile(list, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  const cat = await openCatalog(drive.layout.catalog);
  const out: MadeSegment[] = [];
  try {
    for (const [i, [file, a, b]] of rows.entries()) {
      const startMs = o.startMs + Math.round(Number(a) * 1000);
      const endMs = o.startMs + Math.round(Number(b) * 1000);
      const placed = await placeSegment(
        cat,
        drive.layout,
        {
          path: join(dir, file!),
          camera: o.camera,
          startMs,
          endMs,
          index: i,
          runId: `test-${o.startMs}`,
          runStartS: Number(a),
          runEndS: Number(b),
        },
        { ...realRecorderDeps(), timeZone: 'UTC' },
      );
      out.push({ item: placed.item, startMs, endMs, index: i });
    }
  } finally {
    await cat.close();
  }
  return out;
}
