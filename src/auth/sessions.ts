import { createHash, randomBytes } from 'node:crypto';
import type { Catalog } from '../library/catalog/open.js';
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
export function createSession(cat: Catalog, user: string, now: Date, opts: SessionOptions = {}): NewSession {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + (opts.ttlMs ?? DEFAULT_SESSION_TTL_MS));
  const iso = now.toISOString();
  cat.sqlite.transaction(() => {
    cat.sqlite.prepare('delete from sessions where expires_at <= ?').run(iso);
    cat.sqlite
      .prepare(
        'insert into sessions (id_hash, user, created_at, expires_at, last_seen) values (?, ?, ?, ?, ?)',
      )
      .run(hashToken(token), user, iso, expiresAt.toISOString(), iso);
  })();
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
export function lookupSession(
  cat: Catalog,
  token: string,
  now: Date,
  opts: SessionOptions = {},
): SessionUser | undefined {
  if (!TOKEN_RE.test(token)) return undefined;
  const idHash = hashToken(token);
  const row = cat.sqlite
    .prepare(
      `select s.expires_at, s.last_seen, u.name, u.role, u.disabled
         from sessions s join users u on u.name = s.user where s.id_hash = ?`,
    )
    .get(idHash) as
    { expires_at: string; last_seen: string; name: string; role: UserRole; disabled: number } | undefined;
  if (!row) return undefined;
  const iso = now.toISOString();
  if (row.expires_at <= iso) {
    cat.sqlite.prepare('delete from sessions where id_hash = ?').run(idHash);
    return undefined;
  }
  if (row.disabled !== 0) return undefined;
  const ttl = opts.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  const touchEvery = opts.touchIntervalMs ?? SESSION_TOUCH_INTERVAL_MS;
  if (now.getTime() - Date.parse(row.last_seen) >= touchEvery) {
    const expiresAt = new Date(now.getTime() + ttl);
    cat.sqlite
      .prepare('update sessions set last_seen = ?, expires_at = ? where id_hash = ?')
      .run(iso, expiresAt.toISOString(), idHash);
    return { name: row.name, role: row.role, expiresAt, extended: true };
  }
  return { name: row.name, role: row.role, expiresAt: new Date(row.expires_at), extended: false };
}

/** End one session (logout). Unknown tokens are ignored. */
export function revokeSession(cat: Catalog, token: string): void {
  cat.sqlite.prepare('delete from sessions where id_hash = ?').run(hashToken(token));
}

/** End every session of a user. Returns how many ended. */
export function revokeUserSessions(cat: Catalog, user: string): number {
  return cat.sqlite.prepare('delete from sessions where user = ?').run(user).changes;
}

/** Delete expired sessions; returns how many. */
export function deleteExpiredSessions(cat: Catalog, now: Date): number {
  return cat.sqlite.prepare('delete from sessions where expires_at <= ?').run(now.toISOString()).changes;
}
