import { join } from 'node:path';
import { hqCatalogLocation, openHqDataDir } from '../hq/data-dir.js';
import { hqObjectStore } from '../hq/object-stores.js';
import { openOwnLibrary } from '../hq/own-library.js';
import { objectStoreSource } from '../hq/video.js';
import { openCatalog, type Catalog } from '../library/catalog/open.js';
import type { Drive } from '../library/drive.js';
import type { VideoSource } from '../video/source.js';
import type { Context } from './context.js';

/**
 * A video job at HQ from the command line (`outpost export --hq DIR`): recordings from HQ's
 * catalogue and object store (config `hq.database`, `hq.objects`), the result into HQ's video
 * library in `DIR/video`, from where a running `outpost hq` sends it into the gallery.
 */
export async function withHqVideo<T>(
  ctx: Context,
  dataDir: string,
  fn: (t: { catalog: Catalog; drive: Drive; source: VideoSource }) => Promise<T>,
): Promise<T> {
  const data = await openHqDataDir(dataDir, ctx.clock.now());
  const hqCatalog = await openCatalog(hqCatalogLocation(data, ctx.config.hq.database));
  try {
    const store = await hqObjectStore(ctx.config.hq.objects, data.objectsDir);
    const drive = await openOwnLibrary(join(data.drive.layout.root, 'video'), 'hq-video', ctx.clock.now());
    const catalog = await openCatalog(drive.layout.catalog);
    try {
      return await fn({ catalog, drive, source: objectStoreSource(hqCatalog, store, drive.layout.tmpDir) });
    } finally {
      await catalog.close();
    }
  } finally {
    await hqCatalog.close();
  }
}
