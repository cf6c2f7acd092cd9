/**
 * A time range of a camera as one video (src/video/export-range.ts) with real ffmpeg: 3 minutes
 * of 10 s segments with sound, two of them deleted, exported from a point between keyframes to
 * another; then the bad inputs (an unreadable segment, a size change, no footage, a cancel).
 */
import assert from 'node:assert/strict';
import { open, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixedClock } from '../../../src/adapters/clock.js';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { DEFAULT_NAME_TEMPLATE } from '../../../src/core/naming.js';
import { deleteItemRow, getItem } from '../../../src/library/catalog/items.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { libraryFile } from '../../../src/library/layout.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import { followFile } from '../../../src/server/follow-file.js';
import { exportRange, type ExportRangeDeps } from '../../../src/video/export-range.js';
import { recordSegments, type MadeSegment } from '../../kit/segments.js';

const FPS = 25;
const T0 = Date.parse('2026-11-21T14:00:00Z');
let work: string;
let drive: Drive;
let cat: Catalog;
let segs: MadeSegment[];

const deps = (over: Partial<ExportRangeDeps> = {}): ExportRangeDeps => ({
  runner: nodeProcessRunner,
  analyzer: createMediaAnalyzer({ runner: nodeProcessRunner }),
  clock: fixedClock(new Date('2026-11-22T09:00:00Z')),
  timeZone: 'UTC',
  nameTemplate: DEFAULT_NAME_TEMPLATE,
  thumbnailSize: 160,
  previewSize: 640,
  lowPriority: true,
  ...over,
});

async function ff(args: string[]): Promise<string> {
  const r = await nodeProcessRunner.run('ffmpeg', ['-nostdin', '-hide_banner', ...args], {
    timeoutMs: 300_000,
  });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.toString('utf8') + r.stderr;
}

async function probe(file: string, entries: string, stream = 'v:0'): Promise<Record<string, unknown>> {
  const r = await nodeProcessRunner.run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    stream,
    '-count_packets',
    '-show_entries',
    entries,
    '-show_chapters',
    '-of',
    'json',
    file,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.toString('utf8')) as Record<string, unknown>;
}

/** Decoded frames' MD5s (framemd5), in order. */
async function frameMd5s(file: string): Promise<string[]> {
  const out = await ff(['-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'framemd5', '-']);
  return out
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').at(-1)!.trim());
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-export-'));
  drive = await initDrive(join(work, 'drive'), { now: new Date(T0) });
  segs = await recordSegments(drive, { camera: 'gate', startMs: T0, seconds: 180, segmentS: 10, work });
  cat = await openCatalog(drive.layout.catalog);
});

after(async () => {
  await cat?.close();
  await rm(work, { recursive: true, force: true });
});

describe('export a time range of a camera', { timeout: 600_000 }, () => {
  it('joins the segments with exact cuts: kept frames only, gaps as chapters, copied frames bit-identical', async () => {
    assert.equal(segs.length, 18);
    // Two segments deleted: 14:01:00–14:01:10 and 14:02:00–14:02:10.
    for (const i of [6, 12]) {
      await rm(libraryFile(drive.layout.root, segs[i]!.item.path));
      await deleteItemRow(cat, segs[i]!.item.id);
    }
    const fromMs = T0 + 25_320; // between keyframes (every 10 s)
    const toMs = T0 + 150_680;
    // Watched while it is made: the fragmented copy, read as it grows (as the stream route does).
    let watched: Promise<Buffer> | undefined;
    let streamDone = false;
    const r = await exportRange(
      cat,
      drive.layout,
      { camera: 'gate', fromMs, toMs, mode: 'smart' },
      deps({
        onStream: (path, state) => {
          if (state === 'done') streamDone = true;
          else
            watched = open(path, 'r').then(async (fh) => {
              const parts: Buffer[] = [];
              for await (const b of followFile(fh, () => streamDone, 20)) parts.push(b as Buffer);
              return Buffer.concat(parts);
            });
        },
      }),
    );
    assert.ok(watched, 'a stream was offered');
    const live = join(work, 'live.mp4');
    await writeFile(live, await watched);
    const lp = await probe(live, 'stream=nb_read_packets');
    const liveFrames = Number((lp.streams as { nb_read_packets: string }[])[0]!.nb_read_packets);
    assert.ok(
      Math.abs(liveFrames - Math.round((150.68 - 25.32 - 20) * FPS)) <= 1,
      `${liveFrames} frames streamed`,
    );
    assert.equal((await ff(['-v', 'error', '-i', live, '-map', '0:v', '-f', 'null', '-'])).trim(), '');
    const file = libraryFile(drive.layout.root, r.item.path);
    // Kept frames in range: 25.32 → 150.68 s is 125.36 s, minus the two deleted 10 s segments.
    const expected = Math.round((150.68 - 25.32 - 20) * FPS);
    const p = await probe(file, 'stream=nb_read_packets,duration');
    const v = (p.streams as { nb_read_packets: string; duration: string }[])[0]!;
    assert.ok(
      Math.abs(Number(v.nb_read_packets) - expected) <= 1,
      `${v.nb_read_packets} frames, ${expected} expected`,
    );
    assert.ok(Math.abs(Number(v.duration) - expected / FPS) <= 1 / FPS + 1e-6, `duration ${v.duration}`);
    assert.equal(r.join.mode, 'smart');
    // Re-encoded: only to the first keyframe and from the last one (≤ one GOP each).
    assert.equal(r.join.reencodedPerCut.length, 2);
    for (const n of r.join.reencodedPerCut) assert.ok(n > 0 && n <= r.join.gopFrames, `${n} re-encoded`);
    // The sound lasts as long as the picture (within one AAC frame, 21.3 ms).
    const a = (await probe(file, 'stream=duration', 'a:0')).streams as { duration: string }[];
    assert.ok(
      Math.abs(Number(a[0]!.duration) - Number(v.duration)) <= 0.0214,
      `A ${a[0]!.duration} V ${v.duration}`,
    );
    // Gaps are chapters, with the recorded spans between them.
    const titles = (p.chapters as { tags: { title: string } }[]).map((c) => c.tags.title);
    assert.deepEqual(titles, [
      'Recorded 14:00:25–14:01:00',
      'No recording 14:01:00–14:01:10',
      'Recorded 14:01:10–14:02:00',
      'No recording 14:02:00–14:02:10',
      'Recorded 14:02:10–14:02:30',
    ]);
    // Plays without one decode error.
    const errors = await ff(['-v', 'error', '-i', file, '-f', 'null', '-']);
    assert.equal(errors.trim(), '');
    // Copied frames are the source's: the whole segment 14:00:30–14:00:40 (segment 3) follows
    // the frames re-encoded from 25.32 s to its first keyframe.
    const got = await frameMd5s(file);
    const src = await frameMd5s(libraryFile(drive.layout.root, segs[3]!.item.path));
    const at = r.join.reencodedPerCut[0]!;
    assert.ok(Math.abs(at - Math.round(4.68 * FPS)) <= 1, `${at} frames before 14:00:30`);
    assert.deepEqual(got.slice(at, at + src.length), src);
    // An item of its own, linked to its segments.
    const item = (await getItem(cat, r.item.id))!;
    assert.equal(item.card_id, 'export:gate');
    const facts = JSON.parse(item.facts) as { export: { sources: string[]; gaps: unknown[] } };
    assert.equal(facts.export.sources.length, 12, 'segments 2–15 but 6 and 12');
    assert.equal(facts.export.gaps.length, 2);
    assert.ok(item.has_poster || item.has_thumb, 'a poster or thumbnail was made');
    // Nothing left in the drive's tmp.
    assert.deepEqual(
      (await readdir(drive.layout.tmpDir)).filter((f) => !f.startsWith('.')),
      [],
    );
  });

  it('keyframe mode copies only, and says how much wider it starts and ends', async () => {
    const r = await exportRange(
      cat,
      drive.layout,
      { camera: 'gate', fromMs: T0 + 33_000, toMs: T0 + 47_000, mode: 'keyframe' },
      deps(),
    );
    assert.equal(r.join.mode, 'keyframe');
    assert.deepEqual(r.join.reencodedPerCut, []);
    assert.ok(Math.abs(r.join.widened.start - 3) < 0.05, `start widened ${r.join.widened.start}`);
    assert.ok(Math.abs(r.join.widened.end - 3) < 0.05, `end widened ${r.join.widened.end}`);
    assert.equal(r.join.frames, 20 * FPS);
  });

  it('an unreadable segment in the range is skipped and reported; no footage and a size change are refused', async () => {
    await truncate(libraryFile(drive.layout.root, segs[15]!.item.path), 1000);
    const r = await exportRange(
      cat,
      drive.layout,
      { camera: 'gate', fromMs: T0 + 140_000, toMs: T0 + 170_000, mode: 'smart' },
      deps(),
    );
    assert.deepEqual(
      r.plan.gaps.map((g) => [
        g.reason,
        Math.round((g.fromMs - T0) / 1000),
        Math.round((g.toMs - T0) / 1000),
      ]),
      [['unreadable', 150, 160]],
    );
    assert.ok(Math.abs(r.join.frames - 20 * FPS) <= 1, `${r.join.frames} frames`);
    await assert.rejects(
      exportRange(
        cat,
        drive.layout,
        { camera: 'gate', fromMs: T0 + 3600_000, toMs: T0 + 3700_000, mode: 'smart' },
        deps(),
      ),
      (e: Error & { code?: string }) => e.code === 'VIDEO_NO_FOOTAGE',
    );
    // The camera's picture size changes (a second run at another size right after the first).
    await recordSegments(drive, {
      camera: 'gate',
      startMs: T0 + 180_000,
      seconds: 20,
      segmentS: 10,
      size: '320x240',
      work,
    });
    await assert.rejects(
      exportRange(
        cat,
        drive.layout,
        { camera: 'gate', fromMs: T0 + 170_000, toMs: T0 + 190_000, mode: 'smart' },
        deps(),
      ),
      (e: Error & { code?: string }) => e.code === 'VIDEO_MISMATCH' && /14:03:00/.test(e.message),
    );
  });

  it('a cancelled export leaves nothing behind', async () => {
    const abort = new AbortController();
    const before = (await readdir(drive.layout.tmpDir)).length;
    const p = exportRange(
      cat,
      drive.layout,
      { camera: 'gate', fromMs: T0 + 1_300, toMs: T0 + 99_700, mode: 'smart' },
      deps({ signal: abort.signal, onProgress: () => abort.abort() }),
    );
    await assert.rejects(p, (e: Error & { code?: string }) => e.code === 'VIDEO_CANCELLED');
    assert.equal((await readdir(drive.layout.tmpDir)).length, before);
    await writeFile(join(work, 'done'), '');
  });
});
