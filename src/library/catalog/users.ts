import { sql, type Selectable } from 'kysely';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';
import type { UsersTable } from './schema.js';
import { isUniqueViolation, lockTableForWrites } from './write-guards.js';

/**
 * Login users (table users, migration 0004_auth). Policy (which names are valid, password hashing,
 * "an editor must remain") lives in src/auth/users.ts; this module stores and finds.
 *
 * Names compare without case on both engines: SQLite declares the column `collate nocase`,
 * PostgreSQL has a unique index on lower(name). Look-ups therefore compare lower(name) with
 * lower(?), which both engines answer alike (names are ASCII: see auth's validateUserName).
 * Functions taking a `storedName` want the name exactly as stored (from a look-up first).
 */

export type StoredRole = UsersTable['role'];

export interface UserRecord {
  name: string;
  role: StoredRole;
  createdAt: string;
  disabled: boolean;
}

export interface StoredUser extends UserRecord {
  passwordHash: string;
}

function toRecord(r: Selectable<UsersTable>): UserRecord {
  return { name: r.name, role: r.role, createdAt: r.created_at, disabled: r.disabled !== 0 };
}

const byName = (name: string) => sql<boolean>`lower(${sql.ref('name')}) = lower(${name})`;

export async function countUsers(cat: Catalog): Promise<number> {
  const row = await dbOf(cat)
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Every user, by name without case (then as stored). Sorted here, not by the engine: PostgreSQL's
 * collation may skip the dots and dashes a name can hold, and the list must read the same on both.
 */
export async function listUsers(cat: Catalog): Promise<UserRecord[]> {
  const rows = await dbOf(cat).selectFrom('users').selectAll().execute();
  const key = (n: string) => n.toLowerCase();
  return rows.map(toRecord).sort((a, b) => cmp(key(a.name), key(b.name)) || cmp(a.name, b.name));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The user called `name` in any case, with its password hash (for login), or undefined. */
export async function findUserByName(cat: Catalog, name: string): Promise<StoredUser | undefined> {
  const r = await dbOf(cat).selectFrom('users').selectAll().where(byName(name)).executeTakeFirst();
  return r ? { ...toRecord(r), passwordHash: r.password_hash } : undefined;
}

export interface NewUser {
  name: string;
  role: StoredRole;
  passwordHash: string;
  createdAt: string;
}

/**
 * Store a new user. 'name-taken' when a user of that name in any case exists (the engine's unique
 * index decides, so two concurrent creations cannot both win). With `onlyIfNoUsers` (the first
 * editor, from the setup page), 'not-first' when any user exists: the check and the insert run
 * with every other user writer locked out, so of two concurrent first users exactly one is made.
 */
export async function createUser(
  cat: Catalog,
  user: NewUser,
  opts: { onlyIfNoUsers?: boolean } = {},
): Promise<'created' | 'name-taken' | 'not-first'> {
  const row = {
    name: user.name,
    role: user.role,
    password_hash: user.passwordHash,
    created_at: user.createdAt,
    disabled: 0,
  };
  try {
    return await cat.transaction(async (tx) => {
      if (opts.onlyIfNoUsers) {
        await lockTableForWrites(tx, 'users');
        const any = await dbOf(tx).selectFrom('users').select('name').limit(1).executeTakeFirst();
        if (any) return 'not-first';
      }
      await dbOf(tx).insertInto('users').values(row).execute();
      return 'created';
    });
  } catch (e) {
    // Caught outside the transaction: on PostgreSQL the refused insert has aborted it.
    if (isUniqueViolation(e)) return 'name-taken';
    throw e;
  }
}

/**
 * Run `fn` in one transaction with no other writer of users in between: for a change decided on
 * what the other users are (the last editor must stay). Use the catalogue `fn` receives.
 */
export async function withUsersLocked<T>(cat: Catalog, fn: (tx: Catalog) => Promise<T>): Promise<T> {
  return cat.transaction(async (tx) => {
    await lockTableForWrites(tx, 'users');
    return fn(tx);
  });
}

/** How many users there are besides `storedName`, and how many of them are enabled editors. */
export async function otherUsersAndEditors(
  cat: Catalog,
  storedName: string,
): Promise<{ users: number; editors: number }> {
  const row = await dbOf(cat)
    .selectFrom('users')
    .where('name', '<>', storedName)
    .select((eb) => [
      eb.fn.countAll<number>().as('users'),
      eb.fn
        .sum<number>(
          eb
            .case()
            .when(eb.and([eb('role', '=', 'editor'), eb('disabled', '=', 0)]))
            .then(1)
            .else(0)
            .end(),
        )
        .as('editors'),
    ])
    .executeTakeFirstOrThrow();
  // sum() over no rows is null on both engines.
  return { users: Number(row.users), editors: Number(row.editors ?? 0) };
}

/** Delete a user and their sessions (the foreign key cascades too; said here so it never depends on it). */
export async function deleteUser(cat: Catalog, storedName: string): Promise<void> {
  await cat.transaction(async (tx) => {
    await dbOf(tx).deleteFrom('sessions').where('user', '=', storedName).execute();
    await dbOf(tx).deleteFrom('users').where('name', '=', storedName).execute();
  });
}

export async function setUserPasswordHash(cat: Catalog, storedName: string, hash: string): Promise<void> {
  await dbOf(cat).updateTable('users').set({ password_hash: hash }).where('name', '=', storedName).execute();
}

export async function setUserRole(cat: Catalog, storedName: string, role: StoredRole): Promise<void> {
  await dbOf(cat).updateTable('users').set({ role }).where('name', '=', storedName).execute();
}

/** Disable or enable a user: a disabled user's sessions stop working and they cannot log in. */
export async function setUserDisabled(cat: Catalog, storedName: string, disabled: boolean): Promise<void> {
  await dbOf(cat)
    .updateTable('users')
    .set({ disabled: disabled ? 1 : 0 })
    .where('name', '=', storedName)
    .execute();
}
