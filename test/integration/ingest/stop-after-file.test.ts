import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fixedClock } from '../../../src/adapters/clock.js';
import { silentLogger } from '../../../src/adapters/logger.js';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { parseConfig } from '../../../src/config/load.js';
import { ingestCard } from '../../../src/ingest/ingest.js';
import { listItems } from '../../../src/library/catalog/items.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { initDrive } from '../../../src/library/drive.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import { corpusFiles } from '../../kit/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'outpost-stop-after-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ingest: stop after the current file (UPS battery low)', () => {
  it('the file being copied is finished, the rest is left for next time, nothing is half done', async () => {
    const card = join(dir, 'card', 'DCIM');
    mkdirSync(card, { recursive: true });
    const photos = corpusFiles().slice(0, 6);
    photos.forEach((p, i) => copyFileSync(p, join(card, `IMG_${3000 + i}.JPG`)));
    const T0 = Date.UTC(2026, 11, 4, 9);
    const drive = await initDrive(join(dir, 'drive'), { label: 'A', now: new Date(T0) });
    const stop = new AbortController();
    const req = {
      cardRoot: join(dir, 'card'),
      card: { id: 'card-ups', kind: 'dir' },
      drive,
      settings: parseConfig({}, 'test').ingest,
      timeZone: 'UTC',
      node: 'station-ups',
    };
    const deps = {
      analyzer: createMediaAnalyzer({ runner: nodeProcessRunner }),
      clock: fixedClock(new Date(T0)),
      log: silentLogger,
    };
    const summary = await ingestCard(
      {
        ...req,
        stopAfterFile: stop.signal,
        // The battery goes low while the second file is being copied.
        onProgress: (p) => {
          if (p.phase === 'copy' && p.current?.endsWith('IMG_3001.JPG')) stop.abort();
        },
      },
      deps,
    );
    assert.equal(summary.copied, 2, JSON.stringify(summary));
    assert.equal(summary.notCopied, 4);
    assert.equal(summary.error, undefined);
    const cat = await openCatalog(drive.layout.catalog);
    try {
      const rows = await listItems(cat);
      assert.equal(rows.length, 2);
      assert.ok(rows.every((r) => r.state === 'stored'));
    } finally {
      await cat.close();
    }
    // Power back: the next run copies the rest.
    const again = await ingestCard(req, deps);
    assert.equal(again.copied, 4);
    assert.equal(again.skipped, 2);
  });
});
