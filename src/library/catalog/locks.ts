import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { PoolClient } from 'pg';
import { dbOf, poolOf } from './handle.js';
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

/**
 * Session-level advisory locks of one HQ node, all on one connection of its own (PostgreSQL), held
 * until unlocked or until that connection dies: a node that dies drops it, and PostgreSQL frees
 * every lock it held at once (no lease to expire). One connection for any number of locks: uploads
 * in progress never use up the query pool. Nodes ask each other to let go of a lock through
 * LISTEN/NOTIFY on the same connection (tus's "please release", between nodes).
 * SQLite (one node, one process): every lock is granted; nobody else asks.
 */
export interface LockSession {
  /**
   * Try once to take `name`: the session's generation when this node holds it now (pass it to
   * `unlock`), undefined when another holds it.
   */
  tryLock(name: string): Promise<number | undefined>;
  /** Let go of a lock taken in `generation` (nothing to do if that connection is gone). */
  unlock(name: string, generation: number): Promise<void>;
  /** Ask the node holding `name`, whichever it is, to let go soon. */
  askRelease(name: string): Promise<void>;
  /** `fn(name)` when some node asks for `name` (this node may or may not hold it). */
  onReleaseAsked(fn: (name: string) => void): void;
  /**
   * `fn()` when the session's connection is lost (PostgreSQL restarted, the connection was cut):
   * every lock it held is gone, so whoever relied on one must stop. The next call reconnects.
   */
  onLost(fn: () => void): void;
  close(): Promise<void>;
}

const RELEASE_CHANNEL = 'outpost_lock_release';

export async function openLockSession(cat: Catalog): Promise<LockSession> {
  const pool = poolOf(cat);
  if (cat.engine !== 'postgres' || !pool)
    return {
      tryLock: () => Promise.resolve(0),
      unlock: () => Promise.resolve(),
      askRelease: () => Promise.resolve(),
      onReleaseAsked: () => undefined,
      onLost: () => undefined,
      close: () => Promise.resolve(),
    };
  const released: ((name: string) => void)[] = [];
  const lost: (() => void)[] = [];
  let generation = 0;
  let closed = false;
  type Conn = { client: PoolClient; generation: number; broken: boolean };
  let current: Promise<Conn> | undefined;
  const connect = async (): Promise<Conn> => {
    const client = await pool.connect();
    const conn: Conn = { client, generation: ++generation, broken: false };
    client.on('error', () => {
      if (conn.broken) return;
      conn.broken = true;
      current = undefined;
      client.release(true);
      for (const fn of lost) fn();
    });
    client.on('notification', (m) => {
      if (m.channel === RELEASE_CHANNEL && m.payload) for (const fn of released) fn(m.payload);
    });
    try {
      await client.query(`set application_name = 'outpost upload locks'`);
      await client.query(`listen ${RELEASE_CHANNEL}`);
    } catch (e) {
      conn.broken = true;
      client.release(true);
      throw e;
    }
    return conn;
  };
  const conn = (): Promise<Conn> => {
    if (closed) return Promise.reject(new Error('the lock session is closed'));
    current ??= connect().catch((e: unknown) => {
      current = undefined;
      throw e;
    });
    return current;
  };
  await conn();
  const key = 'hashtextextended($1, 0)';
  return {
    async tryLock(name) {
      const c = await conn();
      const r = await c.client.query<{ ok: boolean }>(`select pg_try_advisory_lock(${key}) as ok`, [name]);
      return r.rows[0]?.ok === true ? c.generation : undefined;
    },
    async unlock(name, gen) {
      const c = current && (await current.catch(() => undefined));
      // Taken on a connection since lost: PostgreSQL let go of it then.
      if (!c || c.broken || c.generation !== gen) return;
      await c.client.query(`select pg_advisory_unlock(${key})`, [name]);
    },
    async askRelease(name) {
      const c = await conn();
      await c.client.query('select pg_notify($1, $2)', [RELEASE_CHANNEL, name]);
    },
    onReleaseAsked(fn) {
      released.push(fn);
    },
    onLost(fn) {
      lost.push(fn);
    },
    async close() {
      closed = true;
      const c = current && (await current.catch(() => undefined));
      current = undefined;
      // Destroyed, not returned to the pool: its locks and its LISTEN go with it.
      if (c && !c.broken) {
        c.broken = true;
        c.client.release(true);
      }
    },
  };
}
