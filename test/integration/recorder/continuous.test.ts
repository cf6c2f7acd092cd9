/**
 * Continuous recording with real ffmpeg: three cameras at once (test pattern re-encoded, a
 * looped H.264 file stream-copied, and one whose ffmpeg is killed -9 mid-segment).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { listItems } from '../../../src/library/catalog/items.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import type { ItemRow } from '../../../src/library/catalog/schema.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { probeAv } from '../../../src/media/ffprobe.js';
import { Recorder, recDir, type CameraSettings, type ClosedSegment } from '../../../src/recorder/recorder.js';
import type { RecordingFacts } from '../../../src/recorder/segment-item.js';
import { realRecorderDeps } from '../../kit/recorder.js';

const FPS = 25;
const FRAME = 1 / FPS;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let base: string;
let drive: Drive;

function recorder(cam: Partial<CameraSettings> & { name: string; source: string }): Recorder {
  return new Recorder(
    { mode: 'continuous', segmentSeconds: 5, copy: 'auto', stallSeconds: 10, ...cam },
    { minFreeBytes: 0, deleteUnsent: false, ringRoot: join(base, 'ring') },
    drive,
    realRecorderDeps(),
  );
}

interface Seg {
  row: ItemRow;
  rec: RecordingFacts;
  probeS: number;
}

async function segmentsOf(camera: string): Promise<Seg[]> {
  const cat = await openCatalog(drive.layout.catalog);
  try {
    const rows = await listItems(cat, { monitor: camera });
    const out: Seg[] = [];
    for (const row of rows) {
      const rec = (JSON.parse(row.facts) as { recording: RecordingFacts }).recording;
      const p = await probeAv(nodeProcessRunner, join(drive.layout.root, row.path), 'UTC');
      out.push({ row, rec, probeS: p.facts.durationS ?? 0 });
    }
    return out.sort((a, b) => (a.rec.start < b.rec.start ? -1 : 1));
  } finally {
    await cat.close();
  }
}

/** Within one run: contiguous (gap ≤ one frame), and durations add up (± one frame per segment). */
function assertContiguous(segs: Seg[], label: string): void {
  for (let i = 1; i < segs.length; i++) {
    const gap = segs[i]!.rec.runStartS - segs[i - 1]!.rec.runEndS;
    assert.ok(Math.abs(gap) <= FRAME + 1e-6, `${label}: gap ${gap} s between segments ${i - 1} and ${i}`);
  }
  for (const s of segs)
    assert.ok(
      Math.abs(s.probeS - (s.rec.runEndS - s.rec.runStartS)) <= FRAME + 1e-6,
      `${label}: segment ${s.rec.segment} probes ${s.probeS} s, list says ${s.rec.runEndS - s.rec.runStartS} s`,
    );
  const listed = segs.at(-1)!.rec.runEndS - segs[0]!.rec.runStartS;
  const sum = segs.reduce((t, s) => t + s.probeS, 0);
  assert.ok(Math.abs(sum - listed) <= segs.length * FRAME + 1e-6, `${label}: sum ${sum} vs length ${listed}`);
}

describe('recorder: continuous segments (real ffmpeg)', { timeout: 300_000 }, () => {
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'outpost-rec-'));
    drive = await initDrive(join(base, 'drive'), { now: new Date() });
    // A 13 s H.264 clip with a keyframe every second, looped by the file source. Not a multiple of
    // the segment length within the test: identical segments would be one item (same bytes).
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=320x240:rate=${FPS}`,
      '-t',
      '13',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-g',
      String(FPS),
      '-pix_fmt',
      'yuv420p',
      join(base, 'loop.mp4'),
    ]);
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('records, stream-copies, and survives kill -9 with only the segment in progress lost', async () => {
    const plain = recorder({
      name: 'pattern',
      source: `testsrc:?size=320x240&rate=${FPS}`,
      segmentSeconds: 6,
    });
    const copied = recorder({ name: 'loop', source: `file:${join(base, 'loop.mp4')}` });
    // Random pattern: a restarted testsrc2 would repeat its first segments byte for byte (same item).
    const killed = recorder({ name: 'killed', source: `testsrc:?size=320x240&rate=${FPS}&pattern=life` });
    let killedPid: number | undefined;
    let firstRunAt = 0;
    killed.on('outputs', (o) => {
      if (o.run === 1) {
        killedPid = o.pid;
        firstRunAt = Date.now();
      }
    });
    const ring: ClosedSegment[] = [];
    killed.on('ring-segment', (r) => ring.push(r));

    const t0 = Date.now();
    await Promise.all([plain.start(), copied.start(), killed.start()]);
    assert.equal(copied.status().copy, true, 'H.264 file is stream-copied');
    assert.equal(plain.status().copy, false, 'the test pattern is encoded');

    // Kill the pipeline 2.5 s into its 4th segment (15 s of output closed by then).
    while (!killedPid) await sleep(50);
    await sleep(Math.max(0, firstRunAt + 17_500 - Date.now()));
    process.kill(killedPid, 'SIGKILL');
    const killedAt = Date.now();

    // The looped file stops after a minute: once loop and segments realign, segments repeat byte
    // for byte, and identical bytes are one item (content ids): no camera does that.
    await sleep(Math.max(0, t0 + 62_000 - Date.now()));
    await copied.stop();
    // The others run a few minutes, as a hat camera would between two uploads.
    await sleep(Math.max(0, t0 + 150_000 - Date.now()));
    await Promise.all([plain.stop(), killed.stop()]);
    const elapsedS = (Date.now() - t0) / 1000;

    // --- uninterrupted: test pattern, 6 s segments
    const p = await segmentsOf('pattern');
    assert.ok(p.length >= 22, `pattern: ${p.length} segments in 150 s`);
    assert.equal(new Set(p.map((s) => s.rec.run)).size, 1);
    assertContiguous(p, 'pattern');
    for (const s of p.slice(0, -1))
      assert.ok(Math.abs(s.probeS - 6) <= FRAME + 1e-6, `6 s segment: ${s.probeS}`);
    const recorded = p.reduce((t, s) => t + s.probeS, 0);
    assert.ok(recorded <= elapsedS && recorded >= elapsedS - 4, `recorded ${recorded} s in ${elapsedS} s`);
    for (const s of p) {
      assert.equal(s.row.card_id, 'cam:pattern');
      assert.match(s.row.path, /^library\/pattern\/\d{4}-\d{2}-\d{2}\/\d{8}-\d{6}_[0-9a-f]{16}\.mp4$/);
      assert.ok(s.probeS > 0 && (s.row.duration_s ?? 0) > 0);
      assert.equal(s.row.has_poster, 1, 'poster made like ingest does');
    }
    // Wall-clock starts: each segment starts where the previous ended (same anchor).
    for (let i = 1; i < p.length; i++)
      assert.ok(Math.abs(Date.parse(p[i]!.rec.start) - Date.parse(p[i - 1]!.rec.end)) <= 40);

    // --- stream copy of a looped H.264 file
    const c = await segmentsOf('loop');
    assert.ok(c.length >= 10, `loop: ${c.length} segments`);
    assertContiguous(c, 'loop');
    assert.ok(
      c.every((s) => (JSON.parse(s.row.facts) as { codecs?: { video?: string } }).codecs?.video === 'h264'),
    );

    // --- killed -9 mid-segment: restarted, only the segment in progress lost
    assert.equal(killed.status().restarts, 1);
    const k = await segmentsOf('killed');
    const runs = [...new Set(k.map((s) => s.rec.run))];
    assert.equal(runs.length, 2, 'two runs: before and after the kill');
    const first = k.filter((s) => s.rec.run === runs[0]);
    const second = k.filter((s) => s.rec.run === runs[1]);
    assert.equal(first.length, 3, 'the three segments closed before the kill are kept');
    assertContiguous(first, 'killed run 1');
    assertContiguous(second, 'killed run 2');
    const lostS = (Date.parse(second[0]!.rec.start) - Date.parse(first.at(-1)!.rec.end)) / 1000;
    const inProgressS = (killedAt - Date.parse(first.at(-1)!.rec.end)) / 1000;
    assert.ok(inProgressS > 1 && inProgressS < 5, `segment in progress was ${inProgressS} s old`);
    // Lost = the part of the segment in progress + restart (backoff ≤ 1.2 s) + ffmpeg start-up.
    assert.ok(lostS >= inProgressS && lostS <= inProgressS + 3.5, `lost ${lostS} s`);
    assert.equal(ring.length, 0);
    // Nothing left behind in the recording directories (partial segment dropped).
    for (const cam of ['pattern', 'loop', 'killed'])
      assert.deepEqual(await readdir(recDir(drive, cam)), [], `${cam}: rec dir empty`);
  });
});
