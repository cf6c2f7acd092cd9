import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyPassword } from '../../../src/auth/passwords.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { EMPTY_CONFIG, json, outpost, type CliResult } from '../../kit/cli.js';
import { OUTPOST_BIN } from '../../kit/paths.js';

/** Run the real CLI with `input` on its stdin (the kit's helper gives children no stdin). */
function outpostWithStdin(args: string[], input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(OUTPOST_BIN, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, OUTPOST_CONFIG: EMPTY_CONFIG, TZ: 'UTC' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

interface UserJson {
  name: string;
  role: string;
  createdAt: string;
  disabled: boolean;
}

describe('outpost user (real CLI)', () => {
  let work: string;
  let lib: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'outpost-user-cli-'));
    lib = join(work, 'lib');
    const init = await outpost(['init-drive', lib]);
    assert.equal(init.code, 0, init.stderr);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const passwordOf = async (name: string): Promise<string> => {
    const cat = await openCatalog(join(lib, '.outpost', 'catalog.sqlite'), { readonly: true });
    try {
      const row = sqliteOf(cat).prepare('select password_hash from users where name = ?').get(name) as
        { password_hash: string } | undefined;
      assert.ok(row, `user ${name} stored`);
      return row.password_hash;
    } finally {
      await cat.close();
    }
  };

  it('add --password-stdin stores a user with a scrypt hash; list shows it', async () => {
    const add = await outpostWithStdin(
      ['user', 'add', 'ana', '--role', 'editor', '--password-stdin', '--library', lib, '--json'],
      'ana-password-1\n',
    );
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual(
      { ...json<UserJson>(add), createdAt: 'x' },
      {
        name: 'ana',
        role: 'editor',
        createdAt: 'x',
        disabled: false,
      },
    );
    const hash = await passwordOf('ana');
    assert.match(hash, /^scrypt\$32768\$8\$1\$/);
    assert.ok(
      await verifyPassword('ana-password-1', hash),
      'the trailing newline is not part of the password',
    );

    const viewer = await outpostWithStdin(
      ['user', 'add', 'ben', '--password-stdin', '--library', lib],
      'ben-password-1',
    );
    assert.equal(viewer.code, 0, viewer.stderr);
    assert.match(viewer.stdout, /ben added \(viewer\)/);

    const list = await outpost(['user', 'list', '--library', lib, '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      json<UserJson[]>(list).map((u) => [u.name, u.role]),
      [
        ['ana', 'editor'],
        ['ben', 'viewer'],
      ],
    );
    const human = await outpost(['user', 'list', '--library', lib]);
    assert.match(human.stdout, /NAME\s+ROLE/);
    assert.doesNotMatch(human.stdout + list.stdout, /scrypt|password/);
  });

  it('refuses a duplicate name, a short password, an unknown role, and no password source', async () => {
    const dup = await outpostWithStdin(
      ['user', 'add', 'ANA', '--password-stdin', '--library', lib],
      'another-pass-1',
    );
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /already exists/);
    const short = await outpostWithStdin(
      ['user', 'add', 'cid', '--password-stdin', '--library', lib],
      'short',
    );
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least 8/);
    const role = await outpostWithStdin(
      ['user', 'add', 'cid', '--role', 'admin', '--password-stdin', '--library', lib],
      'cid-password-1',
    );
    assert.equal(role.code, 2);
    assert.match(role.stderr, /unknown role/);
    // No TTY and no --password-stdin: say how to script it instead of hanging.
    const noTty = await outpost(['user', 'add', 'cid', '--library', lib]);
    assert.equal(noTty.code, 2);
    assert.match(noTty.stderr, /--password-stdin/);
    const names = json<UserJson[]>(await outpost(['user', 'list', '--library', lib, '--json'])).map(
      (u) => u.name,
    );
    assert.deepEqual(names, ['ana', 'ben']);
  });

  it('passwd changes the password; remove deletes the user but never the last editor', async () => {
    const pw = await outpostWithStdin(
      ['user', 'passwd', 'ben', '--password-stdin', '--library', lib],
      'ben-new-password\n',
    );
    assert.equal(pw.code, 0, pw.stderr);
    const hash = await passwordOf('ben');
    assert.ok(await verifyPassword('ben-new-password', hash));
    assert.ok(!(await verifyPassword('ben-password-1', hash)));

    const last = await outpost(['user', 'remove', 'ana', '--library', lib]);
    assert.equal(last.code, 2);
    assert.match(last.stderr, /last editor/);

    const rm = await outpost(['user', 'remove', 'ben', '--library', lib, '--json']);
    assert.equal(rm.code, 0, rm.stderr);
    const missing = await outpost(['user', 'remove', 'ben', '--library', lib]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no user "ben"/);
    const names = json<UserJson[]>(await outpost(['user', 'list', '--library', lib, '--json'])).map(
      (u) => u.name,
    );
    assert.deepEqual(names, ['ana']);
  });
});
