import { createHash, randomBytes } from 'node:crypto';
import type { Catalog } from '../library/catalog/open.js';
import {
  deleteSession,
  deleteSessionsExpiredBy,
  deleteUserSessions,
  recordSession,
  sessionWithUser,
  touchSession,
} from '../library/catalog/sessions.js';
import type { UserRole } from './users.js';

/** Sessions last 30 days after the last request (sliding). */
export const DEFAULT_SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/**
 * last_seen / expires_at are written at most this often per session: a gallery page is hundreds
 * of thumbnail requests, and every catalogue write is an fsync.
 */
export const SESSION_TOUCH_INTERVAL_MS = 3600 * 1000;

export interface SessionOptions {
  ttlMs?: number;
  touchIntervalMs?: number;
}

/** The SHA-256 stored for a token: a leaked catalogue gives no usable cookie. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface NewSession {
  /** The secret for the cookie (base64url of 32 random bytes); never stored. */
  token: string;
  expiresAt: Date;
}

/** Start a session for `user` (its exact stored name). Also deletes expired sessions. */
export async function createSession(
  cat: Catalog,
  user: string,
  now: Date,
  opts: SessionOptions = {},
): Promise<NewSession> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + (opts.ttlMs ?? DEFAULT_SESSION_TTL_MS));
  await recordSession(cat, {
    idHash: hashToken(token),
    user,
    createdAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
  });
  return { token, expiresAt };
}

export interface SessionUser {
  name: string;
  role: UserRole;
  /** When the session ends if unused. */
  expiresAt: Date;
  /** True when this lookup extended the session (the cookie should be re-sent with the new Max-Age). */
  extended: boolean;
}

/** Cheap shape check before touching the catalogue (cookies can hold anything). */
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The user of a live session, or undefined (unknown token, expired, user removed or disabled).
 * Expired sessions are deleted; live ones slide forward (at most once per touch interval).
 */
export async function lookupSession(
  cat: Catalog,
  token: string,
  now: Date,
  opts: SessionOptions = {},
): Promise<SessionUser | undefined> {
  if (!TOKEN_RE.test(token)) return undefined;
  const idHash = hashToken(token);
  const row = await sessionWithUser(cat, idHash);
  if (!row) return undefined;
  const iso = now.toISOString();
  if (row.expiresAt <= iso) {
    await deleteSession(cat, idHash);
    return undefined;
  }
  if (row.disabled) return undefined;
  const ttl = opts.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  const touchEvery = opts.touchIntervalMs ?? SESSION_TOUCH_INTERVAL_MS;
  if (now.getTime() - Date.parse(row.lastSeen) >= touchEvery) {
    const expiresAt = new Date(now.getTime() + ttl);
    await touchSession(cat, idHash, iso, expiresAt.toISOString());
    return { name: row.name, role: row.role, expiresAt, extended: true };
  }
  return { name: row.name, role: row.role, expiresAt: new Date(row.expiresAt), extended: false };
}

/** End one session (logout). Unknown tokens are ignored. */
export async function revokeSession(cat: Catalog, token: string): Promise<void> {
  await deleteSession(cat, hashToken(token));
}

/** End every session of a user. Returns how many ended. */
export async function revokeUserSessions(cat: Catalog, user: string): Promise<number> {
  return deleteUserSessions(cat, user);
}

/** Delete expired sessions; returns how many. */
export async function deleteExpiredSessions(cat: Catalog, now: Date): Promise<number> {
  return deleteSessionsExpiredBy(cat, now.toISOString());
}
