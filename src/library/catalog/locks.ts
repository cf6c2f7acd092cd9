import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';

/**
 * Locks for writers that share a PostgreSQL catalogue (several HQ nodes, or one HQ's concurrent
 * requests on its connection pool). SQLite needs none: a write transaction (BEGIN IMMEDIATE)
 * already has the database to itself. Transaction-scoped advisory locks: released at commit or
 * rollback, re-entrant within one transaction. Callers take them in one global order (see
 * ops.ts) so two transactions never wait on each other in a cycle.
 */
async function lockKeys(tx: Catalog, keys: Iterable<string>): Promise<void> {
  if (tx.engine !== 'postgres') return;
  // In sorted order (two transactions locking overlapping sets never deadlock), one statement for
  // all of them: the rows of the ordered subquery are locked one after the other.
  const sorted = [...new Set(keys)].sort();
  if (sorted.length === 0) return;
  if (sorted.length === 1) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${sorted[0]}, 0))`.execute(dbOf(tx));
    return;
  }
  await sql`select count(pg_advisory_xact_lock(hashtextextended(k, 0)))
            from (select k from unnest(${sorted}::text[]) as u(k) order by k collate "C") s`.execute(
    dbOf(tx),
  );
}

/**
 * The HLC of `node`: its transactions take turns, so two of them never read the same clock and
 * stamp two ops alike. Other nodes' transactions are not held up.
 */
export function lockClock(tx: Catalog, node: string): Promise<void> {
  return lockKeys(tx, [`outpost:hlc:${node}`]);
}

/**
 * Items whose attribute columns are about to be written from the op heads (a merge's projection)
 * or whose row is about to be inserted and projected (HQ receiving facts). Without it, a merge
 * could miss a row another transaction has inserted but not committed, while that transaction
 * read the heads before the merge's upsert: the row would keep a stale value.
 */
export function lockItems(tx: Catalog, ids: Iterable<string>): Promise<void> {
  return lockKeys(
    tx,
    [...ids].map((id) => `outpost:item:${id}`),
  );
}

/**
 * `a > b` for two HLC stamp columns, comparing bytes: the stamps' encoding sorts in clock order
 * byte for byte, which a linguistic collation (a PostgreSQL database's default) does not keep.
 */
export function stampAfter(tx: Catalog, a: string, b: string): RawBuilder<SqlBool> {
  const bytes = sql.raw(tx.engine === 'postgres' ? ' collate "C"' : '');
  return sql<SqlBool>`${sql.ref(a)}${bytes} > ${sql.ref(b)}${bytes}`;
}

/** A session-scoped lock held on its own connection until `release()` (or until the connection dies). */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Try once to take a session-level advisory lock on `name` (PostgreSQL): held on one pooled
 * connection until released. A node that dies drops its connection, and PostgreSQL frees the lock
 * at once: no lease to expire. SQLite (one node): always granted.
 */
export async function tryHoldLock(cat: Catalog, name: string): Promise<HeldLock | undefined> {
  if (cat.engine !== 'postgres') return { release: () => Promise.resolve() };
  let answer!: (held: boolean) => void;
  const got = new Promise<boolean>((r) => (answer = r));
  let letGo!: () => void;
  const released = new Promise<void>((r) => (letGo = r));
  const done = dbOf(cat)
    .connection()
    .execute(async (conn) => {
      const r = await sql<{
        ok: boolean;
      }>`select pg_try_advisory_lock(hashtextextended(${name}, 0)) as ok`.execute(conn);
      if (!r.rows[0]?.ok) return answer(false);
      answer(true);
      await released;
      await sql`select pg_advisory_unlock(hashtextextended(${name}, 0))`.execute(conn);
    })
    .catch((e: unknown) => {
      answer(false);
      throw e;
    });
  if (!(await got)) {
    await done;
    return undefined;
  }
  return {
    release: async () => {
      letGo();
      await done.catch(() => undefined);
    },
  };
}
