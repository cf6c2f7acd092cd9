import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { addUser } from '../../src/auth/users.js';
import { sqliteOf } from '../../src/library/catalog/handle.js';
import { openCatalog } from '../../src/library/catalog/open.js';
import { fillSyntheticItems, writeSyntheticFiles } from '../../src/library/catalog/synthetic-items.js';
import { initDrive } from '../../src/library/drive.js';
import { derivedRelPath } from '../../src/library/layout.js';

/**
 * Distinct thumbnails a little heavier than real ones (noise, like foliage: ~14 KB each, where
 * the station's 320 px thumbnails of the real-camera corpus average 9 KB), not flat colours.
 */
async function thumbnails(n: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      await sharp({
        create: {
          width: 320,
          height: 240,
          channels: 3,
          background: { r: 60 + i * 20, g: 120, b: 80 },
          noise: { type: 'gaussian', mean: 100 + i * 3, sigma: 40 },
        },
      })
        .blur(0.8)
        .webp({ quality: 70 })
        .toBuffer(),
    );
  return out;
}

/**
 * A library drive for take-away tests and bench:offline: `n` synthetic items spread over
 * monitors, dates, ratings and tags, each with a real original (so sidecars can be written beside
 * it) and a real WebP thumbnail; a user who may edit. Returns the drive's root.
 */
export async function takeawayLibrary(
  dir: string,
  n: number,
  user: { name: string; password: string },
): Promise<{ root: string; thumbBytes: number }> {
  const drive = await initDrive(dir, { label: 'Field', now: new Date() });
  const cat = await openCatalog(drive.layout.catalog);
  try {
    await fillSyntheticItems(cat, n);
    writeSyntheticFiles(cat, drive.layout.root);
    const db = sqliteOf(cat);
    db.exec('update items set has_thumb = 1');
    const ids = (db.prepare('select id from items').all() as { id: string }[]).map((r) => r.id);
    const variants = await thumbnails(8);
    let thumbBytes = 0;
    ids.forEach((id, i) => {
      const p = join(drive.layout.root, derivedRelPath(id, 'thumb'));
      mkdirSync(dirname(p), { recursive: true });
      const body = variants[i % variants.length]!;
      writeFileSync(p, body);
      thumbBytes += body.length;
    });
    await addUser(cat, { name: user.name, role: 'editor', password: user.password, now: new Date() });
    return { root: drive.layout.root, thumbBytes };
  } finally {
    await cat.close();
  }
}
