import { OutpostError } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import { deleteUserSessions } from '../library/catalog/sessions.js';
import {
  countUsers as countStoredUsers,
  createUser,
  deleteUser,
  findUserByName,
  listUsers as listStoredUsers,
  otherUsersAndEditors,
  setUserPasswordHash,
  setUserRole,
  withUsersLocked,
} from '../library/catalog/users.js';
import { DEFAULT_SCRYPT, hashPassword, passwordProblem, type ScryptParams } from './passwords.js';

/** A login role: editors can do everything viewers can, and change attributes. */
export type UserRole = 'viewer' | 'editor';
export const USER_ROLES: readonly UserRole[] = ['viewer', 'editor'];

export interface User {
  name: string;
  role: UserRole;
  createdAt: string;
  disabled: boolean;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

/**
 * A typed user name as it is stored and looked up: NFC, then trimmed (tablet keyboards add a
 * space after a word). Case stays as typed: the catalogue compares names without case
 * (src/library/catalog/users.ts), which for the ASCII letters a name may hold is the same as
 * {@link userNameKey}.
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

export async function countUsers(cat: Catalog): Promise<number> {
  return countStoredUsers(cat);
}

export async function listUsers(cat: Catalog): Promise<User[]> {
  return listStoredUsers(cat);
}

/** The user row with its password hash (for login), or undefined. Names compare without case. */
export async function findUser(
  cat: Catalog,
  name: string,
): Promise<(User & { passwordHash: string }) | undefined> {
  return findUserByName(cat, normaliseUserName(name));
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
  const passwordHash = await hashPassword(o.password, o.scrypt ?? DEFAULT_SCRYPT);
  const createdAt = o.now.toISOString();
  // The catalogue checks "no users yet" and inserts with other user writers locked out.
  const outcome = await createUser(
    cat,
    { name, role, passwordHash, createdAt },
    { onlyIfNoUsers: o.onlyIfFirst ?? false },
  );
  if (outcome === 'not-first') return undefined;
  if (outcome === 'name-taken')
    throw new OutpostError('INVALID_INPUT', `user "${name}" already exists`, {
      hint: 'Choose another name, or change the password with `outpost user passwd`.',
    });
  return { name, role, createdAt, disabled: false };
}

/** Refuse a change that would leave users but no enabled editor (nobody could manage tags). */
async function assertEditorRemains(cat: Catalog, without: string): Promise<void> {
  const others = await otherUsersAndEditors(cat, without);
  if (others.users > 0 && others.editors === 0)
    throw new OutpostError('INVALID_INPUT', `"${without}" is the last editor`, {
      hint: 'Make another user an editor first (`outpost user role <name> editor`).',
    });
}

/** The stored name of the user called `name` (any case), or INVALID_INPUT. */
async function storedName(cat: Catalog, name: string): Promise<string> {
  const u = await findUserByName(cat, normaliseUserName(name));
  if (!u) throw notFound(name);
  return u.name;
}

/** Delete a user and their sessions. */
export async function removeUser(cat: Catalog, name: string): Promise<void> {
  await withUsersLocked(cat, async (tx) => {
    const u = await storedName(tx, name);
    await assertEditorRemains(tx, u);
    await deleteUser(tx, u);
  });
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
  await cat.transaction(async (tx) => {
    const u = await storedName(tx, name);
    await setUserPasswordHash(tx, u, hash);
    await deleteUserSessions(tx, u);
  });
}

/** Change a role; takes effect on the user's next request (sessions look the role up each time). */
export async function setRole(cat: Catalog, name: string, role: UserRole): Promise<void> {
  const r = validateRole(role);
  await withUsersLocked(cat, async (tx) => {
    const u = await storedName(tx, name);
    if (r !== 'editor') await assertEditorRemains(tx, u);
    await setUserRole(tx, u, r);
  });
}
