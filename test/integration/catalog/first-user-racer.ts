import { createInterface } from 'node:readline';
import { openCatalog } from '../../../src/library/catalog/open.js';
import { createUser } from '../../../src/library/catalog/users.js';

/**
 * One contender of users.contract.test.ts's first-user race, in its own process (its own SQLite
 * connection or PostgreSQL pool): `node first-user-racer.js <catalogue> <name>` opens the
 * catalogue, prints "ready", waits for a line on stdin, tries to create the first user, and prints
 * the outcome.
 */
const [location, name] = process.argv.slice(2);
if (!location || !name) throw new Error('usage: first-user-racer <catalogue> <name>');
const cat = await openCatalog(location);
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const _go of lines) break;
lines.close();
const outcome = await createUser(
  cat,
  { name, role: 'editor', passwordHash: `hash-of-${name}`, createdAt: new Date().toISOString() },
  { onlyIfNoUsers: true },
);
process.stdout.write(`${outcome}\n`);
await cat.close();
