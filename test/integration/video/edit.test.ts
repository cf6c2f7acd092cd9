/**
 * Edits (src/video/edit.ts) with real ffmpeg: pieces of a clip in a new order and a second clip
 * joined after them, exact; the sound dropped; a rotation flag; a 720p preset; and the refusals
 * (sizes that differ without a preset, a piece outside its clip).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixedClock } from '../../../src/adapters/clock.js';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { DEFAULT_NAME_TEMPLATE } from '../../../src/core/naming.js';
import { getItem } from '../../../src/library/catalog/items.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { libraryFile } from '../../../src/library/layout.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import { makeEdit, parseCut, type EditDeps } from '../../../src/video/edit.js';
import { recordSegments } from '../../kit/segments.js';

const FPS = 25;
let work: string;
let drive: Drive;
let cat: Catalog;
let a: string;
let b: string;
let small: string;

const deps: EditDeps = {
  runner: nodeProcessRunner,
  analyzer: createMediaAnalyzer({ runner: nodeProcessRunner }),
  clock: fixedClock(new Date('2026-11-22T09:00:00Z')),
  timeZone: 'UTC',
  nameTemplate: DEFAULT_NAME_TEMPLATE,
  thumbnailSize: 160,
  previewSize: 640,
  lowPriority: true,
};

async function probe(file: string): Promise<{ streams: Record<string, unknown>[]; chapters: unknown[] }> {
  const r = await nodeProcessRunner.run('ffprobe', [
    '-v',
    'error',
    '-count_packets',
    '-show_entries',
    'stream=codec_type,nb_read_packets,duration,height:stream_side_data=rotation',
    '-show_chapters',
    '-of',
    'json',
    file,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.toString('utf8')) as { streams: Record<string, unknown>[]; chapters: unknown[] };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-edit-'));
  drive = await initDrive(join(work, 'drive'), { now: new Date() });
  const T = Date.parse('2026-11-21T10:00:00Z');
  a = (await recordSegments(drive, { camera: 'gate', startMs: T, seconds: 40, segmentS: 40, work }))[0]!.item
    .id;
  b = (
    await recordSegments(drive, { camera: 'gate', startMs: T + 3600_000, seconds: 20, segmentS: 20, work })
  )[0]!.item.id;
  small = (
    await recordSegments(drive, {
      camera: 'gate',
      startMs: T + 7200_000,
      seconds: 10,
      segmentS: 10,
      size: '320x240',
      work,
    })
  )[0]!.item.id;
  cat = await openCatalog(drive.layout.catalog);
});
after(async () => {
  await cat?.close();
  await rm(work, { recursive: true, force: true });
});

describe('edit video items', { timeout: 300_000 }, () => {
  it('pieces in a new order and a clip joined after them: exact, chapters per piece, the edit list kept', async () => {
    const pieces = [
      { item: a, ...parseCut('00:00:20.2-00:00:25') },
      { item: a, ...parseCut('3.32-9.72') },
      { item: b, inS: 0, outS: 20 },
    ];
    const r = await makeEdit(cat, drive.layout, { pieces, preset: 'original', audio: true, rotate: 0 }, deps);
    const want = Math.round(4.8 * FPS) + Math.round(6.4 * FPS) + 20 * FPS;
    assert.equal(r.join.mode, 'smart');
    assert.ok(Math.abs(r.join.frames - want) <= 1, `${r.join.frames} frames, ${want} wanted`);
    const p = await probe(libraryFile(drive.layout.root, r.item.path));
    const v = p.streams.find((s) => s.codec_type === 'video')!;
    const s = p.streams.find((x) => x.codec_type === 'audio')!;
    assert.ok(Math.abs(Number(s.duration) - Number(v.duration)) <= 0.0214, `A ${s.duration} V ${v.duration}`);
    assert.equal(p.chapters.length, 3);
    const item = (await getItem(cat, r.item.id))!;
    assert.equal(item.card_id, 'edit:gate');
    const facts = JSON.parse(item.facts) as {
      edit: { pieces: unknown[]; sources: string[]; preset: string };
    };
    assert.deepEqual(facts.edit.pieces, pieces, 'the edit list, to open again');
    assert.deepEqual(facts.edit.sources, [a, b]);
    // The sources are untouched items.
    assert.equal((await getItem(cat, a))!.state, 'stored');
  });

  it('drops the sound, turns the picture by a flag, and re-encodes to a preset', async () => {
    const quiet = await makeEdit(
      cat,
      drive.layout,
      { pieces: [{ item: b, inS: 2.5, outS: 7.5 }], preset: 'original', audio: false, rotate: 90 },
      deps,
    );
    const q = await probe(libraryFile(drive.layout.root, quiet.item.path));
    assert.deepEqual(
      q.streams.map((x) => x.codec_type).filter((t) => t !== 'data'),
      ['video'],
      'no sound (the chapters are a data track)',
    );
    const rot = JSON.stringify(q.streams[0]);
    assert.match(rot, /"rotation":\s*-?90/, rot);
    const hd = await makeEdit(
      cat,
      drive.layout,
      {
        pieces: [
          { item: b, inS: 1, outS: 4 },
          { item: small, inS: 0, outS: 10 },
        ],
        preset: '720p',
        audio: true,
        rotate: 0,
      },
      deps,
    );
    assert.equal(hd.join.mode, 'reencode');
    const h = await probe(libraryFile(drive.layout.root, hd.item.path));
    assert.equal(h.streams.find((x) => x.codec_type === 'video')!.height, 720);
    assert.ok(Math.abs(hd.join.durationS - 13) < 0.1, `${hd.join.durationS} s`);
    // The hardware encoder asked for on a machine without one (no V4L2 encoder device here):
    // libx264 makes it, and the result says why.
    const hw = await makeEdit(
      cat,
      drive.layout,
      { pieces: [{ item: b, inS: 0.5, outS: 3 }], preset: '720p', audio: true, rotate: 0 },
      { ...deps, encoder: 'h264_v4l2m2m' },
    );
    assert.equal(hw.join.encoder, 'libx264');
    assert.match(hw.join.encoderNote ?? '', /h264_v4l2m2m does not work here \(.+\): libx264 was used/);
    assert.equal(hd.join.encoder, 'libx264', 'auto: libx264 where the hardware encoder does not work');
    assert.equal(hd.join.encoderNote, undefined, 'auto says nothing');
  });

  it('refuses sizes that differ without a preset, and a piece outside its clip', async () => {
    await assert.rejects(
      makeEdit(
        cat,
        drive.layout,
        {
          pieces: [
            { item: b, inS: 0, outS: 5 },
            { item: small, inS: 0, outS: 5 },
          ],
          preset: 'original',
          audio: true,
          rotate: 0,
        },
        deps,
      ),
      (e: Error & { code?: string; hint?: string }) =>
        e.code === 'VIDEO_MISMATCH' && /720p/.test(e.hint ?? ''),
    );
    await assert.rejects(
      makeEdit(
        cat,
        drive.layout,
        { pieces: [{ item: b, inS: 30, outS: 35 }], preset: 'original', audio: true, rotate: 0 },
        deps,
      ),
      (e: Error & { code?: string }) => e.code === 'INVALID_INPUT',
    );
    assert.throws(() => parseCut('2:03-1:12'), /END after START/);
  });
});
