import type { Command } from 'commander';
import { reportError } from './output.js';

/** Run a command body, mapping failures to a clear message and the catalogue's exit code. */
export async function run(_cmd: Command, json: boolean, body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    if (typeof code === 'number') process.exitCode = code;
  } catch (e) {
    process.exitCode = reportError(e, json);
  }
}
