import { sql } from 'kysely';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';

/**
 * How query modules keep "check, then write" honest on both engines.
 *
 * SQLite needs nothing more than `cat.transaction`: it begins IMMEDIATE, which holds the file's one
 * write lock until the end. PostgreSQL runs transactions at READ COMMITTED, where two transactions
 * can both see "no row yet" and both write; an EXCLUSIVE table lock queues every other writer (and
 * every other locker) behind this transaction while plain reads go on.
 *
 * Take it as the transaction's FIRST statement: a transaction that already wrote a row pointing
 * at the table (a foreign key check holds ROW SHARE on it) would deadlock with another one waiting
 * for the same lock. Outside a transaction PostgreSQL refuses LOCK TABLE, so misuse shows at once.
 */
export async function lockTableForWrites(tx: Catalog, table: 'users' | 'station_keys'): Promise<void> {
  if (tx.engine !== 'postgres') return;
  await sql`lock table ${sql.table(table)} in exclusive mode`.execute(dbOf(tx));
}

/** SQLite's and PostgreSQL's codes for a broken primary key or unique index. */
const UNIQUE_CODES = new Set(['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE', '23505']);

/**
 * True for an insert refused by a primary key or unique index, told by the engine's error code
 * (never its message text). On PostgreSQL the refused statement also aborts its transaction: catch
 * it outside `cat.transaction`, not inside.
 */
export function isUniqueViolation(e: unknown): boolean {
  if (typeof e !== 'object' || e === null || !('code' in e)) return false;
  const code = (e as { code: unknown }).code;
  return typeof code === 'string' && UNIQUE_CODES.has(code);
}
