import { hostname } from 'node:os';
import { systemClock, type Clock } from '../adapters/clock.js';
import { createLogger, type Logger } from '../adapters/logger.js';
import { nodeProcessRunner, type ProcessRunner } from '../adapters/process-runner.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { OutpostError } from '../core/errors.js';
import type { MediaAnalyzer } from '../media/types.js';
import { openCatalog, type Catalog } from '../library/catalog/open.js';
import { openDrive, type Drive } from '../library/drive.js';

export interface GlobalOptions {
  config?: string;
  logLevel?: string;
}

/** Everything a command needs, built once from the config file and flags. */
export interface Context {
  config: Config;
  log: Logger;
  clock: Clock;
  runner: ProcessRunner;
  node: string;
  timeZone: string;
  analyzer: MediaAnalyzer;
}

export async function buildContext(
  g: GlobalOptions,
  overrides: Record<string, unknown> = {},
): Promise<Context> {
  const config = await loadConfig(g.config ?? process.env.OUTPOST_CONFIG, overrides);
  const log = createLogger(g.logLevel ?? config.log.level);
  const node =
    config.node ??
    hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 64);
  const timeZone = config.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  return {
    config,
    log,
    clock: systemClock,
    runner: nodeProcessRunner,
    node,
    timeZone,
    analyzer: lazyAnalyzer(nodeProcessRunner),
  };
}

/** sharp and friends load only when a file actually needs analysing (fast no-op re-checks). */
function lazyAnalyzer(runner: ProcessRunner): MediaAnalyzer {
  let real: Promise<MediaAnalyzer> | undefined;
  const get = (): Promise<MediaAnalyzer> =>
    (real ??= import('../media/analyzer.js').then((m) => m.createMediaAnalyzer({ runner })));
  return {
    probe: async (...a) => (await get()).probe(...a),
    derive: async (...a) => (await get()).derive(...a),
  };
}

export function requireLibrary(flag: string | undefined, ctx: Context): string {
  const lib = flag ?? ctx.config.library;
  if (!lib)
    throw new OutpostError('USAGE', 'no library drive given', {
      hint: 'Pass --library <drive> or set `library:` in the config file.',
    });
  return lib;
}

/** Open the library's catalogue for the length of `fn` (read commands: ls, similar, fsck, cards). */
export async function withLibraryCatalog<T>(
  ctx: Context,
  library: string | undefined,
  fn: (cat: Catalog, drive: Drive) => Promise<T>,
): Promise<T> {
  const drive = await openDrive(requireLibrary(library, ctx));
  const cat = await openCatalog(drive.layout.catalog);
  try {
    return await fn(cat, drive);
  } finally {
    await cat.close();
  }
}
