import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Clock } from '../../../src/adapters/clock.js';
import { silentLogger } from '../../../src/adapters/logger.js';
import { verifyPassword } from '../../../src/auth/passwords.js';
import { addUser, removeUser } from '../../../src/auth/users.js';
import { buildHqApp } from '../../../src/hq/app.js';
import { openHqDataDir } from '../../../src/hq/data-dir.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { buildApp, type AppDeps } from '../../../src/server/app.js';
import { announceIfNoUsers, setupCodes } from '../../../src/server/first-user.js';
import { startServer } from '../../../src/server/server.js';
import { call, emptyLibrary, NODE, type ErrorJson } from '../server/library.js';

/**
 * Issue 10 §2, "Logins": the trust boundaries of login and setup on the real app (buildApp with
 * its default access check, inject() or a real server on loopback): attempts counted before the
 * password check, limits per address + name and per address, trustProxy, the Secure cookie behind
 * a proxy, setup codes decided per request, and the Host check.
 */
let lib: Awaited<ReturnType<typeof emptyLibrary>>;
const nowMs = Date.parse('2024-06-01T10:00:00Z');
const clock: Clock = { now: () => new Date(nowMs) };
const CSRF = { 'x-outpost-csrf': '1' };
const FAST = { N: 1024, r: 8, p: 1 };
const apps: FastifyInstance[] = [];

async function newApp(extra: Partial<AppDeps> = {}): Promise<FastifyInstance> {
  const app = await buildApp({
    catalog: lib.catalog,
    drive: lib.drive,
    files: { root: lib.drive.layout.root },
    node: NODE,
    clock,
    hostname: 'outpost-test',
    ...extra,
  });
  apps.push(app);
  return app;
}

const login = (app: FastifyInstance, name: string, password: string, o: Partial<InjectOptions> = {}) =>
  call<ErrorJson>(app, {
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress: '10.0.0.5',
    ...o,
    headers: { ...CSRF, ...(o.headers as Record<string, string> | undefined) },
    payload: { name, password },
  });

before(async () => {
  lib = await emptyLibrary();
  for (const [name, password] of [
    ['ed2', 'ed2-password-1'],
    ['ana', 'ana-password-1'],
  ] as const)
    await addUser(lib.catalog, { name, role: 'editor', password, now: clock.now(), scrypt: FAST });
});
after(async () => {
  for (const a of apps) await a.close();
  await lib.close();
});

/** Resolves once `done()` holds, polling; gives up quietly after `ms` (the assertions then say why). */
async function settle(done: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
}

describe('racing the rate limit', () => {
  it('60 wrong logins sent at once: only the limit is checked, and the right password then waits', async () => {
    // The password check is held until every request has either reached it or been answered, so
    // the whole burst is in flight at once (as 61 requests on the LAN would be during one scrypt).
    let checks = 0;
    let pending = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const app = await newApp({
      login: {
        verifyPassword: async (password, hash) => {
          checks++;
          pending++;
          await gate;
          pending--;
          return verifyPassword(password, hash);
        },
      },
    });
    let answered = 0;
    const burst = Array.from({ length: 60 }, (_, i) =>
      login(app, 'ana', `wrong-guess-${i}`).then((r) => {
        answered++;
        return r;
      }),
    );
    await settle(() => answered + pending === 60);
    const right = login(app, 'ana', 'ana-password-1');
    await settle(() => answered + pending === 61, 2000);
    open();
    const statuses = (await Promise.all(burst)).map((r) => r.status);
    assert.equal(checks, 10, `password checks: ${checks} (the limit is 10)`);
    assert.equal(statuses.filter((s) => s === 401).length, 10);
    assert.equal(statuses.filter((s) => s === 429).length, 50);
    const r = await right;
    assert.equal(r.status, 429, 'the right password sent during the burst is refused');
    assert.equal(r.body.error.code, 'RATE_LIMITED');
    assert.equal((await login(app, 'ana', 'ana-password-1')).status, 429, 'and after it');
    assert.equal(checks, 10);
  });

  it('a right password does not count as a failure', async () => {
    const app = await newApp();
    for (let i = 0; i < 12; i++)
      assert.equal((await login(app, 'ana', 'ana-password-1')).status, 200, `login ${i + 1}`);
    for (let i = 0; i < 10; i++) assert.equal((await login(app, 'ana', `wrong-${i}-xx`)).status, 401);
    assert.equal((await login(app, 'ana', 'ana-password-1')).status, 429);
  });

  it('60 wrong setup codes sent at once: at most the limit is compared', async () => {
    const empty = await emptyLibrary();
    try {
      const app = await buildApp({
        catalog: empty.catalog,
        drive: empty.drive,
        files: { root: empty.drive.layout.root },
        node: NODE,
        clock,
        setupCode: 'ABCD-EFGH',
      });
      apps.push(app);
      const burst = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          call<ErrorJson>(app, {
            method: 'POST',
            url: '/api/auth/setup',
            headers: CSRF,
            remoteAddress: '10.0.0.8',
            payload: { name: 'eve', password: 'eve-password-1', setupCode: `WXYZ-${1000 + i}` },
          }),
        ),
      );
      const codes = burst.map((r) => r.body.error.code);
      assert.equal(codes.filter((c) => c === 'SETUP_CODE_WRONG').length, 10);
      assert.equal(codes.filter((c) => c === 'RATE_LIMITED').length, 50);
    } finally {
      await empty.close();
    }
  });
});

describe('locking people out', () => {
  it("ED2, ' ed2' and 'Ed2 ' are one user: locked out from address A, not from address B", async () => {
    const app = await newApp();
    const spellings = ['ED2', ' ed2', 'Ed2 '];
    for (let i = 0; i < 10; i++)
      assert.equal((await login(app, spellings[i % 3]!, `guess-${i}-xx`)).status, 401, `guess ${i + 1}`);
    // All ten counted under one name: the next spelling from A is refused, even with the password.
    for (const s of [...spellings, 'ed2'])
      assert.equal((await login(app, s, 'ed2-password-1')).status, 429, JSON.stringify(s));
    // The real editor on another device logs in.
    const other = await login(app, 'Ed2', 'ed2-password-1', { remoteAddress: '10.0.0.77' });
    assert.equal(other.status, 200, JSON.stringify(other.body));
    // And another user from address A is not locked out by ed2's failures.
    assert.equal((await login(app, 'ana', 'ana-password-1')).status, 200);
  });

  it('user names are stored and looked up alike: trimmed, NFC, any case', async () => {
    const app = await newApp();
    await addUser(lib.catalog, {
      name: ' Zoe ',
      role: 'viewer',
      password: 'zoe-password-1',
      now: clock.now(),
      scrypt: FAST,
    });
    await assert.rejects(
      addUser(lib.catalog, {
        name: 'ZOE',
        role: 'viewer',
        password: 'zoe-password-2',
        now: clock.now(),
        scrypt: FAST,
      }),
      /already exists/,
    );
    for (const name of ['zoe', 'ZOE ', '\tZoe'])
      assert.equal(
        (await login(app, name, 'zoe-password-1', { remoteAddress: '10.0.2.1' })).status,
        200,
        name,
      );
    await removeUser(lib.catalog, ' zoe');
  });

  it('one address cannot try names without end: 30 failures over many names stop it', async () => {
    const app = await newApp();
    for (let i = 0; i < 30; i++)
      assert.equal(
        (await login(app, `user${i}`, 'some-password', { remoteAddress: '10.0.0.9' })).status,
        401,
      );
    const next = await login(app, 'ana', 'ana-password-1', { remoteAddress: '10.0.0.9' });
    assert.equal(next.status, 429);
    assert.ok(Number(next.res.headers['retry-after']) > 0);
    assert.equal((await login(app, 'ana', 'ana-password-1', { remoteAddress: '10.0.0.10' })).status, 200);
  });

  it('IPv6 clients are counted by their /64: rotating addresses in it does not help', async () => {
    const app = await newApp();
    for (let i = 0; i < 10; i++)
      assert.equal(
        (await login(app, 'ana', `guess-${i}-xx`, { remoteAddress: `2001:db8:7:7::${(i + 1).toString(16)}` }))
          .status,
        401,
      );
    assert.equal(
      (await login(app, 'ana', 'ana-password-1', { remoteAddress: '2001:db8:7:7:abcd::99' })).status,
      429,
    );
    assert.equal(
      (await login(app, 'ana', 'ana-password-1', { remoteAddress: '2001:db8:7:8::1' })).status,
      200,
    );
  });
});

describe('behind a reverse proxy', () => {
  const PROXY = '127.0.0.1';
  const viaProxy = (client: string, extra: Record<string, string> = {}): Partial<InjectOptions> => ({
    remoteAddress: PROXY,
    headers: { 'x-forwarded-for': client, ...extra },
  });
  const lockOutAnaAt = async (app: FastifyInstance, client: string): Promise<void> => {
    for (let i = 0; i < 10; i++)
      assert.equal((await login(app, 'ana', `guess-${i}-xx`, viaProxy(client))).status, 401);
  };

  it('trustProxy off (the default): X-Forwarded-For is ignored, every client is the proxy', async () => {
    const app = await newApp();
    await lockOutAnaAt(app, '198.51.100.1');
    assert.equal((await login(app, 'ana', 'ana-password-1', viaProxy('198.51.100.2'))).status, 429);
  });

  it('trustProxy on: the client address comes from X-Forwarded-For', async () => {
    for (const trustProxy of [[PROXY], true]) {
      const app = await newApp({ trustProxy });
      await lockOutAnaAt(app, '198.51.100.1');
      assert.equal((await login(app, 'ana', 'ana-password-1', viaProxy('198.51.100.1'))).status, 429);
      const other = await login(app, 'ana', 'ana-password-1', viaProxy('198.51.100.2'));
      assert.equal(
        other.status,
        200,
        `trustProxy ${JSON.stringify(trustProxy)}: ${JSON.stringify(other.body)}`,
      );
    }
  });

  it('trustProxy lists the proxies: a direct client cannot pick its address with the header', async () => {
    const app = await newApp({ trustProxy: [PROXY] });
    for (let i = 0; i < 10; i++)
      assert.equal(
        (
          await login(app, 'ana', `guess-${i}-xx`, {
            remoteAddress: '10.0.0.66',
            headers: { 'x-forwarded-for': `203.0.113.${i}` },
          })
        ).status,
        401,
      );
    const spoofed = await login(app, 'ana', 'ana-password-1', {
      remoteAddress: '10.0.0.66',
      headers: { 'x-forwarded-for': '203.0.113.200' },
    });
    assert.equal(spoofed.status, 429);
  });

  it('the session cookie is Secure when the proxy says https, and only a trusted proxy', async () => {
    const https = { 'x-forwarded-proto': 'https' };
    const trusting = await newApp({ trustProxy: [PROXY] });
    const secure = await login(trusting, 'ana', 'ana-password-1', viaProxy('198.51.100.3', https));
    assert.equal(secure.status, 200);
    assert.match(String(secure.res.headers['set-cookie']), /; Secure/);
    const plain = await login(trusting, 'ana', 'ana-password-1', viaProxy('198.51.100.3'));
    assert.doesNotMatch(String(plain.res.headers['set-cookie']), /Secure/);
    const direct = await login(trusting, 'ana', 'ana-password-1', {
      remoteAddress: '10.0.0.67',
      headers: https,
    });
    assert.doesNotMatch(String(direct.res.headers['set-cookie']), /Secure/, 'not from an untrusted peer');
    const ignoring = await newApp();
    const off = await login(ignoring, 'ana', 'ana-password-1', viaProxy('198.51.100.3', https));
    assert.equal(off.status, 200);
    assert.doesNotMatch(String(off.res.headers['set-cookie']), /Secure/);
  });

  it('HQ behind a proxy on loopback: Secure cookies over forwarded https, client addresses from the proxy', async () => {
    const work = await mkdtemp(join(tmpdir(), 'outpost-hq-proxy-'));
    const data = await openHqDataDir(join(work, 'hq'), clock.now());
    const catalog = await openCatalog(data.drive.layout.catalog);
    const hq = await buildHqApp({
      data,
      catalog,
      clock,
      log: silentLogger,
      node: 'hq-test',
      trustProxy: ['127.0.0.1'],
      allowedHosts: ['hq.example.org'],
      login: { scrypt: FAST },
    });
    try {
      await addUser(catalog, {
        name: 'boss',
        role: 'editor',
        password: 'boss-password',
        now: clock.now(),
        scrypt: FAST,
      });
      const { url } = await startServer(hq.app, { host: '127.0.0.1', port: 0 });
      const post = (password: string, client: string, proto = 'https') =>
        fetch(`${url}/api/auth/login`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...CSRF,
            'x-forwarded-for': client,
            'x-forwarded-proto': proto,
            'x-forwarded-host': 'hq.example.org',
          },
          body: JSON.stringify({ name: 'boss', password }),
        });
      const ok = await post('boss-password', '198.51.100.10');
      assert.equal(ok.status, 200, await ok.text());
      assert.match(ok.headers.get('set-cookie') ?? '', /; Secure/);
      const plain = await post('boss-password', '198.51.100.10', 'http');
      assert.doesNotMatch(plain.headers.get('set-cookie') ?? '', /Secure/);
      // Ten failures of one office client do not lock the boss out at another.
      for (let i = 0; i < 10; i++) assert.equal((await post(`guess-${i}-xx`, '198.51.100.11')).status, 401);
      assert.equal((await post('boss-password', '198.51.100.11')).status, 429);
      assert.equal((await post('boss-password', '198.51.100.12')).status, 200);
      // A foreign name forwarded by the proxy is refused.
      const foreign = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...CSRF, 'x-forwarded-host': 'attacker.example' },
        body: JSON.stringify({ name: 'boss', password: 'boss-password' }),
      });
      assert.equal(foreign.status, 403);
      assert.equal(((await foreign.json()) as ErrorJson).error.code, 'HOST_NOT_ALLOWED');
    } finally {
      await hq.app.close();
      await catalog.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe('setup without a code', () => {
  it('after the last user is removed, setup needs a fresh code, printed when it is made', async () => {
    const one = await emptyLibrary();
    try {
      await addUser(one.catalog, {
        name: 'ana',
        role: 'editor',
        password: 'ana-password-1',
        now: clock.now(),
        scrypt: FAST,
      });
      // Wired as the station and HQ do: users exist at start, so no code is printed then.
      const announced: string[] = [];
      const codes = setupCodes((c) => announced.push(c));
      const app = await buildApp({
        catalog: one.catalog,
        drive: one.drive,
        files: { root: one.drive.layout.root },
        node: NODE,
        clock,
        setupCode: codes,
      });
      apps.push(app);
      await announceIfNoUsers(codes, one.catalog);
      assert.deepEqual(announced, []);
      const setup = (payload: Record<string, unknown>) =>
        call<ErrorJson & { user?: { name: string } }>(app, {
          method: 'POST',
          url: '/api/auth/setup',
          headers: CSRF,
          payload: { password: 'eve-password-1', ...payload },
        });
      assert.equal((await setup({ name: 'eve' })).body.error.code, 'SETUP_DONE');

      await removeUser(one.catalog, 'ana'); // `outpost user remove ana`, another process
      const anonymous = await setup({ name: 'eve' });
      assert.equal(anonymous.status, 403, 'no anonymous editor');
      assert.equal(anonymous.body.error.code, 'SETUP_CODE_WRONG');
      assert.equal(announced.length, 1, 'a fresh code was made and printed');
      const me = await call(app, { url: '/api/auth/me' });
      assert.deepEqual(me.body, { user: null, setupRequired: true, setupCodeRequired: true });
      assert.equal(announced.length, 1, 'the same code until it is used');
      const n = sqliteOf(one.catalog).prepare('select count(*) as n from users').get() as { n: number };
      assert.equal(n.n, 0);

      const ok = await setup({ name: 'bea', setupCode: announced[0] });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      // Emptied again: the used code is gone, a new one is made when the web app asks.
      await removeUser(one.catalog, 'bea');
      assert.equal((await setup({ name: 'eve', setupCode: announced[0] })).status, 403);
      assert.equal(announced.length, 2);
      assert.notEqual(announced[1], announced[0]);
      assert.equal((await setup({ name: 'cat', setupCode: announced[1] })).status, 201);
    } finally {
      await one.close();
    }
  });

  it('at start with no users the code is printed right away', async () => {
    const empty = await emptyLibrary();
    try {
      const announced: string[] = [];
      const codes = setupCodes((c) => announced.push(c));
      await announceIfNoUsers(codes, empty.catalog);
      assert.equal(announced.length, 1);
      assert.match(announced[0]!, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    } finally {
      await empty.close();
    }
  });
});

describe('Host header (DNS rebinding)', () => {
  it('login and setup under a foreign name: 403 HOST_NOT_ALLOWED naming server.allowedHosts', async () => {
    const app = await newApp();
    const r = await login(app, 'ana', 'ana-password-1', { headers: { host: 'attacker.example:8080' } });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'HOST_NOT_ALLOWED');
    assert.match(r.body.error.message, /attacker\.example/);
    assert.match(r.body.error.hint, /server\.allowedHosts/);
    assert.equal(r.res.headers['set-cookie'], undefined);
    const s = await call<ErrorJson>(app, {
      method: 'POST',
      url: '/api/auth/setup',
      headers: { ...CSRF, host: 'attacker.example:8080' },
      payload: { name: 'eve', password: 'eve-password-1' },
    });
    assert.equal(s.status, 403);
    assert.equal(s.body.error.code, 'HOST_NOT_ALLOWED');
  });

  it('IP literals, localhost, the host name, <host name>.local and allowedHosts pass', async () => {
    const app = await newApp({ allowedHosts: ['station.lan'] });
    for (const host of [
      '192.168.1.20:8080',
      '[fe80::1]:8080',
      'localhost:8080',
      'outpost-test:8080',
      'OUTPOST-TEST.local:8080',
      'station.lan:8080',
    ]) {
      const r = await login(app, 'ana', 'ana-password-1', { headers: { host }, remoteAddress: '10.0.1.1' });
      assert.equal(r.status, 200, `${host}: ${JSON.stringify(r.body)}`);
    }
    const r = await login(app, 'ana', 'ana-password-1', {
      headers: { host: 'station.lan.attacker.example' },
    });
    assert.equal(r.status, 403);
  });
});
