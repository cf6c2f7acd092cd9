/**
 * `outpost export` as a script uses it: a camera's range by wall-clock times in the station's
 * zone, --json, --out, and the errors a person gets for a range with nothing in it or bad times.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashFile } from '../../src/library/intake/index.js';
import { initDrive, type Drive } from '../../src/library/drive.js';
import { json, outpost } from '../kit/cli.js';
import { recordSegments } from '../kit/segments.js';

let work: string;
let drive: Drive;
// 09:00 in Lima (UTC−5): the station's zone below.
const T0 = Date.parse('2026-11-21T14:00:00Z');

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-export-cli-'));
  drive = await initDrive(join(work, 'drive'), { now: new Date(T0) });
  await recordSegments(drive, { camera: 'gate', startMs: T0, seconds: 40, segmentS: 10, work });
});
after(async () => rm(work, { recursive: true, force: true }));

const env = { TZ: 'America/Lima' };

describe('outpost export', { timeout: 180_000 }, () => {
  it('exports a range given in the station’s wall clock, as JSON, with a copy where asked', async () => {
    const out = join(work, 'clip.mp4');
    const r = await outpost(
      [
        'export',
        '--camera',
        'gate',
        '--from',
        '2026-11-21T09:00:05.5',
        '--to',
        '09:00:31',
        '--library',
        drive.layout.root,
        '--out',
        out,
        '--json',
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    const j = json<{
      id: string;
      file: string;
      mode: string;
      frames: number;
      durationS: number;
      segments: number;
      gaps: unknown[];
    }>(r);
    assert.equal(j.mode, 'smart');
    assert.equal(j.segments, 4);
    assert.ok(Math.abs(j.frames - 25.5 * 25) <= 1, `${j.frames} frames`);
    assert.deepEqual(j.gaps, []);
    assert.equal(await hashFile(out), j.id, 'the copy is the item');
    assert.ok((await stat(j.file)).size > 0);
    // The same range again (as an instant with its offset): the same bytes, the same item.
    const again = await outpost(
      [
        'export',
        '--camera',
        'gate',
        '--from',
        '2026-11-21T14:00:05.5Z',
        '--to',
        '2026-11-21T09:00:31-05:00',
        '--library',
        drive.layout.root,
        '--json',
      ],
      { env },
    );
    assert.equal(again.code, 0, again.stderr);
    const j2 = json<{ id: string; created: boolean }>(again);
    assert.equal(j2.id, j.id);
    assert.equal(j2.created, false);
  });

  it('outpost edit: pieces of a clip by --cut, another joined, --no-audio, as JSON', async () => {
    const ls = await outpost(['ls', '--library', drive.layout.root, '--type', 'video', '--json'], {
      env,
    });
    assert.equal(ls.code, 0, ls.stderr);
    const items = json<{ id: string; originalName: string }[]>(ls);
    assert.ok(items.length >= 4, ls.stdout.slice(0, 200));
    const [first, second] = items;
    const r = await outpost(
      [
        'edit',
        first!.id.slice(0, 10),
        '--cut',
        '00:00:01.2-00:00:04',
        '--cut',
        '6-8.4',
        '--join',
        second!.id,
        '--no-audio',
        '--library',
        drive.layout.root,
        '--json',
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    const j = json<{
      id: string;
      pieces: unknown[];
      durationS: number;
      audioDurationS: number | null;
      mode: string;
    }>(r);
    assert.equal(j.pieces.length, 3);
    assert.equal(j.mode, 'smart');
    // --json: the progress for scripts, a JSON line per step on stderr, up to the last one.
    const steps = r.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { progress: { step: number; steps: number; phase: string } }).progress);
    assert.ok(steps.length >= 3, r.stderr);
    assert.deepEqual(
      steps.map((p) => p.step),
      steps.map((_, i) => i + 1),
    );
    assert.equal(steps.at(-1)!.step, steps.at(-1)!.steps);
    assert.equal(steps.at(-1)!.phase, 'check');
    assert.equal(j.audioDurationS, null);
    assert.ok(Math.abs(j.durationS - (2.8 + 2.4 + 10)) < 0.05, `${j.durationS} s`);
    const bad = await outpost(['edit', first!.id, '--cut', '9-3', '--library', drive.layout.root], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /START-END/);
  });

  it('says what is wrong: nothing recorded, or times it cannot read', async () => {
    const none = await outpost(
      [
        'export',
        '--camera',
        'gate',
        '--from',
        '2026-11-21T11:00',
        '--to',
        '11:10',
        '--library',
        drive.layout.root,
      ],
      { env },
    );
    assert.equal(none.code, 2);
    assert.match(none.stderr, /recorded nothing/);
    assert.match(none.stderr, /outpost ls/);
    const bad = await outpost(
      ['export', '--camera', 'gate', '--from', 'noon', '--to', '13:00', '--library', drive.layout.root],
      { env },
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /give a time like/);
    assert.ok(!existsSync(join(work, 'nothing.mp4')));
  });
});
