import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, OutpostError } from '../core/errors.js';
import { initDrive, openDrive, type Drive } from '../library/drive.js';

/**
 * HQ's data directory is laid out like a library drive (marker, `.outpost/catalog.sqlite`), so
 * the same catalogue code, `outpost user add --library <data>` and the web app work unchanged.
 * HQ adds `uploads/` (incomplete tus uploads) and `objects/` (the content-addressed store).
 */
export interface HqDataDir {
  drive: Drive;
  uploadsDir: string;
  objectsDir: string;
}

export function hqPaths(dir: string): { uploadsDir: string; objectsDir: string } {
  return { uploadsDir: join(dir, 'uploads'), objectsDir: join(dir, 'objects') };
}

/**
 * Where HQ's catalogue is: config `hq.database` is `sqlite` (the data directory's own catalogue
 * file, as a library drive keeps it) or a PostgreSQL URL (the data directory then holds the
 * object store and uploads only).
 */
export function hqCatalogLocation(data: HqDataDir, database: string): string {
  return database === 'sqlite' ? data.drive.layout.catalog : database;
}

/** Open the data directory, making it on first use. */
export async function openHqDataDir(dir: string, now: Date): Promise<HqDataDir> {
  let drive: Drive;
  try {
    drive = await openDrive(dir);
  } catch (e) {
    if (!(
      e instanceof OutpostError &&
      e.code === 'NOT_A_LIBRARY' &&
      /no outpost-drive\.json/.test(e.message)
    ))
      throw e;
    try {
      drive = await initDrive(dir, { label: 'hq', now });
    } catch (err) {
      if (errnoCode(err) === 'EACCES')
        throw new OutpostError('USAGE', `cannot create the HQ data directory ${dir}`, {
          hint: 'Pass --data <dir> pointing at a directory this user may write.',
          cause: err,
        });
      throw err;
    }
  }
  const paths = hqPaths(dir);
  await mkdir(paths.uploadsDir, { recursive: true });
  await mkdir(paths.objectsDir, { recursive: true });
  return { drive, ...paths };
}
