/**
 * `outpost export --from-bucket` (src/cli/bucket-video.ts): a station's recorded segments sent
 * straight to a bucket (Azurite here; the bucket layout is the same on S3), then a range of them
 * exported from the bucket alone — by someone with no library — exact, with the segment that is
 * missing from the bucket a gap that says so, and nothing left in scratch.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../src/adapters/logger.js';
import { sleep } from '../../../src/adapters/sleep.js';
import { originalKey } from '../../../src/core/bucket-layout.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { UplinkRunner } from '../../../src/uplink/runner.js';
import { azureTarget } from '../../kit/buckets.js';
import { startTestAzurite, type TestAzurite } from '../../kit/azurite.js';
import { outpost } from '../../kit/cli.js';
import { countFrames } from '../../kit/ffprobe.js';
import { recordSegments, type MadeSegment } from '../../kit/segments.js';

const FPS = 25;
const T0 = Date.parse('2026-11-21T14:00:00Z');

let work: string;
let azurite: TestAzurite;
let drive: Drive;
let cat: Catalog;
let segs: MadeSegment[];
let cfg: string;
let target: Awaited<ReturnType<typeof azureTarget>>;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-bucket-export-'));
  azurite = await startTestAzurite();
  drive = await initDrive(join(work, 'station'), { label: 'A', now: new Date() });
  segs = await recordSegments(drive, { camera: 'gate', startMs: T0, seconds: 60, segmentS: 10, work });
  cat = await openCatalog(drive.layout.catalog);
  target = await azureTarget(azurite);
  const runner = new UplinkRunner(
    {
      catalog: cat,
      driveRoot: drive.layout.root,
      target: target.target,
      now: () => Date.now(),
      sleep,
      log: silentLogger,
    },
    { node: 'gate-pi', pollMs: 100, maxBackoffMs: 300 },
  );
  const s = await runner.run(new AbortController().signal, { once: true });
  assert.equal(s.pendingBytes, 0, JSON.stringify(s.lastError));
  cfg = join(work, 'office.yaml');
  await writeFile(
    cfg,
    [
      'timeZone: UTC',
      `station:\n  clock:\n    stateFile: ${join(work, 'clock.json')}`,
      'uplink:',
      '  target:',
      '    kind: azure',
      `    connectionString: "${target.settings.connectionString}"`,
      `    container: ${target.settings.container}`,
      `    prefix: ${target.settings.prefix}`,
      '',
    ].join('\n'),
  );
});

after(async () => {
  target?.target.close();
  await cat?.close();
  await azurite?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('outpost export --from-bucket', { timeout: 300_000 }, () => {
  const env = () => ({ OUTPOST_CONFIG: cfg, TZ: 'UTC', TMPDIR: join(work, 'tmp') });

  it('a range from the bucket alone, exact, into --out; no library needed, nothing left behind', async () => {
    await mkdir(join(work, 'tmp'));
    const fromMs = T0 + 12_400;
    const toMs = T0 + 47_640;
    const out = join(work, 'range.mp4');
    const r = await outpost(
      [
        'export',
        '--from-bucket',
        '--camera',
        'gate',
        '--from',
        new Date(fromMs).toISOString(),
        '--to',
        new Date(toMs).toISOString(),
        '--out',
        out,
        '--json',
      ],
      { env: env() },
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const j = JSON.parse(r.stdout) as { frames: number; segments: number; file: string; mode: string };
    assert.equal(j.mode, 'smart');
    assert.equal(j.segments, 4);
    assert.equal(j.frames, Math.round(((toMs - fromMs) / 1000) * FPS));
    assert.equal(countFrames(out), j.frames);
    assert.equal(j.file, out, 'the only copy is --out');
    assert.deepEqual(await readdir(join(work, 'tmp')), [], 'the scratch library is gone');
  });

  it('a segment missing from the bucket is a gap that says so; no --out and no library is refused', async () => {
    await target.backend.delete(originalKey(target.settings.prefix, segs[2]!.item.id));
    const out = join(work, 'gap.mp4');
    const r = await outpost(
      [
        'export',
        '--from-bucket',
        '--camera',
        'gate',
        '--from',
        new Date(T0 + 5000).toISOString(),
        '--to',
        new Date(T0 + 45_000).toISOString(),
        '--keyframes',
        '--out',
        out,
        '--json',
      ],
      { env: env() },
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const j = JSON.parse(r.stdout) as { gaps: { from: string; reason: string }[] };
    const gap = j.gaps.find((g) => g.reason === 'unreadable');
    assert.ok(gap, JSON.stringify(j.gaps));
    assert.equal(Date.parse(gap.from), segs[2]!.startMs);
    assert.ok(existsSync(out));
    const bad = await outpost(
      [
        'export',
        '--from-bucket',
        '--camera',
        'gate',
        '--from',
        new Date(T0).toISOString(),
        '--to',
        new Date(T0 + 5000).toISOString(),
      ],
      { env: env() },
    );
    assert.notEqual(bad.code, 0, bad.stderr);
    assert.match(bad.stderr, /give --out FILE/);
  });
});
