import { dbOf } from './handle.js';
import type { Catalog } from './open.js';
import type { UsersTable } from './schema.js';

/**
 * Login sessions (table sessions, migration 0004_auth), keyed by a SHA-256 of the cookie's token.
 * Token making, lifetimes and sliding live in src/auth/sessions.ts. Times are ISO-8601 UTC strings
 * of one length, so comparing them as text compares the instants on both engines.
 */

export interface NewSessionRow {
  idHash: string;
  /** The user's stored name. */
  user: string;
  createdAt: string;
  expiresAt: string;
}

/** Store a session (last seen = created), and drop the sessions that expired by then. */
export async function recordSession(cat: Catalog, s: NewSessionRow): Promise<void> {
  await cat.transaction(async (tx) => {
    await dbOf(tx).deleteFrom('sessions').where('expires_at', '<=', s.createdAt).execute();
    await dbOf(tx)
      .insertInto('sessions')
      .values({
        id_hash: s.idHash,
        user: s.user,
        created_at: s.createdAt,
        expires_at: s.expiresAt,
        last_seen: s.createdAt,
      })
      .execute();
  });
}

export interface SessionWithUser {
  expiresAt: string;
  lastSeen: string;
  name: string;
  role: UsersTable['role'];
  disabled: boolean;
}

/** The session with this hash and its user as stored now (role, disabled), or undefined. */
export async function sessionWithUser(cat: Catalog, idHash: string): Promise<SessionWithUser | undefined> {
  const r = await dbOf(cat)
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.name', 's.user')
    .select(['s.expires_at', 's.last_seen', 'u.name', 'u.role', 'u.disabled'])
    .where('s.id_hash', '=', idHash)
    .executeTakeFirst();
  return r
    ? {
        expiresAt: r.expires_at,
        lastSeen: r.last_seen,
        name: r.name,
        role: r.role,
        disabled: r.disabled !== 0,
      }
    : undefined;
}

/** Slide a session forward. */
export async function touchSession(
  cat: Catalog,
  idHash: string,
  lastSeen: string,
  expiresAt: string,
): Promise<void> {
  await dbOf(cat)
    .updateTable('sessions')
    .set({ last_seen: lastSeen, expires_at: expiresAt })
    .where('id_hash', '=', idHash)
    .execute();
}

/** End one session; an unknown hash is no error. */
export async function deleteSession(cat: Catalog, idHash: string): Promise<void> {
  await dbOf(cat).deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

/** End every session of a user (their stored name). Returns how many ended. */
export async function deleteUserSessions(cat: Catalog, user: string): Promise<number> {
  const r = await dbOf(cat).deleteFrom('sessions').where('user', '=', user).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Delete sessions expired at `at` (ISO); returns how many. */
export async function deleteSessionsExpiredBy(cat: Catalog, at: string): Promise<number> {
  const r = await dbOf(cat).deleteFrom('sessions').where('expires_at', '<=', at).executeTakeFirst();
  return Number(r.numDeletedRows);
}
