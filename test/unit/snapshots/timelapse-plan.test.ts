import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutpostError } from '../../../src/core/errors.js';
import {
  chaptersMetadata,
  concatList,
  concatQuote,
  dayBounds,
  inferIntervalS,
  planTimelapse,
  timelapseChapters,
  timelapseDateDue,
  type TimelapseFrame,
  type TimelapseSettings,
} from '../../../src/snapshots/timelapse/plan.js';
import {
  lowPriorityCommand,
  parseVerify,
  progressFrame,
  timelapseArgs,
  timelapseFilter,
} from '../../../src/snapshots/timelapse/encode.js';

const S: TimelapseSettings = { fps: 24, crf: 24, preset: 'veryfast', maxWidth: 1920, deflicker: false };
const MIN = 60_000;
const H = 3_600_000;

/** One snapshot a minute from `fromMs` (inclusive) to `toMs` (exclusive), but none in the `skip` spans. */
function everyMinute(fromMs: number, toMs: number, skip: [number, number][] = []): TimelapseFrame[] {
  const out: TimelapseFrame[] = [];
  for (let t = fromMs; t < toMs; t += MIN)
    if (!skip.some(([a, b]) => t >= a && t < b)) out.push({ file: `/snaps/${t}.jpg`, atMs: t });
  return out;
}

/** A deterministic jitter in [−j, +j] ms. */
function jitter(i: number, j: number): number {
  return Math.round(Math.sin(i * 12.9898) * j);
}

function seconds(list: string): number[] {
  return [...list.matchAll(/^duration (\S+)$/gm)].map((m) => Number(m[1]));
}

describe('dayBounds: the camera-local day as instants', () => {
  it('is 24 h on an ordinary day, from local midnight', () => {
    const b = dayBounds('2024-06-12', 'Europe/Madrid');
    assert.equal(b.startMs, Date.parse('2024-06-11T22:00:00Z'));
    assert.equal(b.endMs - b.startMs, 24 * H);
    const k = dayBounds('2024-06-12', 'Asia/Kolkata');
    assert.equal(k.startMs, Date.parse('2024-06-11T18:30:00Z'));
  });

  it('is 23 h on the spring-forward day and 25 h on the fall-back day', () => {
    const spring = dayBounds('2024-03-31', 'Europe/Madrid');
    assert.equal(spring.startMs, Date.parse('2024-03-30T23:00:00Z'));
    assert.equal(spring.endMs - spring.startMs, 23 * H);
    const fall = dayBounds('2024-10-27', 'Europe/Madrid');
    assert.equal(fall.endMs - fall.startMs, 25 * H);
  });

  it('starts at the first local instant when local midnight does not exist (Santiago springs forward at 00:00)', () => {
    const b = dayBounds('2024-09-08', 'America/Santiago');
    assert.equal(b.startMs, Date.parse('2024-09-08T04:00:00Z')); // 01:00 −03
    assert.equal(b.endMs - b.startMs, 23 * H);
    const fall = dayBounds('2024-04-06', 'America/Santiago');
    assert.equal(fall.endMs - fall.startMs, 25 * H);
  });

  it('refuses a bad date or zone', () => {
    assert.throws(() => dayBounds('2024-02-30', 'UTC'), { code: 'INVALID_INPUT' });
    assert.throws(() => dayBounds('2024-6-1', 'UTC'), { code: 'INVALID_INPUT' });
    assert.throws(() => dayBounds('2024-06-01', 'Mars/Olympus'), { code: 'INVALID_INPUT' });
  });

  it('the day due after local midnight is the day before, in the camera zone', () => {
    // 00:30 on 1 April in Madrid is still 31 March in UTC.
    assert.equal(timelapseDateDue(Date.parse('2024-03-31T22:30:00Z'), 'Europe/Madrid'), '2024-03-31');
    assert.equal(timelapseDateDue(Date.parse('2024-03-31T22:30:00Z'), 'UTC'), '2024-03-30');
  });
});

describe('planTimelapse', () => {
  const day = dayBounds('2024-06-12', 'Europe/Madrid');

  it('a whole day at one a minute: 1440 frames, 60 s of video at 24 fps, no gaps', () => {
    const p = planTimelapse(everyMinute(day.startMs, day.endMs), '2024-06-12', 'Europe/Madrid', S);
    assert.equal(p.frames, 1440);
    assert.equal(p.durationS, 60);
    assert.equal(p.intervalS, 60);
    assert.equal(p.intervalInferred, true);
    assert.equal(p.snapshots, 1440);
    assert.equal(p.entries.length, 1440);
    assert.deepEqual(p.gaps, []);
    assert.equal(p.uncoveredStart, undefined);
    assert.equal(p.uncoveredEnd, undefined);
    assert.ok(p.entries.every((e) => e.frames === 1));
  });

  it('a 30-minute outage is a held frame: frames = covered minutes, and the gap is placed in the video', () => {
    const from = day.startMs + 10 * H; // 10:00 local
    const snaps = everyMinute(day.startMs, day.endMs, [[from + MIN, from + 31 * MIN]]);
    const p = planTimelapse(snaps, '2024-06-12', 'Europe/Madrid', S);
    assert.equal(p.snapshots, 1410);
    assert.equal(p.frames, 1440, 'the outage is not cut out of the day');
    assert.equal(p.durationS, 60);
    assert.equal(p.gaps.length, 1);
    const g = p.gaps[0]!;
    assert.equal(g.fromLocal, '10:00');
    assert.equal(g.toLocal, '10:31');
    assert.equal(g.startFrame, 600);
    assert.equal(g.endFrame, 631);
    assert.equal(g.startS, 600 / 24);
    assert.equal(g.endS, 631 / 24);
    const held = p.entries.find((e) => e.atMs === from)!;
    assert.equal(held.frames, 31);
    assert.equal(held.durationS, 31 / 24);
    // Durations in the list add up to the video's length.
    const sum = seconds(concatList(p)).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 60) < 1e-4, String(sum));
  });

  it('a spring-forward day (23 h) has 1380 frames, a fall-back day (25 h) 1500', () => {
    for (const [date, zone, frames] of [
      ['2024-03-31', 'Europe/Madrid', 1380],
      ['2024-10-27', 'Europe/Madrid', 1500],
      ['2024-09-08', 'America/Santiago', 1380],
    ] as const) {
      const b = dayBounds(date, zone);
      const p = planTimelapse(everyMinute(b.startMs - 2 * H, b.endMs + 2 * H), date, zone, S);
      assert.equal(p.frames, frames, `${date} ${zone}`);
      assert.equal(p.durationS, frames / 24);
      assert.equal(p.snapshots, frames);
      assert.deepEqual(p.gaps, []);
    }
  });

  it('chapters of a fall-back day follow local hours (02:00 twice)', () => {
    const b = dayBounds('2024-10-27', 'Europe/Madrid');
    const p = planTimelapse(everyMinute(b.startMs, b.endMs), '2024-10-27', 'Europe/Madrid', S);
    const titles = timelapseChapters(p).map((c) => c.title);
    assert.equal(titles.length, 25);
    assert.deepEqual(titles.slice(0, 5), ['00:00', '01:00', '02:00', '02:00', '03:00']);
  });

  it('jittery receive times still make exactly one frame per interval', () => {
    const snaps = everyMinute(day.startMs, day.endMs).map((f, i) => ({
      ...f,
      atMs: f.atMs + 5000 + jitter(i, 4000),
    }));
    const p = planTimelapse(snaps, '2024-06-12', 'Europe/Madrid', S);
    assert.equal(p.intervalS, 60);
    assert.equal(p.frames, 1440);
    assert.ok(p.entries.every((e) => e.frames === 1));
    assert.deepEqual(p.gaps, []);
  });

  it('a snapshot sent twice is shown once (the one nearer its frame time)', () => {
    const base = everyMinute(day.startMs + H, day.startMs + 2 * H);
    const dup = { file: '/snaps/dup.jpg', atMs: base[10]!.atMs + 20_000 };
    const p = planTimelapse([...base, dup], '2024-06-12', 'Europe/Madrid', S);
    assert.equal(p.frames, 60);
    assert.equal(p.snapshots, 61);
    assert.equal(p.entries.length, 60);
    assert.equal(p.entries[10]!.file, base[10]!.file);
  });

  it('uses only the snapshots received inside the day, in any order', () => {
    const snaps = everyMinute(day.startMs - 3 * H, day.endMs + 3 * H).reverse();
    const p = planTimelapse(snaps, '2024-06-12', 'Europe/Madrid', S);
    assert.equal(p.frames, 1440);
    assert.equal(p.firstAtMs, day.startMs);
    assert.equal(p.lastAtMs, day.endMs - MIN);
  });

  it('a camera whose clock is 3 minutes off: its file names say one time, the receive time decides', () => {
    // The camera names files after its own clock (3 min fast); the station received them on time.
    const snaps = everyMinute(day.startMs, day.endMs).map((f) => ({
      file: `/snaps/${new Date(f.atMs + 3 * MIN).toISOString().replace(/[:]/g, '')}.jpg`,
      atMs: f.atMs,
    }));
    // The last snapshot's name says the next day; it still belongs to this one.
    assert.match(snaps.at(-1)!.file, /2024-06-12T22/);
    const p = planTimelapse(snaps, '2024-06-12', 'Europe/Madrid', S);
    assert.equal(p.frames, 1440);
    assert.equal(p.entries.at(-1)!.file, snaps.at(-1)!.file);
    assert.equal(p.entries[0]!.file, snaps[0]!.file);
  });

  it('infers the interval from the ordinary gaps (outages, double sends and skewed jitter do not move it)', () => {
    const t0 = day.startMs;
    const at = [0, 30, 60, 90, 120, 2000, 2030, 2030.5, 2060, 2090].map((s) => t0 + s * 1000);
    assert.equal(inferIntervalS(at), 30);
    assert.equal(inferIntervalS([t0]), undefined);
    // A skewed jitter: 59 s eight times, then 68 s (the median is 59; the interval is 60).
    const saw = Array.from({ length: 200 }, (_, i) => t0 + i * 60_000 + ((i * 8) % 9) * 1000);
    assert.equal(inferIntervalS(saw), 60);
    const snaps = at.map((atMs, i) => ({ file: `/s/${i}.jpg`, atMs }));
    const p = planTimelapse(snaps, '2024-06-12', 'Europe/Madrid', S);
    assert.equal(p.intervalS, 30);
    assert.equal(p.frames, Math.round(2090 / 30) + 1);
    assert.equal(p.gaps.length, 1);
    assert.equal(p.gaps[0]!.startFrame, 4);
    // A given interval wins.
    const q = planTimelapse(snaps, '2024-06-12', 'Europe/Madrid', { ...S, intervalS: 10 });
    assert.equal(q.intervalS, 10);
    assert.equal(q.intervalInferred, false);
    assert.equal(q.frames, 210);
  });

  it('a single snapshot is one frame', () => {
    const p = planTimelapse(
      [{ file: '/s/a.jpg', atMs: day.startMs + 12 * H }],
      '2024-06-12',
      'Europe/Madrid',
      S,
    );
    assert.equal(p.frames, 1);
    assert.equal(p.durationS, 1 / 24);
    assert.equal(p.entries.length, 1);
    assert.equal(p.intervalS, 60);
    assert.equal(p.uncoveredStart?.fromLocal, '00:00');
    assert.equal(p.uncoveredStart?.toLocal, '12:00');
    assert.equal(p.uncoveredEnd?.fromLocal, '12:01');
    assert.equal(p.uncoveredEnd?.toLocal, '24:00');
    const list = concatList(p);
    assert.equal([...list.matchAll(/^file /gm)].length, 2, 'the last file is listed twice');
  });

  it('no snapshots that day: TIMELAPSE_EMPTY', () => {
    const snaps = everyMinute(day.endMs, day.endMs + H);
    assert.throws(
      () => planTimelapse(snaps, '2024-06-12', 'Europe/Madrid', S),
      (e: unknown) => e instanceof OutpostError && e.code === 'TIMELAPSE_EMPTY',
    );
  });

  it('refuses settings out of range', () => {
    const snaps = everyMinute(day.startMs, day.startMs + H);
    for (const bad of [{ fps: 0 }, { crf: 60 }, { preset: 'turbo' }, { maxWidth: 7 }, { gapFactor: 1 }])
      assert.throws(() => planTimelapse(snaps, '2024-06-12', 'Europe/Madrid', { ...S, ...bad }), {
        code: 'INVALID_INPUT',
      });
  });
});

describe('concat list and chapters', () => {
  const day = dayBounds('2024-06-12', 'UTC');

  it('quotes paths with spaces, quotes, brackets and colons; refuses line breaks', () => {
    assert.equal(concatQuote('/cam 1/03[R][0@0][0].jpg'), "'file:/cam 1/03[R][0@0][0].jpg'");
    assert.equal(concatQuote("/a/it's.jpg"), "'file:/a/it'\\''s.jpg'");
    assert.equal(concatQuote('/a/b:c.jpg'), "'file:/a/b:c.jpg'");
    assert.throws(() => concatQuote('/a/b\nc.jpg'), { code: 'INVALID_INPUT' });
  });

  it('durations are frame-exact and never drift; the last file is repeated', () => {
    const snaps = everyMinute(day.startMs, day.endMs, [[day.startMs + 5 * H, day.startMs + 6 * H]]);
    const p = planTimelapse(snaps, '2024-06-12', 'UTC', { ...S, fps: 30 });
    const list = concatList(p);
    assert.match(list, /^ffconcat version 1\.0\n/);
    const d = seconds(list);
    assert.equal(d.length, p.entries.length);
    // Every running total is within 1 µs of a frame boundary.
    let t = 0;
    for (const [i, e] of p.entries.entries()) {
      t += d[i]!;
      assert.ok(Math.abs(t - (e.frame + e.frames) / 30) < 1.5e-6, `entry ${i}`);
    }
    const files = [...list.matchAll(/^file (.*)$/gm)].map((m) => m[1]);
    assert.equal(files.at(-1), files.at(-2));
    assert.equal([...list.matchAll(/^option pattern_type none$/gm)].length, files.length);
  });

  it('chapters: hours, and the outage as its own chapter with its caption text', () => {
    const from = day.startMs + 10 * H;
    const snaps = everyMinute(day.startMs, day.endMs, [[from + MIN, from + 91 * MIN]]);
    const p = planTimelapse(snaps, '2024-06-12', 'UTC', S);
    const ch = timelapseChapters(p);
    const gap = ch.find((c) => c.title === 'no snapshots 10:00–11:31')!;
    assert.ok(gap);
    assert.equal(gap.startFrame, 600);
    assert.equal(gap.endFrame, 691);
    assert.ok(!ch.some((c) => c.title === '11:00'), 'the hour inside the outage is part of it');
    assert.ok(ch.some((c) => c.title === '11:31' && c.startFrame === 691));
    for (let i = 1; i < ch.length; i++) assert.equal(ch[i]!.startFrame, ch[i - 1]!.endFrame);
    const meta = chaptersMetadata(p);
    assert.match(meta, /^;FFMETADATA1\n/);
    assert.match(
      meta,
      /\[CHAPTER\]\nTIMEBASE=1\/1000\nSTART=25000\nEND=28792\ntitle=no snapshots 10:00–11:31\n/,
    );
    assert.match(meta, /comment=snapshots 00:00–23:59 UTC, one frame per 60 s\\; no snapshots 10:00–11:31/);
  });
});

describe('ffmpeg command', () => {
  const day = dayBounds('2024-06-12', 'UTC');
  const from = day.startMs + 10 * H;
  const p = planTimelapse(
    everyMinute(day.startMs, day.endMs, [[from + MIN, from + 31 * MIN]]),
    '2024-06-12',
    'UTC',
    S,
  );

  it('scales down only, captions the outage only while it is held, ends at the planned frame count', () => {
    const f = timelapseFilter(p, S, "/fonts/it's.ttf");
    assert.equal(f.split(',drawtext')[0], "scale=w='trunc(min(1920,iw)/2)*2':h=-2");
    assert.match(f, /text='no snapshots 10\\:00–10\\:31'/);
    assert.match(f, /enable='between\(t,24\.979167,26\.270833\)'/);
    assert.match(f, /fontfile='\/fonts\/it\\'\\''s\.ttf'/);
    assert.ok(f.endsWith(',format=yuv420p,fps=24'));
    assert.ok(!timelapseFilter(p, S, undefined).includes('drawtext'));
    assert.ok(timelapseFilter(p, { ...S, deflicker: true }, undefined).includes('deflicker=size=5'));
    const args = timelapseArgs(p, { list: '/t/l', metadata: '/t/m', out: '/o/x.mp4.part' }, S);
    const at = (k: string): string | undefined => args[args.indexOf(k) + 1];
    assert.equal(at('-frames:v'), '1440');
    assert.equal(at('-preset'), 'veryfast');
    assert.equal(at('-crf'), '24');
    assert.equal(at('-pix_fmt'), 'yuv420p');
    assert.equal(at('-movflags'), '+faststart');
    assert.equal(at('-map_chapters'), '1');
    assert.equal(args.at(-1), 'file:/o/x.mp4.part');
    assert.ok(args.includes('file:/t/l'));
  });

  it('low priority with the tools that exist', () => {
    assert.deepEqual(lowPriorityCommand('ffmpeg', ['-i', 'x'], { nice: true, ionice: true }), {
      cmd: 'nice',
      args: ['-n', '19', 'ionice', '-c', '3', 'ffmpeg', '-i', 'x'],
    });
    assert.deepEqual(lowPriorityCommand('ffmpeg', ['-i', 'x'], { nice: true, ionice: false }), {
      cmd: 'nice',
      args: ['-n', '19', 'ffmpeg', '-i', 'x'],
    });
    assert.deepEqual(lowPriorityCommand('ffmpeg', ['-i', 'x'], { nice: false, ionice: false }), {
      cmd: 'ffmpeg',
      args: ['-i', 'x'],
    });
  });

  it('reads progress and the probe', () => {
    assert.equal(progressFrame('frame=12\nfps=3.0\nprogress=continue\nframe=40\n'), 40);
    assert.equal(progressFrame('fps=3.0\n'), undefined);
    assert.deepEqual(
      parseVerify('{"streams":[{"nb_read_packets":"1440"}],"format":{"duration":"60.000000"}}'),
      { frames: 1440, durationS: 60 },
    );
  });
});
