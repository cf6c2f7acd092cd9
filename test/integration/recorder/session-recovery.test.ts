/**
 * A fleet session's recorder killed with a closed segment not yet placed: the next recorder of
 * that camera (whatever it records for now) places the leftover where its run said, in
 * `library/<group>/<session>/<camera>/`, with the session in its facts. A run.json naming a
 * session with a hostile folder name falls back to the camera's own folder.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listItems } from '../../../src/library/catalog/items.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { Recorder, recDir } from '../../../src/recorder/recorder.js';
import type { RecordingFacts } from '../../../src/recorder/segment-item.js';
import { realRecorderDeps } from '../../kit/recorder.js';

let base: string;
let drive: Drive;

function recorder(name: string): Recorder {
  return new Recorder(
    {
      name,
      source: 'testsrc:?size=160x120&rate=10',
      mode: 'continuous',
      segmentSeconds: 5,
      copy: 'auto',
      stallSeconds: 10,
    },
    { minFreeBytes: 0, deleteUnsent: false, ringRoot: join(base, 'ring') },
    drive,
    realRecorderDeps(),
  );
}

/** A run directory as a killed recorder leaves it: one closed, listed segment, and its run.json. */
async function leftover(camera: string, run: string, session: unknown, seed: number): Promise<void> {
  const dir = join(recDir(drive, camera), run);
  await mkdir(dir, { recursive: true });
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=160x120:rate=10,drawtext=text=${seed}:fontsize=20:x=5:y=5`,
    '-t',
    '2',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    join(dir, '000000.mp4'),
  ]);
  await writeFile(join(dir, 'list.csv'), '000000.mp4,0.000000,2.000000\n');
  await writeFile(
    join(dir, 'run.json'),
    JSON.stringify({
      camera,
      run,
      spawnedAtMs: Date.parse('2026-12-06T10:00:00Z'),
      anchorMs: Date.parse('2026-12-06T10:00:00.100Z'),
      pid: null,
      session,
    }),
  );
}

describe('recorder: a killed session run is placed in its session', { timeout: 120_000 }, () => {
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'outpost-rec-session-'));
    drive = await initDrive(join(base, 'drive'), { now: new Date() });
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("places a killed run's segment in its session folder, with the session in its facts", async () => {
    await leftover('cam', '20261206T100000-1', { group: 'lab', session: 'exp-7', id: 'sess-0001abcd' }, 1);
    await leftover('bad', '20261206T100000-1', { group: '..', session: 'x', id: 'sess-0002abcd' }, 2);
    for (const name of ['cam', 'bad']) {
      const r = recorder(name);
      await r.start();
      await r.stop();
    }
    const cat = await openCatalog(drive.layout.catalog);
    try {
      const [cam] = await listItems(cat, { monitor: 'cam' });
      assert.ok(cam, 'the leftover segment was placed');
      assert.match(cam.path, /^library\/lab\/exp-7\/cam\/20261206-100000_[0-9a-f]{16}\.mp4$/);
      const rec = (JSON.parse(cam.facts) as { recording: RecordingFacts }).recording;
      assert.deepEqual(rec.session, { group: 'lab', session: 'exp-7', id: 'sess-0001abcd' });
      assert.equal(rec.start, '2026-12-06T10:00:00.100Z');
      // A session naming a folder outside the library is not followed: the camera's own folder.
      const [bad] = await listItems(cat, { monitor: 'bad' });
      assert.ok(bad, 'the hostile run was still placed');
      assert.match(bad.path, /^library\/bad\/2026-12-06\//);
      assert.equal((JSON.parse(bad.facts) as { recording: RecordingFacts }).recording.session, undefined);
    } finally {
      await cat.close();
    }
  });
});
