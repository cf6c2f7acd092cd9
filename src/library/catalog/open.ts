import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type MigrationProvider } from 'kysely';
import type { Pool } from 'pg';
import { OutpostError } from '../../core/errors.js';
import { attachHandle, type CatalogHandle } from './handle.js';
import { migrations } from './migrations.js';
import type { DB } from './schema.js';

export type CatalogEngine = 'sqlite' | 'postgres';

/**
 * A catalogue, on SQLite (a library drive, an HQ data directory) or PostgreSQL (HQ at scale).
 * No engine handle here: the query modules of this folder (items.ts, ops.ts, users.ts…) are the
 * one door; they reach the engine through handle.ts.
 */
export interface Catalog {
  readonly engine: CatalogEngine;
  /**
   * Run `fn` in one transaction (SQLite: BEGIN IMMEDIATE, so two processes never deadlock on the
   * write lock) and commit, or roll back if it throws. Inside, use the catalogue `fn` receives;
   * a transaction inside a transaction joins the outer one.
   */
  transaction<T>(fn: (tx: Catalog) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const ALL = Object.keys(migrations('sqlite'));

/**
 * A plain read instead of the Migrator's lock dance (two fsynced writes) on every open: current
 * when every migration has run (not only the latest: one merged from a parallel branch may have a
 * lower number than one already run).
 */
async function isCurrent(db: Kysely<DB>): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    const done = new Set(rows.map((r) => r.name));
    return ALL.every((m) => done.has(m));
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

/** A `postgres://` or `postgresql://` URL names a PostgreSQL catalogue; anything else is a file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * Open (creating if needed) and migrate a catalogue: a SQLite file path, or a PostgreSQL URL
 * (`postgres://user:pass@host:port/db`). SQLite runs in WAL mode with synchronous=FULL because
 * the catalogue is the ingest journal: a committed row must survive a power cut.
 */
export async function openCatalog(location: string, opts: { readonly?: boolean } = {}): Promise<Catalog> {
  return isPostgresUrl(location) ? openPostgres(location) : openSqlite(location, opts);
}

async function openSqlite(path: string, opts: { readonly?: boolean }): Promise<Catalog> {
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
  if (!opts.readonly) await migrate(db, 'sqlite');
  return makeCatalog('sqlite', db, sqlite);
}

/** The PostgreSQL driver is loaded only by a process that opens such a catalogue (stations never do). */
async function pgPool(url: string): Promise<Pool> {
  const pg = (await import('pg')).default;
  // int8 (counts, sizes, sequence numbers) as numbers: every value Outpost stores is below 2^53.
  pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
  pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
  // 10 for queries, and one an HQ node keeps for its upload locks (locks.ts).
  return new pg.Pool({ connectionString: url, max: 11 });
}

async function openPostgres(url: string): Promise<Catalog> {
  const pool = await pgPool(url);
  // An idle client's error (the server restarted) must not crash the process: the next query
  // gets a fresh connection or a clear error.
  pool.on('error', () => undefined);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (e) {
    await db.destroy();
    throw new OutpostError(
      'CATALOG_UNREACHABLE',
      `cannot reach the PostgreSQL catalogue: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  await migrate(db, 'postgres');
  return makeCatalog('postgres', db, undefined, pool);
}

async function migrate(db: Kysely<DB>, engine: CatalogEngine): Promise<void> {
  if (await isCurrent(db)) return;
  const provider: MigrationProvider = { getMigrations: async () => migrations(engine) };
  // Unordered: a migration merged from a parallel branch (a lower number than one already run)
  // still runs; each migration stands on its own.
  const { error, results } = await new Migrator({
    db,
    provider,
    allowUnorderedMigrations: true,
  }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    await db.destroy();
    throw new OutpostError(
      'LIBRARY_VERSION',
      `catalogue migration failed: ${String(error ?? failed?.migrationName)}`,
      { cause: error },
    );
  }
}

function makeCatalog(
  engine: CatalogEngine,
  db: Kysely<DB>,
  sqlite: Database.Database | undefined,
  pool?: Pool,
): Catalog {
  const cat: Catalog = {
    engine,
    transaction: (fn) => runTransaction(engine, db, sqlite, fn),
    close: () => db.destroy(),
  };
  attachHandle(cat, { db, sqlite, pool });
  return cat;
}

/**
 * One connection for the whole transaction (the SQLite driver's connection mutex keeps other
 * Kysely queries out until it ends; PostgreSQL takes one client from the pool).
 */
async function runTransaction<T>(
  engine: CatalogEngine,
  db: Kysely<DB>,
  sqlite: Database.Database | undefined,
  fn: (tx: Catalog) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql.raw(engine === 'sqlite' ? 'begin immediate' : 'begin').execute(conn);
    const tx: Catalog = {
      engine,
      transaction: (inner) => inner(tx),
      close: () => Promise.reject(new Error('close the catalogue, not its transaction')),
    };
    const handle: CatalogHandle = { db: conn, sqlite };
    attachHandle(tx, handle);
    try {
      const out = await fn(tx);
      await sql.raw('commit').execute(conn);
      return out;
    } catch (e) {
      await sql
        .raw('rollback')
        .execute(conn)
        .catch(() => undefined);
      throw e;
    }
  });
}
