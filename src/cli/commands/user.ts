import type { Command } from 'commander';
import { passwordProblem } from '../../auth/passwords.js';
import { addUser, listUsers, removeUser, setPassword, setRole, validateRole } from '../../auth/users.js';
import { OutpostError } from '../../core/errors.js';
import { buildContext, withLibraryCatalog } from '../context.js';
import { emit, table } from '../output.js';
import { run } from '../run.js';

/** All of stdin, without one trailing newline (`echo secret | outpost user add ...`). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Read a line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (s: string): void => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(line);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new OutpostError('USAGE', 'cancelled', { hint: 'Nothing was changed.' }));
          return;
        }
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else if (ch >= ' ') line += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The new password: from stdin with --password-stdin, else typed twice on the terminal. */
async function newPassword(fromStdin: boolean): Promise<string> {
  let password: string;
  if (fromStdin) password = await readStdin();
  else {
    if (!process.stdin.isTTY)
      throw new OutpostError('USAGE', 'no terminal to ask for the password', {
        hint: 'Pipe it in with --password-stdin, e.g. `printf %s "$PW" | outpost user add ana --password-stdin`.',
      });
    password = await promptHidden('Password: ');
    const problem = passwordProblem(password);
    if (problem) throw new OutpostError('INVALID_INPUT', problem, { hint: 'Run the command again.' });
    if ((await promptHidden('Password again: ')) !== password)
      throw new OutpostError('INVALID_INPUT', 'the two passwords differ', { hint: 'Run the command again.' });
  }
  return password;
}

interface Common {
  library?: string;
  json?: boolean;
}

export function registerUser(program: Command): void {
  const user = program
    .command('user')
    .description('people who may log in to the web app of this library (stored on the drive)');

  user
    .command('add')
    .description('add a user (the password is asked twice, or read from stdin)')
    .argument('<name>', 'user name (letters, digits, . _ - @)')
    .option('--role <role>', 'viewer (look) or editor (look and change)', 'viewer')
    .option('--password-stdin', 'read the password from stdin (for scripts)')
    .option('--library <drive>', 'library drive')
    .option('--json', 'JSON output')
    .action((name: string, o: Common & { role: string; passwordStdin?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const role = validateRole(o.role);
        const password = await newPassword(!!o.passwordStdin);
        const added = await withLibraryCatalog(ctx, o.library, (cat) =>
          addUser(cat, { name, role, password, now: ctx.clock.now() }),
        );
        emit(!!o.json, added, () => `user ${added!.name} added (${added!.role})`);
      }),
    );

  user
    .command('list')
    .description('list users')
    .option('--library <drive>', 'library drive')
    .option('--json', 'JSON output')
    .action((o: Common, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const users = await withLibraryCatalog(ctx, o.library, (cat) => listUsers(cat));
        emit(!!o.json, users, () =>
          users.length === 0
            ? 'no users yet: add one with `outpost user add <name> --role editor`'
            : table([
                ['NAME', 'ROLE', 'CREATED', 'STATE'],
                ...users.map((u) => [u.name, u.role, u.createdAt, u.disabled ? 'disabled' : 'active']),
              ]),
        );
      }),
    );

  user
    .command('remove')
    .description('remove a user and end their sessions')
    .argument('<name>', 'user name')
    .option('--library <drive>', 'library drive')
    .option('--json', 'JSON output')
    .action((name: string, o: Common, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        await withLibraryCatalog(ctx, o.library, (cat) => removeUser(cat, name));
        emit(!!o.json, { removed: name }, () => `user ${name} removed`);
      }),
    );

  user
    .command('passwd')
    .description("set a user's password and end their sessions")
    .argument('<name>', 'user name')
    .option('--password-stdin', 'read the password from stdin (for scripts)')
    .option('--library <drive>', 'library drive')
    .option('--json', 'JSON output')
    .action((name: string, o: Common & { passwordStdin?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const password = await newPassword(!!o.passwordStdin);
        await withLibraryCatalog(ctx, o.library, (cat) => setPassword(cat, name, password));
        emit(
          !!o.json,
          { name, passwordChanged: true },
          () => `password of ${name} changed; their sessions ended`,
        );
      }),
    );

  user
    .command('role')
    .description("change a user's role (takes effect on their next request)")
    .argument('<name>', 'user name')
    .argument('<role>', 'viewer or editor')
    .option('--library <drive>', 'library drive')
    .option('--json', 'JSON output')
    .action((name: string, role: string, o: Common, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const r = validateRole(role);
        await withLibraryCatalog(ctx, o.library, (cat) => setRole(cat, name, r));
        emit(!!o.json, { name, role: r }, () => `${name} is now a ${r}`);
      }),
    );
}
