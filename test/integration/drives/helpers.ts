import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixedClock, type Clock } from '../../../src/adapters/clock.js';
import { silentLogger } from '../../../src/adapters/logger.js';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { parseConfig } from '../../../src/config/load.js';
import type { MirrorOptions } from '../../../src/drives/mirror-types.js';
import { fingerprintCard } from '../../../src/ingest/fingerprint.js';
import { ingestCard } from '../../../src/ingest/ingest.js';
import type { IngestSummary } from '../../../src/ingest/types.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import type { Drive } from '../../../src/library/drive.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import type { MediaAnalyzer } from '../../../src/media/types.js';
import { nodeReadMountInfo } from '../../../src/station/mount-watcher.js';
import { corpusFiles, makeWav } from '../../kit/fixtures.js';
import { filesBelow } from '../../kit/library-audit.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

let analyzer: MediaAnalyzer | undefined;

/**
 * A card of corpus photos `from..to` (exclusive); with `memo`, the photo `to - 1` gets a WAV
 * voice memo and a camera XMP beside it (companions).
 */
export function makePhotoCard(root: string, from: number, to: number, memo = false): string[] {
  const dir = join(root, 'DCIM', '100CAMERA');
  mkdirSync(dir, { recursive: true });
  const files = corpusFiles().slice(from, to);
  const names: string[] = [];
  files.forEach((f, i) => {
    const name = `IMG_${String(from + i).padStart(4, '0')}.JPG`;
    copyFileSync(f, join(dir, name));
    // A fixed mtime: photos without EXIF are named from it, and the same bytes must get the
    // same name on both drives (see docs/mirror.md, "Limits").
    utimesSync(join(dir, name), new Date('2024-05-01T08:00:00Z'), new Date('2024-05-01T08:00:00Z'));
    names.push(name);
  });
  if (memo && names.length) {
    const stem = names.at(-1)!.slice(0, -4);
    makeWav(join(dir, `${stem}.WAV`), 1, 500);
    writeFileSync(
      join(dir, `${stem}.XMP`),
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:aux="http://ns.adobe.com/exif/1.0/aux/" aux:Lens="50mm" xmp:Rating="3"/></rdf:RDF></x:xmpmeta>',
    );
  }
  return files.map((f) => createHash('sha256').update(readFileSync(f)).digest('hex'));
}

export async function ingestInto(
  drive: Drive,
  cardRoot: string,
  monitor: string,
  clock: Clock,
  node: string,
): Promise<IngestSummary> {
  analyzer ??= createMediaAnalyzer({ runner: nodeProcessRunner });
  const card = await fingerprintCard(cardRoot, {
    runner: nodeProcessRunner,
    readMountInfo: nodeReadMountInfo,
  });
  const s = await ingestCard(
    {
      cardRoot,
      card,
      drive,
      monitor,
      settings: { ...parseConfig({}, 'test').ingest, minFreeBytes: 0 },
      timeZone: 'UTC',
      node,
    },
    { analyzer, clock, log: silentLogger },
  );
  assert.equal(s.error, undefined, JSON.stringify(s.error));
  return s;
}

export const clockAt = (iso: string): Clock => fixedClock(new Date(iso), 1000);

export function mirrorOpts(over: Partial<MirrorOptions> = {}): MirrorOptions {
  return { node: 'station-test', maxDeleteShare: 0.05, minFreeBytes: 0, ...over };
}

export const deps = (clock: Clock = clockAt('2024-07-01T00:00:00Z')) => ({ clock, log: silentLogger });

/** What a catalogue says, in a form two drives can be compared by. */
export async function catalogueState(root: string): Promise<{
  items: Record<string, unknown>[];
  companions: Record<string, unknown>[];
  ops: number;
}> {
  const cat = await openCatalog(join(root, '.outpost', 'catalog.sqlite'));
  try {
    const items = sqliteOf(cat)
      .prepare(
        `select id, state, path, monitor, size, deleted, event, rating, priority, tags, notes,
           location_lat, location_lon, has_thumb, has_preview, has_poster, phash
         from items order by id`,
      )
      .all() as Record<string, unknown>[];
    const companions = sqliteOf(cat)
      .prepare('select item_id, ext, path, sha256, size from companions order by item_id, ext')
      .all() as Record<string, unknown>[];
    const ops = (sqliteOf(cat).prepare('select count(*) as n from ops').get() as { n: number }).n;
    return { items, companions, ops };
  } finally {
    await cat.close();
  }
}

/** sha256 of every file in library/ and .outpost/derived/, by drive-relative path. */
export function treeHashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of [
    ...filesBelow(join(root, 'library'), 'library'),
    ...filesBelow(join(root, '.outpost', 'derived'), '.outpost/derived'),
  ])
    out[rel] = createHash('sha256')
      .update(readFileSync(join(root, rel)))
      .digest('hex');
  return out;
}
