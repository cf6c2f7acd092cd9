import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type MigrationProvider } from 'kysely';
import { OutpostError } from '../../core/errors.js';
import { migrations } from './migrations.js';
import type { DB } from './schema.js';

export interface Catalog {
  db: Kysely<DB>;
  /** The underlying connection, for synchronous hot paths (bulk ledger reads). */
  sqlite: Database.Database;
  close(): Promise<void>;
}

const provider: MigrationProvider = { getMigrations: async () => migrations };

const LATEST = Object.keys(migrations).sort().at(-1)!;

/** A plain read instead of the Migrator's lock dance (two fsynced writes) on every open. */
function isCurrent(sqlite: Database.Database): boolean {
  try {
    const row = sqlite.prepare('select name from kysely_migration order by name desc limit 1').get() as
      { name: string } | undefined;
    return row?.name === LATEST;
  } catch {
    return false;
  }
}

/**
 * The catalogue holds password hashes and session hashes: owner-only (0600), like the `.outpost`
 * directory (0700, drive.ts), where the file system keeps modes (ext4, tmpfs). FAT, exFAT and
 * NTFS (FUSE) have no Unix modes: there the mount options decide (README "A lost drive").
 */
export const CATALOG_FILE_MODE = 0o600;

/**
 * Make the catalogue file owner-only before SQLite opens it: SQLite gives the -wal and -shm files
 * it creates the mode of the database file. A new one is created 0600 (an empty file is an empty
 * database); an existing one (a drive from before this rule, or copied) is fixed, with its -wal,
 * -shm and -journal. Best effort: a file system without modes refuses or ignores chmod.
 */
function restrictCatalogFiles(path: string): void {
  try {
    closeSync(openSync(path, 'wx', CATALOG_FILE_MODE));
  } catch {
    // It exists (or cannot be made: SQLite says why below).
  }
  for (const p of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    try {
      chmodSync(p, CATALOG_FILE_MODE);
    } catch {
      // ENOENT (no such side file), EPERM on vfat, EROFS: nothing to tighten there.
    }
  }
}

/**
 * Open (creating if needed) and migrate a catalogue file. WAL mode; synchronous=FULL because
 * the catalogue is the ingest journal: a committed row must survive a power cut.
 */
export async function openCatalog(path: string, opts: { readonly?: boolean } = {}): Promise<Catalog> {
  if (!opts.readonly) restrictCatalogFiles(path);
  const sqlite = new Database(path, {
    readonly: opts.readonly ?? false,
    fileMustExist: opts.readonly ?? false,
  });
  sqlite.pragma('busy_timeout = 10000');
  if (!opts.readonly) {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
  }
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
  if (!opts.readonly && !isCurrent(sqlite)) {
    const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error || failed) {
      await db.destroy();
      throw new OutpostError(
        'LIBRARY_VERSION',
        `catalogue migration failed: ${String(error ?? failed?.migrationName)}`,
        {
          cause: error,
        },
      );
    }
  }
  return { db, sqlite, close: () => db.destroy() };
}
