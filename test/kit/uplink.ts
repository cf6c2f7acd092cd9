import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createLogger, silentLogger } from '../../src/adapters/logger.js';
import { sleep } from '../../src/adapters/sleep.js';
import { insertPendingItem, markStored } from '../../src/library/catalog/items.js';
import type { Catalog } from '../../src/library/catalog/open.js';
import { buildItemRow } from '../../src/library/item-row.js';
import { UplinkRunner, type UplinkDeps, type UplinkSettings } from '../../src/uplink/runner.js';
import { HqTusTarget } from '../../src/uplink/targets/hq-tus.js';

/** A stored item with `size` random bytes on the drive (a stand-in for a long video or a photo). */
export async function addRawItem(
  cat: Catalog,
  driveRoot: string,
  o: { size: number; type: 'photo' | 'video' | 'audio'; ext: string; monitor?: string; seed?: string },
): Promise<{ id: string; path: string; bytes: Buffer }> {
  const bytes = o.seed
    ? Buffer.concat(
        Array.from({ length: Math.ceil(o.size / 32) }, (_, i) =>
          createHash('sha256').update(`${o.seed}:${i}`).digest(),
        ),
      ).subarray(0, o.size)
    : randomBytes(o.size);
  const id = createHash('sha256').update(bytes).digest('hex');
  const path = `library/${o.monitor ?? 'Cam'}/2024-06-01/20240601-080000_${id.slice(0, 16)}.${o.ext}`;
  mkdirSync(join(driveRoot, dirname(path)), { recursive: true });
  writeFileSync(join(driveRoot, path), bytes);
  const row = buildItemRow(
    {
      sha256: id,
      type: o.type,
      ext: o.ext,
      size: bytes.length,
      monitor: o.monitor ?? 'Cam',
      originalName: `RAW_${id.slice(0, 6)}.${o.ext}`,
      mtimeMs: Date.parse('2024-06-01T08:00:00Z'),
      importedAt: '2024-06-01T10:00:00.000Z',
      cardId: null,
      probe: { facts: {}, warnings: [] },
      timeZone: 'UTC',
    },
    path,
  );
  await insertPendingItem(cat, row);
  await markStored(cat, id);
  return { id, path, bytes };
}

/** A runner against HQ at `url` with a real tus target; settings for tests. */
export function testRunner(
  cat: Catalog,
  driveRoot: string,
  /** `stallTimeoutMs` (default 5 s): longer where the test shares the machine with a browser. */
  hq: { url: string; key: string; stallTimeoutMs?: number },
  settings: Partial<UplinkSettings> & { node: string },
  deps: Partial<UplinkDeps> = {},
): { runner: UplinkRunner; target: HqTusTarget } {
  const timeout = hq.stallTimeoutMs ?? 5000;
  const target = new HqTusTarget({
    url: hq.url,
    key: hq.key,
    stallTimeoutMs: timeout,
    requestTimeoutMs: timeout,
  });
  const runner = new UplinkRunner(
    {
      catalog: cat,
      driveRoot,
      target,
      now: () => Date.now(),
      sleep,
      log: process.env.DBG ? createLogger('debug') : silentLogger,
      ...deps,
    },
    { pollMs: 100, maxBackoffMs: 500, ...settings },
  );
  return { runner, target };
}
