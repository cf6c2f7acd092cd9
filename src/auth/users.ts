import type { Kysely } from 'kysely';
import { OutpostError } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import { DEFAULT_SCRYPT, hashPassword, passwordProblem, type ScryptParams } from './passwords.js';

/** A login role: editors can do everything viewers can, and change attributes. */
export type UserRole = 'viewer' | 'editor';
export const USER_ROLES: readonly UserRole[] = ['viewer', 'editor'];

/** Tables of migration 0004_auth (kept here: only src/auth reads them). */
// A type alias, not an interface: Kysely's withTables() wants an index-signature-compatible type.
export type AuthTables = {
  users: {
    name: string;
    role: UserRole;
    password_hash: string;
    created_at: string;
    disabled: number;
  };
  sessions: {
    id_hash: string;
    user: string;
    created_at: string;
    expires_at: string;
    last_seen: string;
  };
};

export type AuthDb = Kysely<AuthTables>;

/** The catalogue seen with the auth tables. */
export function authDb(cat: Catalog): AuthDb {
  return cat.db.withTables<AuthTables>() as unknown as AuthDb;
}

export interface User {
  name: string;
  role: UserRole;
  createdAt: string;
  disabled: boolean;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

/**
 * A typed user name as it is stored and looked up: NFC, then trimmed (tablet keyboards add a
 * space after a word). Case stays as typed: the `users.name` column compares without case
 * (collate nocase), which for the ASCII letters a name may hold is the same as {@link userNameKey}.
 */
export function normaliseUserName(name: string): string {
  return name.normalize('NFC').trim();
}

/**
 * The one spelling of a user name for counting attempts: `ED2`, ` ed2` and `Ed2 ` are one user
 * to the catalogue, so they must be one user to the login limiter too.
 */
export function userNameKey(name: string): string {
  return normaliseUserName(name).toLowerCase();
}

/** A user name, normalised ({@link normaliseUserName}), or INVALID_INPUT. */
export function validateUserName(name: string): string {
  const n = normaliseUserName(name);
  if (!NAME_RE.test(n))
    throw new OutpostError('INVALID_INPUT', `invalid user name "${name.slice(0, 80)}"`, {
      hint: 'Use 1-64 letters, digits, dot, dash, underscore or @, starting with a letter or digit.',
    });
  return n;
}

export function validateRole(role: string): UserRole {
  if (!(USER_ROLES as readonly string[]).includes(role))
    throw new OutpostError('INVALID_INPUT', `unknown role "${role.slice(0, 40)}"`, {
      hint: 'The roles are viewer (look) and editor (look and change).',
    });
  return role as UserRole;
}

function checkPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new OutpostError('INVALID_INPUT', problem, { hint: 'Choose a longer password.' });
}

function notFound(name: string): OutpostError {
  return new OutpostError('INVALID_INPUT', `no user "${name}" in this library`, {
    hint: 'See `outpost user list`.',
  });
}

function toUser(r: AuthTables['users']): User {
  return { name: r.name, role: r.role, createdAt: r.created_at, disabled: r.disabled !== 0 };
}

export async function countUsers(cat: Catalog): Promise<number> {
  const row = await authDb(cat)
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listUsers(cat: Catalog): Promise<User[]> {
  const rows = await authDb(cat).selectFrom('users').selectAll().orderBy('name').execute();
  return rows.map(toUser);
}

/** The user row with its password hash (for login), or undefined. Names compare without case. */
export async function findUser(
  cat: Catalog,
  name: string,
): Promise<(User & { passwordHash: string }) | undefined> {
  const r = await authDb(cat)
    .selectFrom('users')
    .selectAll()
    .where('name', '=', normaliseUserName(name))
    .executeTakeFirst();
  return r ? { ...toUser(r), passwordHash: r.password_hash } : undefined;
}

export interface AddUserOptions {
  name: string;
  role: UserRole;
  password: string;
  now: Date;
  /** Only create it when there are no users yet (first start); false: it was refused. */
  onlyIfFirst?: boolean;
  scrypt?: ScryptParams;
}

/**
 * Create a user. Throws INVALID_INPUT for a bad name, role, or password, or a name already taken.
 * With `onlyIfFirst`, resolves undefined (nothing written) when any user exists.
 */
export async function addUser(cat: Catalog, o: AddUserOptions): Promise<User | undefined> {
  const name = validateUserName(o.name);
  const role = validateRole(o.role);
  checkPassword(o.password);
  const hash = await hashPassword(o.password, o.scrypt ?? DEFAULT_SCRYPT);
  const row = { name, role, password_hash: hash, created_at: o.now.toISOString(), disabled: 0 };
  // Synchronous transaction: the "no users yet" check and the insert cannot interleave with another.
  const insert = cat.sqlite.transaction((): 'ok' | 'exists' | 'not-first' => {
    if (o.onlyIfFirst && cat.sqlite.prepare('select 1 from users limit 1').get()) return 'not-first';
    if (cat.sqlite.prepare('select 1 from users where name = ?').get(name)) return 'exists';
    cat.sqlite
      .prepare(
        'insert into users (name, role, password_hash, created_at, disabled) values (@name, @role, @password_hash, @created_at, @disabled)',
      )
      .run(row);
    return 'ok';
  });
  const outcome = insert.immediate();
  if (outcome === 'not-first') return undefined;
  if (outcome === 'exists')
    throw new OutpostError('INVALID_INPUT', `user "${name}" already exists`, {
      hint: 'Choose another name, or change the password with `outpost user passwd`.',
    });
  return toUser(row);
}

/** Refuse a change that would leave users but no enabled editor (nobody could manage tags). */
function assertEditorRemains(cat: Catalog, without: string): void {
  const others = cat.sqlite
    .prepare(
      `select
         (select count(*) from users where name <> ?) as users,
         (select count(*) from users where name <> ? and role = 'editor' and disabled = 0) as editors`,
    )
    .get(without, without) as { users: number; editors: number };
  if (others.users > 0 && others.editors === 0)
    throw new OutpostError('INVALID_INPUT', `"${without}" is the last editor`, {
      hint: 'Make another user an editor first (`outpost user role <name> editor`).',
    });
}

/** Delete a user and their sessions. */
export async function removeUser(cat: Catalog, name: string): Promise<void> {
  const tx = cat.sqlite.transaction(() => {
    const u = cat.sqlite.prepare('select name from users where name = ?').get(normaliseUserName(name)) as
      { name: string } | undefined;
    if (!u) throw notFound(name);
    assertEditorRemains(cat, u.name);
    cat.sqlite.prepare('delete from sessions where user = ?').run(u.name);
    cat.sqlite.prepare('delete from users where name = ?').run(u.name);
  });
  tx.immediate();
}

/** Set a new password; every session of the user ends (a stolen cookie stops working). */
export async function setPassword(
  cat: Catalog,
  name: string,
  password: string,
  scryptParams: ScryptParams = DEFAULT_SCRYPT,
): Promise<void> {
  checkPassword(password);
  const hash = await hashPassword(password, scryptParams);
  const tx = cat.sqlite.transaction(() => {
    const u = cat.sqlite.prepare('select name from users where name = ?').get(normaliseUserName(name)) as
      { name: string } | undefined;
    if (!u) throw notFound(name);
    cat.sqlite.prepare('update users set password_hash = ? where name = ?').run(hash, u.name);
    cat.sqlite.prepare('delete from sessions where user = ?').run(u.name);
  });
  tx.immediate();
}

/** Change a role; takes effect on the user's next request (sessions look the role up each time). */
export async function setRole(cat: Catalog, name: string, role: UserRole): Promise<void> {
  const r = validateRole(role);
  const tx = cat.sqlite.transaction(() => {
    const u = cat.sqlite.prepare('select name from users where name = ?').get(normaliseUserName(name)) as
      { name: string } | undefined;
    if (!u) throw notFound(name);
    if (r !== 'editor') assertEditorRemains(cat, u.name);
    cat.sqlite.prepare('update users set role = ? where name = ?').run(r, u.name);
  });
  tx.immediate();
}
