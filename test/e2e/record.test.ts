/** `outpost record` as a user runs it: the real CLI, real ffmpeg, ~30 s of the test pattern. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { outpost } from '../kit/cli.js';

describe('outpost record (e2e)', { timeout: 90_000 }, () => {
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
});
