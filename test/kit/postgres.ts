import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';

/**
 * A throw-away PostgreSQL cluster for tests (Debian's `postgresql` package, no system service):
 * `initdb` on a temp dir, `pg_ctl start` on a free loopback port, a fresh database per test,
 * everything removed at `stop()`. PostgreSQL refuses to run as root: as root the cluster belongs
 * to the `postgres` user the package creates.
 */
export interface TestPostgres {
  /** A new empty database; its URL. */
  database(): Promise<string>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

/** The newest installed server's bin directory, or undefined when PostgreSQL is not installed. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/**
 * `settings`: more server settings (`-c name=value`), e.g. the memory a benchmark gives it the way
 * docs/hq-deploy.md tells a deployment to.
 */
export async function startTestPostgres(settings: Record<string, string> = {}): Promise<TestPostgres> {
  const bin = postgresBin();
  if (!bin)
    throw new Error(
      'PostgreSQL is not installed (apt-get install postgresql; scripts/system-deps.sh does it)',
    );
  const dir = await mkdtemp(join(tmpdir(), 'outpost-pg-'));
  const asRoot = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const [c1, a1] = as(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'outpost',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  await run(c1, [...a1, '--locale=C.UTF-8']).catch(async () => run(c1, a1));
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200${Object.entries(
    settings,
  )
    .map(([k, v]) => ` -c ${k}=${v}`)
    .join('')}`;
  const [c2, a2] = as(join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', 'start']);
  await run(c2, a2);
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'outpost', database: 'postgres' });
  await admin.connect();
  let n = 0;
  return {
    async database() {
      const name = `t${process.pid}_${++n}`;
      await admin.query(`create database ${name}`);
      return `postgres://outpost@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await admin.end().catch(() => undefined);
      const [c3, a3] = as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      await new Promise<void>((resolve) => {
        const p = spawn(c3, a3, { stdio: 'ignore' });
        p.on('exit', () => resolve());
        p.on('error', () => resolve());
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
