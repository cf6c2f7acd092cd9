import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Pool } from 'pg';
import { OutpostError } from '../../core/errors.js';
import type { Catalog } from './open.js';
import type { DB } from './schema.js';

/**
 * The engine behind a Catalog. Only the query modules in this folder reach it (lint forbids the
 * import elsewhere): the rest of the code speaks to the catalogue in intents (items.ts, ops.ts…).
 */
export interface CatalogHandle {
  /** Kysely on the engine, or on the open transaction's connection inside `transaction()`. */
  db: Kysely<DB>;
  /** The SQLite connection (station drives); undefined on PostgreSQL. */
  sqlite: Database.Database | undefined;
  /** PostgreSQL's connection pool (a connection of its own for locks.ts); undefined on SQLite. */
  pool?: Pool | undefined;
}

const handles = new WeakMap<Catalog, CatalogHandle>();

export function attachHandle(cat: Catalog, h: CatalogHandle): void {
  handles.set(cat, h);
}

function handleOf(cat: Catalog): CatalogHandle {
  const h = handles.get(cat);
  if (!h) throw new Error('not an open catalogue');
  return h;
}

/** Kysely for a query module: runs on either engine. */
export function dbOf(cat: Catalog): Kysely<DB> {
  return handleOf(cat).db;
}

/**
 * The synchronous SQLite connection, for the station's own tables (mirror change journal, scrub
 * findings, uplink journal) and hot paths that are measured to need it. A PostgreSQL catalogue
 * (HQ) has none of those: asking is a programming error, reported as such.
 */
export function sqliteOf(cat: Catalog): Database.Database {
  const s = handleOf(cat).sqlite;
  if (!s) {
    throw new OutpostError(
      'CATALOG_ENGINE',
      'this needs a library drive catalogue (SQLite); HQ on PostgreSQL does not keep it',
    );
  }
  return s;
}

/** PostgreSQL's pool, for a connection held apart from queries (locks.ts); undefined on SQLite. */
export function poolOf(cat: Catalog): Pool | undefined {
  return handleOf(cat).pool;
}

/**
 * Run a compiled query on the SQLite driver itself, without Kysely's layer: the baseline a
 * benchmark measures the API against (the very statement the API runs).
 */
export function runCompiledOnSqlite(
  cat: Catalog,
  q: { sql: string; parameters: readonly unknown[] },
): unknown[] {
  return sqliteOf(cat)
    .prepare(q.sql)
    .all(...(q.parameters as unknown[]));
}
