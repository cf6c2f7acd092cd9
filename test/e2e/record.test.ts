/**
 * `outpost record` as a user runs it: the real CLI, real ffmpeg, ~30 s of the test pattern in
 * continuous mode; then motion mode on a clip with one known crossing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { outpost } from '../kit/cli.js';
import { probeVideo } from '../kit/ffprobe.js';
import { makeMotionClip } from '../kit/motion-clips.js';

describe('outpost record (e2e)', { timeout: 150_000 }, () => {
  let base = '';
  after(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('records 30 s in 10 s segments into library/<camera>/<date>/ and lists them', async () => {
    base = await mkdtemp(join(tmpdir(), 'outpost-rec-e2e-'));
    const lib = join(base, 'drive');
    assert.equal((await outpost(['init-drive', lib])).code, 0);
    const r = await outpost(
      [
        'record',
        '--source',
        'testsrc:?size=320x240&rate=25',
        '--library',
        lib,
        '--camera',
        'hatcam',
        '--duration',
        '31s',
        '--json',
      ],
      { timeoutMs: 80_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const segs = lines.filter((l) => l.event === 'segment');
    const summary = lines.at(-1)!;
    assert.equal(summary.event, 'summary');
    assert.ok(segs.length === 3 || segs.length === 4, `${segs.length} segments`);
    assert.equal(summary.segments, segs.length);
    const total = segs.reduce((t, s) => t + Number(s.durationS), 0);
    assert.ok(total > 27 && total <= 31, `recorded ${total} s`);
    for (const s of segs.slice(0, 3)) assert.ok(Math.abs(Number(s.durationS) - 10) <= 0.04);
    const day = (await readdir(join(lib, 'library', 'hatcam')))[0]!;
    assert.equal((await readdir(join(lib, 'library', 'hatcam', day))).length, segs.length);
    const ls = await outpost(['ls', '--library', lib, '--json']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal((JSON.parse(ls.stdout) as unknown[]).length, segs.length);

    const bad = await outpost(['record', '--source', 'camera1', '--library', lib, '--duration', '1s']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /RECORDER_SOURCE/);
  });
  it('--rotate 90 --fps 5 --size: the library segments have the picture asked for; bad values all said', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outpost-rec-turn-'));
    try {
      const lib = join(dir, 'drive');
      assert.equal((await outpost(['init-drive', lib])).code, 0);
      const r = await outpost(
        [
          'record',
          '--source',
          'testsrc:?size=320x240&rate=25',
          '--library',
          lib,
          '--camera',
          'turned',
          '--segment',
          '2s',
          '--rotate',
          '90',
          '--fps',
          '5',
          '--size',
          '120x160',
          '--duration',
          '5s',
          '--json',
        ],
        { timeoutMs: 60_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      const seg = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.event === 'segment');
      assert.ok(seg, r.stdout);
      assert.deepEqual(probeVideo(join(lib, String(seg.path))), {
        width: 120,
        height: 160,
        avg_frame_rate: '5/1',
      });
      const bad = await outpost([
        'record',
        '--source',
        'testsrc:',
        '--library',
        lib,
        '--rotate',
        '45',
        '--size',
        'big',
        '--fps',
        '0',
      ]);
      assert.equal(bad.code, 2);
      for (const k of ['--rotate', '--size', '--fps']) assert.match(bad.stderr, new RegExp(k));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--mode motion saves the crossing of a clip as one event item with its thumbnail', async () => {
    base ||= await mkdtemp(join(tmpdir(), 'outpost-rec-e2e-'));
    const lib = join(base, 'motion-drive');
    assert.equal((await outpost(['init-drive', lib])).code, 0);
    const clip = join(base, 'crossing.mp4');
    // One crossing at 4–9 s; the recorder stops at 18 s, before the event closes on its own
    // (merge gap 10 s): the event in flight is flushed and saved.
    await makeMotionClip(clip, {
      durationS: 24,
      motion: [{ from: 4, to: 9 }],
      lighting: [],
      preset: 'ultrafast',
    });
    const cfg = join(base, 'motion.yaml');
    await writeFile(cfg, `recorder:\n  ringDir: ${join(base, 'shm')}\n`);
    const r = await outpost(
      [
        '--config',
        cfg,
        'record',
        '--source',
        `file:${clip}`,
        '--library',
        lib,
        '--camera',
        'gate',
        '--mode',
        'motion',
        '--duration',
        '18s',
        '--json',
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /wiring pending/);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const events = lines.filter((l) => l.event === 'motion-event');
    const summary = lines.at(-1)!;
    assert.equal(summary.event, 'summary');
    assert.equal(summary.events, 1, r.stdout);
    assert.equal(events.length, 1, r.stdout);
    const ev = events[0]!;
    // Pre-roll (clipped at the start of the recording) + 5 s of motion + 5 s post-roll.
    assert.ok(Math.abs(Number(ev.durationS) - 14) <= 1.5, `event of ${String(ev.durationS)} s`);
    assert.match(String(ev.path), /^library\/gate\/\d{4}-\d{2}-\d{2}\/.+\.mp4$/);
    const ls = await outpost(['ls', '--library', lib, '--json']);
    assert.equal(ls.code, 0, ls.stderr);
    const items = JSON.parse(ls.stdout) as { id: string; card_id?: string; cardId?: string }[];
    assert.equal(items.length, 1);
    assert.equal(items[0]!.id, ev.id);
    const shard = String(ev.id).slice(0, 2);
    const thumbs = await readdir(join(lib, '.outpost', 'derived', shard));
    assert.ok(thumbs.includes(`${String(ev.id)}-thumb.webp`), thumbs.join(' '));
  });
});
