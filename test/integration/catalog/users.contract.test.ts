import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { addUser, findUser, removeUser, setPassword, setRole } from '../../../src/auth/users.js';
import { openCatalog, type Catalog } from '../../../src/library/catalog/open.js';
import { recordSession, sessionWithUser } from '../../../src/library/catalog/sessions.js';
import {
  countUsers,
  createUser,
  deleteUser,
  findUserByName,
  listUsers,
  otherUsersAndEditors,
  setUserDisabled,
  setUserPasswordHash,
  setUserRole,
  type NewUser,
} from '../../../src/library/catalog/users.js';
import { catalogEngines, testPostgresUrl, type CatalogEngineUnderTest } from '../../kit/catalogs.js';
import { REPO_ROOT } from '../../kit/paths.js';

/** Users (catalog/users.ts, and the policy in auth/users.ts over it) on both engines. */

const AT = '2024-06-01T10:00:00.000Z';
const FAST = { N: 1024, r: 8, p: 1 };
const user = (name: string, role: NewUser['role'] = 'editor'): NewUser => ({
  name,
  role,
  passwordHash: `hash-of-${name}`,
  createdAt: AT,
});

const extra: Catalog[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(extra.splice(0).map((c) => c.close().catch(() => undefined)));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh, migrated catalogue and where it is, for other processes to open too. */
async function sharedCatalog(engine: CatalogEngineUnderTest): Promise<{ location: string; cat: Catalog }> {
  let location: string;
  if (engine.name === 'postgres') location = await testPostgresUrl();
  else {
    const dir = await mkdtemp(join(tmpdir(), 'outpost-users-'));
    dirs.push(dir);
    location = join(dir, 'catalog.sqlite');
  }
  const cat = await openCatalog(location);
  extra.push(cat);
  return { location, cat };
}

const self = fileURLToPath(import.meta.url);
const RACER = join(dirname(self), `first-user-racer${extname(self)}`);

/**
 * `n` processes (each with its own SQLite connection or PostgreSQL pool, as two station or HQ
 * processes have) open the catalogue, then all try to create the first user at once. Their
 * outcomes, in order.
 */
async function raceFirstUsers(location: string, n: number): Promise<string[]> {
  const kids = Array.from({ length: n }, (_, i) =>
    spawn(
      process.execPath,
      [...(self.endsWith('.ts') ? ['--import', 'tsx'] : []), RACER, location, `first-${i}`],
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
    ),
  );
  const runs = kids.map((k) => {
    let out = '';
    let err = '';
    let onReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (onReady = resolve));
    k.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) onReady();
    });
    k.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<string>((resolve, reject) =>
      k.on('close', (code) =>
        code === 0
          ? resolve(out.trim().split('\n').at(-1) ?? '')
          : reject(new Error(`racer: ${code} ${err}`)),
      ),
    );
    return { ready: Promise.race([ready, done.then(() => undefined)]), done };
  });
  await Promise.all(runs.map((r) => r.ready));
  for (const k of kids) k.stdin.end('go\n');
  return Promise.all(runs.map((r) => r.done));
}

for (const engine of catalogEngines()) {
  describe(`users (${engine.name})`, () => {
    it('creates, finds in any case, lists by name without case, and counts', async () => {
      const cat = await engine.open();
      assert.equal(await countUsers(cat), 0);
      for (const n of ['bob', 'Ana', 'carl.x', 'ana-b'])
        assert.equal(await createUser(cat, user(n, 'viewer')), 'created');
      assert.equal(await countUsers(cat), 4);
      const found = await findUserByName(cat, 'ANA');
      assert.deepEqual(found, {
        name: 'Ana',
        role: 'viewer',
        createdAt: AT,
        disabled: false,
        passwordHash: 'hash-of-Ana',
      });
      assert.equal((await findUserByName(cat, 'CARL.X'))?.name, 'carl.x');
      assert.equal(await findUserByName(cat, 'nobody'), undefined);
      assert.deepEqual(
        (await listUsers(cat)).map((u) => u.name),
        ['Ana', 'ana-b', 'bob', 'carl.x'],
      );
    });

    it('refuses a name that differs only in case', async () => {
      const cat = await engine.open();
      assert.equal(await createUser(cat, user('Zoe')), 'created');
      assert.equal(await createUser(cat, user('ZOE')), 'name-taken');
      assert.equal(await createUser(cat, user('Zoe')), 'name-taken');
      assert.deepEqual(
        (await listUsers(cat)).map((u) => u.name),
        ['Zoe'],
      );
      // The catalogue still works after the refused insert (no transaction left aborted).
      assert.equal(await createUser(cat, user('zed')), 'created');
    });

    it('changes password hash, role and disabled flag of the stored user', async () => {
      const cat = await engine.open();
      await createUser(cat, user('ana'));
      await setUserPasswordHash(cat, 'ana', 'new-hash');
      await setUserRole(cat, 'ana', 'viewer');
      await setUserDisabled(cat, 'ana', true);
      assert.deepEqual(await findUserByName(cat, 'Ana'), {
        name: 'ana',
        role: 'viewer',
        createdAt: AT,
        disabled: true,
        passwordHash: 'new-hash',
      });
      await setUserDisabled(cat, 'ana', false);
      assert.equal((await findUserByName(cat, 'ana'))?.disabled, false);
    });

    it('counts the other users and their enabled editors', async () => {
      const cat = await engine.open();
      assert.deepEqual(await otherUsersAndEditors(cat, 'ana'), { users: 0, editors: 0 });
      await createUser(cat, user('ana', 'editor'));
      await createUser(cat, user('bea', 'editor'));
      await createUser(cat, user('vic', 'viewer'));
      await setUserDisabled(cat, 'bea', true);
      assert.deepEqual(await otherUsersAndEditors(cat, 'ana'), { users: 2, editors: 0 });
      assert.deepEqual(await otherUsersAndEditors(cat, 'vic'), { users: 2, editors: 1 });
    });

    it('deleting a user deletes their sessions', async () => {
      const cat = await engine.open();
      await createUser(cat, user('ana'));
      await createUser(cat, user('bea'));
      const until = '2024-07-01T10:00:00.000Z';
      await recordSession(cat, { idHash: 'a'.repeat(64), user: 'ana', createdAt: AT, expiresAt: until });
      await recordSession(cat, { idHash: 'b'.repeat(64), user: 'bea', createdAt: AT, expiresAt: until });
      await deleteUser(cat, 'ana');
      assert.equal(await findUserByName(cat, 'ana'), undefined);
      assert.equal(await sessionWithUser(cat, 'a'.repeat(64)), undefined);
      assert.equal((await sessionWithUser(cat, 'b'.repeat(64)))?.name, 'bea');
    });

    it('only one of many concurrent first users wins, across processes', async () => {
      const { location, cat } = await sharedCatalog(engine);
      const outcomes = await raceFirstUsers(location, 4);
      assert.equal(outcomes.filter((o) => o === 'created').length, 1, outcomes.join());
      assert.equal(outcomes.filter((o) => o === 'not-first').length, 3, outcomes.join());
      assert.equal(await countUsers(cat), 1);
    });

    it('only one of many concurrent first users wins, in one process', async () => {
      const cat = await engine.open();
      await Promise.all(Array.from({ length: 8 }, () => countUsers(cat)));
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) => createUser(cat, user(`first-${i}`), { onlyIfNoUsers: true })),
      );
      assert.equal(outcomes.filter((o) => o === 'created').length, 1, outcomes.join());
      assert.equal(await countUsers(cat), 1);
      // Once there is a user, a first-user request is refused; an ordinary one is not.
      assert.equal(await createUser(cat, user('late'), { onlyIfNoUsers: true }), 'not-first');
      assert.equal(await createUser(cat, user('late')), 'created');
    });

    it('two editors removed at once: one stays', async () => {
      const cat = await engine.open();
      const now = new Date(AT);
      for (const [name, role] of [
        ['ana', 'editor'],
        ['bea', 'editor'],
        ['vic', 'viewer'],
      ] as const)
        await addUser(cat, { name, role, password: `${name}-password-1`, now, scrypt: FAST });
      // Open connections first (PostgreSQL's pool), so neither removal waits for one to be made.
      await Promise.all(Array.from({ length: 4 }, () => countUsers(cat)));
      const results = await Promise.allSettled([removeUser(cat, 'ana'), removeUser(cat, 'bea')]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results));
      assert.equal((await otherUsersAndEditors(cat, 'vic')).editors, 1);
    });

    it('auth policy: same user in any case, last editor kept, password change ends sessions', async () => {
      const cat = await engine.open();
      const now = new Date(AT);
      const add = (name: string, role: 'editor' | 'viewer', onlyIfFirst = false) =>
        addUser(cat, { name, role, password: `${name}-password-1`, now, scrypt: FAST, onlyIfFirst });
      assert.equal((await add(' Ana ', 'editor', true))?.name, 'Ana');
      assert.equal(await add('bea', 'editor', true), undefined, 'not the first user any more');
      await assert.rejects(add('ANA', 'viewer'), /already exists/);
      await add('vic', 'viewer');
      assert.equal((await findUser(cat, 'ana '))?.name, 'Ana');
      await assert.rejects(setRole(cat, 'ana', 'viewer'), /last editor/);
      await assert.rejects(removeUser(cat, 'ANA'), /last editor/);
      await setRole(cat, 'VIC', 'editor');
      await recordSession(cat, {
        idHash: 'c'.repeat(64),
        user: 'Ana',
        createdAt: AT,
        expiresAt: '2024-07-01T10:00:00.000Z',
      });
      await setPassword(cat, 'ana', 'another-password', FAST);
      assert.equal(await sessionWithUser(cat, 'c'.repeat(64)), undefined, 'sessions ended');
      await removeUser(cat, 'ana');
      assert.deepEqual(
        (await listUsers(cat)).map((u) => [u.name, u.role]),
        [['vic', 'editor']],
      );
      await assert.rejects(removeUser(cat, 'ana'), /no user "ana"/);
    });
  });
}
