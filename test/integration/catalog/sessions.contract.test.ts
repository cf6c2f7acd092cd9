import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSession, hashToken, lookupSession, revokeSession } from '../../../src/auth/sessions.js';
import { dbOf } from '../../../src/library/catalog/handle.js';
import type { Catalog } from '../../../src/library/catalog/open.js';
import {
  deleteSession,
  deleteSessionsExpiredBy,
  deleteUserSessions,
  recordSession,
  sessionWithUser,
  touchSession,
} from '../../../src/library/catalog/sessions.js';
import { createUser, deleteUser, setUserDisabled, setUserRole } from '../../../src/library/catalog/users.js';
import { catalogEngines } from '../../kit/catalogs.js';

/** Sessions (catalog/sessions.ts, and auth/sessions.ts over it) on both engines. */

const T0 = '2024-06-01T10:00:00.000Z';
const T1 = '2024-06-02T10:00:00.000Z';
const T2 = '2024-06-03T10:00:00.000Z';
const H = (c: string) => c.repeat(64);

async function withUsers(cat: Catalog, ...names: string[]): Promise<void> {
  for (const name of names) await createUser(cat, { name, role: 'editor', passwordHash: 'x', createdAt: T0 });
}

for (const engine of catalogEngines()) {
  describe(`sessions (${engine.name})`, () => {
    it('records a session and finds it with its user as stored now', async () => {
      const cat = await engine.open();
      await withUsers(cat, 'Ana');
      await recordSession(cat, { idHash: H('a'), user: 'Ana', createdAt: T0, expiresAt: T2 });
      assert.deepEqual(await sessionWithUser(cat, H('a')), {
        expiresAt: T2,
        lastSeen: T0,
        name: 'Ana',
        role: 'editor',
        disabled: false,
      });
      await setUserRole(cat, 'Ana', 'viewer');
      await setUserDisabled(cat, 'Ana', true);
      assert.deepEqual(await sessionWithUser(cat, H('a')), {
        expiresAt: T2,
        lastSeen: T0,
        name: 'Ana',
        role: 'viewer',
        disabled: true,
      });
      assert.equal(await sessionWithUser(cat, H('f')), undefined);
    });

    it('touches, deletes one, deletes a user’s, and sweeps the expired', async () => {
      const cat = await engine.open();
      await withUsers(cat, 'ana', 'bea');
      await recordSession(cat, { idHash: H('a'), user: 'ana', createdAt: T0, expiresAt: T1 });
      await recordSession(cat, { idHash: H('b'), user: 'ana', createdAt: T0, expiresAt: T2 });
      await recordSession(cat, { idHash: H('c'), user: 'bea', createdAt: T0, expiresAt: T2 });
      await touchSession(cat, H('b'), T1, '2024-07-01T10:00:00.000Z');
      assert.equal((await sessionWithUser(cat, H('b')))?.lastSeen, T1);
      assert.equal(await deleteSessionsExpiredBy(cat, T1), 1);
      assert.equal(await sessionWithUser(cat, H('a')), undefined);
      assert.equal(await deleteUserSessions(cat, 'ana'), 1);
      assert.equal(await sessionWithUser(cat, H('b')), undefined);
      await deleteSession(cat, H('c'));
      await deleteSession(cat, H('c'));
      assert.equal(await sessionWithUser(cat, H('c')), undefined);
    });

    it('a new session sweeps the expired ones', async () => {
      const cat = await engine.open();
      await withUsers(cat, 'ana');
      await recordSession(cat, { idHash: H('a'), user: 'ana', createdAt: T0, expiresAt: T1 });
      await recordSession(cat, { idHash: H('b'), user: 'ana', createdAt: T1, expiresAt: T2 });
      assert.equal(await sessionWithUser(cat, H('a')), undefined);
      assert.equal((await sessionWithUser(cat, H('b')))?.name, 'ana');
    });

    it('a user’s sessions go with the user (and the foreign key cascades on its own)', async () => {
      const cat = await engine.open();
      await withUsers(cat, 'ana', 'bea');
      await recordSession(cat, { idHash: H('a'), user: 'ana', createdAt: T0, expiresAt: T2 });
      await recordSession(cat, { idHash: H('b'), user: 'bea', createdAt: T0, expiresAt: T2 });
      await deleteUser(cat, 'ana');
      assert.equal(await sessionWithUser(cat, H('a')), undefined);
      // The row itself, not only the join: a bare delete of the user takes its sessions along.
      await dbOf(cat).deleteFrom('users').where('name', '=', 'bea').execute();
      const left = await dbOf(cat).selectFrom('sessions').select('id_hash').execute();
      assert.deepEqual(left, []);
    });

    it('auth sessions: create, look up, slide, expire and revoke', async () => {
      const cat = await engine.open();
      await withUsers(cat, 'ana');
      const t0 = new Date(T0);
      const opts = { ttlMs: 24 * 3600_000, touchIntervalMs: 3600_000 };
      const s = await createSession(cat, 'ana', t0, opts);
      const at = (ms: number) => new Date(t0.getTime() + ms);
      assert.deepEqual(await lookupSession(cat, s.token, at(60_000), opts), {
        name: 'ana',
        role: 'editor',
        expiresAt: s.expiresAt,
        extended: false,
      });
      const slid = await lookupSession(cat, s.token, at(2 * 3600_000), opts);
      assert.equal(slid?.extended, true);
      assert.equal(slid?.expiresAt.getTime(), at(26 * 3600_000).getTime());
      // Past the slid expiry: gone, and the row with it.
      assert.equal(await lookupSession(cat, s.token, at(27 * 3600_000), opts), undefined);
      assert.equal(await sessionWithUser(cat, hashToken(s.token)), undefined);
      const s2 = await createSession(cat, 'ana', t0, opts);
      await revokeSession(cat, s2.token);
      assert.equal(await lookupSession(cat, s2.token, at(1000), opts), undefined);
      assert.equal(await lookupSession(cat, 'not a token', at(1000), opts), undefined);
    });
  });
}
