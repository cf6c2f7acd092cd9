import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixedClock } from '../../../src/adapters/clock.js';
import { silentLogger } from '../../../src/adapters/logger.js';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { parseConfig } from '../../../src/config/load.js';
import { ingestCard } from '../../../src/ingest/ingest.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { initDrive } from '../../../src/library/drive.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

const analyzer = createMediaAnalyzer({ runner: nodeProcessRunner });

/** An HLS playlist naming one local segment: what ffmpeg opens when it trusts the content. */
const playlist = (segment: string): string =>
  `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n${segment}\n#EXT-X-ENDLIST\n`;

/**
 * Whether anything opens the FIFO for reading while `run` runs: opening a FIFO for writing
 * without blocking fails (ENXIO) until a reader has it open.
 */
async function readerOpened(fifo: string, run: () => Promise<unknown>): Promise<boolean> {
  let opened = false;
  let done = false;
  const poll = (async () => {
    while (!done) {
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        opened = true;
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  })();
  try {
    await run();
  } finally {
    done = true;
    await poll;
  }
  return opened;
}

describe('a .MOV that is really an HLS playlist (ffmpeg must not follow it)', { timeout: 120_000 }, () => {
  let dir: string;
  let segment: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outpost-hostile-'));
    segment = join(dir, 'private', 'segment.ts');
    mkdirSync(join(dir, 'private'));
    // A real, decodable file somewhere else on the machine: following the playlist would show its 2 s.
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '2'],
      ...['-c:v', 'mpeg2video', '-f', 'mpegts', segment],
    ]);
    writeFileSync(join(dir, 'EVIL.MOV'), playlist(segment));
    execFileSync('mkfifo', [join(dir, 'private', 'pipe.ts')]);
    writeFileSync(join(dir, 'FIFO.MOV'), playlist(join(dir, 'private', 'pipe.ts')));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('probe: refused as not a media container, nothing of the named file read', async () => {
    const probe = await analyzer.probe(join(dir, 'EVIL.MOV'), 'video', { timeZone: 'UTC' });
    assert.deepEqual(probe.facts, {}, 'no duration or size from the segment the playlist names');
    assert.equal(probe.warnings.length, 1);
    assert.equal(probe.warnings[0]!.code, 'DECODE_FAILED');
    assert.match(probe.warnings[0]!.message, /its content is hls .*not opened/);
  });

  it('probe and poster never open a file the playlist names (a FIFO nobody writes)', async () => {
    const file = join(dir, 'FIFO.MOV');
    const t0 = Date.now();
    const opened = await readerOpened(join(dir, 'private', 'pipe.ts'), async () => {
      await analyzer.probe(file, 'video', { timeZone: 'UTC' });
      await analyzer.derive(
        file,
        'video',
        {
          posterPath: `${file}.poster.jpg`,
          thumbPath: `${file}.thumb.webp`,
          previewPath: `${file}.prev.jpg`,
        },
        { thumbSize: 160, previewSize: 640 },
      );
    });
    assert.equal(opened, false, 'ffprobe/ffmpeg opened the FIFO the playlist names');
    assert.ok(Date.now() - t0 < 20_000, 'refused at once, not after a timeout');
  });

  it('ingest still copies the file byte for byte, with the reason as its warning', async () => {
    const card = join(dir, 'card');
    mkdirSync(join(card, 'DCIM', '100CAM'), { recursive: true });
    writeFileSync(join(card, 'DCIM', '100CAM', 'CLIP0001.MOV'), playlist(segment));
    const clock = fixedClock(new Date('2024-06-01T10:00:00Z'), 1000);
    const drive = await initDrive(join(dir, 'drive'), { label: 'A', now: clock.now() });
    const s = await ingestCard(
      {
        cardRoot: card,
        card: { id: 'list:0123456789abcdef', kind: 'file-list' },
        drive,
        monitor: 'Ana',
        settings: parseConfig({}, 'test').ingest,
        timeZone: 'UTC',
        node: 'test',
      },
      { analyzer, clock, log: silentLogger },
    );
    assert.equal(s.error, undefined, JSON.stringify(s.error));
    assert.equal(s.copied, 1);
    const cat = await openCatalog(drive.layout.catalog);
    try {
      const row = sqliteOf(cat).prepare('select path, warnings, duration_s from items').get() as {
        path: string;
        warnings: string;
        duration_s: number | null;
      };
      assert.equal(row.duration_s, null);
      assert.match(row.warnings, /its content is hls/);
      assert.equal(await readFile(join(drive.layout.root, row.path), 'utf8'), playlist(segment));
    } finally {
      await cat.close();
    }
  });
});
