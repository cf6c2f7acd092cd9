import { hostname } from 'node:os';
import { systemClock, type Clock } from '../adapters/clock.js';
import { createLogger, type Logger } from '../adapters/logger.js';
import { nodeProcessRunner, type ProcessRunner } from '../adapters/process-runner.js';
import { offsetClock, systemClockSetter, type ClockSetter } from '../adapters/system-clock.js';
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
  /** Sets the machine's clock (the station, from a tablet's time). */
  clockSetter: ClockSetter;
}

/**
 * Test hook (tests cannot move the machine's clock): OUTPOST_TEST_CLOCK_OFFSET_MS makes every
 * command run on a clock that far from the real one, and setting the clock moves that offset
 * instead of calling `date`. Never set it on a station.
 */
export const TEST_CLOCK_ENV = 'OUTPOST_TEST_CLOCK_OFFSET_MS';

function clockOf(runner: ProcessRunner, log: Logger): { clock: Clock; setter: ClockSetter } {
  const hook = process.env[TEST_CLOCK_ENV];
  if (hook === undefined || hook === '') return { clock: systemClock, setter: systemClockSetter(runner) };
  const offset = Number(hook);
  if (!Number.isFinite(offset))
    throw new OutpostError('CONFIG_INVALID', `${TEST_CLOCK_ENV} must be a number of milliseconds`);
  log.warn(
    { offsetMs: offset },
    `test hook ${TEST_CLOCK_ENV}: running on a shifted clock, never on a station`,
  );
  return offsetClock(systemClock, offset);
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
  const { clock, setter } = clockOf(nodeProcessRunner, log);
  return {
    config,
    log,
    clock,
    clockSetter: setter,
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
    videoCopy: async (...a) => (await get()).videoCopy(...a),
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
