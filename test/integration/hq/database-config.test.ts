import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { json, outpost } from '../../kit/cli.js';

/** Config `hq.database`: checked at start-up, with errors that say what to fix. */
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-hq-db-'));
});
after(async () => rm(work, { recursive: true, force: true }));

async function withDatabase(database: string): Promise<string> {
  const file = join(work, `config-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, `hq:\n  database: '${database}'\n`);
  return file;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

it('anything but sqlite or a PostgreSQL URL is refused before HQ starts', async () => {
  for (const bad of ['mysql://hq@db/outpost', 'postgres://db.example.org', 'postgres:not a url', '']) {
    const r = await outpost(['hq', 'keys', 'list', '--data', join(work, 'hq'), '--json'], {
      env: { OUTPOST_CONFIG: await withDatabase(bad) },
    });
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
    const e = json<{ error: { code: string; message: string } }>(r).error;
    assert.equal(e.code, 'CONFIG_INVALID', bad);
    assert.match(e.message, /hq\.database/);
    assert.match(e.message, /postgres:\/\//);
  }
});

it('a PostgreSQL server that cannot be reached: CATALOG_UNREACHABLE, for the server and the keys commands', async () => {
  const url = `postgres://outpost:secret-pw@127.0.0.1:${await closedPort()}/outpost`;
  const config = await withDatabase(url);
  const keys = await outpost(['hq', 'keys', 'list', '--data', join(work, 'hq'), '--json'], {
    env: { OUTPOST_CONFIG: config },
  });
  assert.equal(keys.code, 3, keys.stderr);
  const e = json<{ error: { code: string; message: string; hint: string } }>(keys).error;
  assert.equal(e.code, 'CATALOG_UNREACHABLE');
  assert.match(e.hint, /hq\.database/);
  assert.doesNotMatch(keys.stdout + keys.stderr, /secret-pw/, 'the password is never printed');
  const server = await outpost(['hq', '--data', join(work, 'hq'), '--port', '0'], {
    env: { OUTPOST_CONFIG: config },
    timeoutMs: 60_000,
  });
  assert.equal(server.code, 3, server.stderr);
  assert.match(server.stderr, /cannot reach the PostgreSQL catalogue/);
  assert.doesNotMatch(server.stdout + server.stderr, /secret-pw/);
});
