import type { Logger } from '../adapters/logger.js';
import { newSetupCode } from '../auth/setup-code.js';
import { countUsers } from '../auth/users.js';
import type { Catalog } from '../library/catalog/open.js';

/**
 * The one-time code for creating the first user, asked for per request rather than decided at
 * start: the users can go to zero while the server runs (`outpost user remove` of the last one),
 * and an empty library must then need a code again, not let anyone in.
 */
export interface SetupCodes {
  /** The code setup needs now: made (and announced) when there is none, the same until retired. */
  current(): string;
  /** The library has users (or the code was used): the next time it has none, a fresh code is made. */
  retire(): void;
}

/** A code that never changes (tests). */
export function fixedSetupCode(code: string): SetupCodes {
  return { current: () => code, retire: () => undefined };
}

/** Codes made on demand; `announce` shows each new one to whoever runs the server. */
export function setupCodes(announce: (code: string) => void, make: () => string = newSetupCode): SetupCodes {
  let code: string | undefined;
  return {
    current() {
      if (code === undefined) {
        code = make();
        announce(code);
      }
      return code;
    },
    retire() {
      code = undefined;
    },
  };
}

/**
 * Setup codes for a server that prints them (station, HQ); undefined when the config turns them off
 * (`server.setupCode: false`: the first visitor may create the first editor). `url` is the address
 * to print, known once the server listens.
 */
export function announcedSetupCodes(wanted: boolean, log: Logger, url: () => string): SetupCodes | undefined {
  return wanted ? setupCodes((code) => announceSetupCode(log, url(), code)) : undefined;
}

/** At start: print the code right away when the library has no users (not only at the first visit). */
export async function announceIfNoUsers(codes: SetupCodes | undefined, catalog: Catalog): Promise<void> {
  if (codes && (await countUsers(catalog)) === 0) codes.current();
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
