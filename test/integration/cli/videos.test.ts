import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { json, outpost } from '../../kit/cli.js';

interface Rec {
  originalName: string;
  derivatives: { video: boolean };
}

describe('outpost videos', () => {
  let work: string;
  let drive: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'outpost-cli-videos-'));
    drive = join(work, 'drive');
    const dcim = join(work, 'card', 'DCIM', '100CAM');
    mkdirSync(dcim, { recursive: true });
    // A trail camera's MJPEG AVI: no browser plays it, so it needs a streaming copy.
    const r = await nodeProcessRunner.run(
      'ffmpeg',
      [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=320x240:rate=10',
        '-t',
        '2',
        '-c:v',
        'mjpeg',
        join(dcim, 'TRAIL.AVI'),
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, r.stderr.toString());
    assert.equal((await outpost(['init-drive', drive, '--json'])).code, 0);
    const ing = await outpost(['ingest', join(work, 'card'), '--library', drive, '--json']);
    assert.equal(ing.code, 0, ing.stderr);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('makes the missing streaming copies, once, with a JSON summary', async () => {
    const before = json<Rec[]>(await outpost(['ls', '--library', drive, '--json']));
    assert.equal(before[0]!.derivatives.video, false, 'ingest leaves the copy to the background pass');
    const r = await outpost(['videos', '--library', drive, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = json<{ made: number; notNeeded: number; failed: number; seconds: number }>(r);
    assert.deepEqual([s.made, s.notNeeded, s.failed], [1, 0, 0]);
    const after = json<Rec[]>(await outpost(['ls', '--library', drive, '--json']));
    assert.equal(after[0]!.derivatives.video, true);
    const again = json<{ made: number }>(await outpost(['videos', '--library', drive, '--json']));
    assert.equal(again.made, 0);
    const human = await outpost(['videos', '--library', drive]);
    assert.match(human.stdout, /0 streaming copies made/);
  });
});
