import type { Logger } from '../adapters/logger.js';
import { newSetupCode } from '../auth/setup-code.js';
import { countUsers } from '../auth/users.js';
import type { Catalog } from '../library/catalog/open.js';

/** A one-time setup code while the catalogue has no users (and the config wants one). */
export async function setupCodeIfNeeded(wanted: boolean, catalog: Catalog): Promise<string | undefined> {
  return wanted && (await countUsers(catalog)) === 0 ? newSetupCode() : undefined;
}

/** On the console and in the journal: whoever can read them may create the first editor. */
export function announceSetupCode(log: Logger, url: string, code: string): void {
  log.warn(
    { setupCode: code, url },
    'no users yet: open the web app and create the first editor with this setup code',
  );
  process.stderr.write(
    `\nOutpost has no users yet. Open ${url} and create the first editor with setup code ${code}\n` +
      `(or run \`outpost user add <name> --role editor\` here).\n\n`,
  );
}
