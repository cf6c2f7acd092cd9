/**
 * The libgpiod command-line tools (gpioset, gpiomon, gpioinfo), shared by the GPIO LEDs
 * (indicators/gpiod.ts) and the TTL lines of the recorder (recorder/timing/ttl-gpio.ts):
 * which major version is installed and whether its gpioset has the interactive mode.
 */
import { OutpostError } from '../core/errors.js';
import type { ProcessRunner } from './process-runner.js';

/** libgpiod tools major version: v1 `gpioset chip 17=1`, v2 `gpioset -c chip 17=1`. */
export type GpiodVersion = 1 | 2;

/** Parse `gpioset --version` ("gpioset (libgpiod) v1.6.3" / "gpioset (libgpiod) v2.1"). */
export function parseGpiodVersion(text: string): GpiodVersion | undefined {
  const m = /\bv(\d+)\.\d+/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) >= 2 ? 2 : 1;
}

/** Parse `gpioinfo` output (both versions print `line  17: "GPIO17" ...` or `line 17: unnamed ...`). */
export function parseGpioinfo(text: string): Map<number, string | undefined> {
  const lines = new Map<number, string | undefined>();
  for (const m of text.matchAll(/^\s*line\s+(\d+):\s+(?:"([^"]*)"|unnamed)/gm)) lines.set(Number(m[1]), m[2]);
  return lines;
}

/** `gpioset --help` lists `-i, --interactive` when libgpiod 2 was built with it (it needs libedit). */
export function helpHasInteractive(help: string): boolean {
  return /--interactive(?![\w-])/.test(help);
}

/** The installed tools: major version, and (v2) whether gpioset takes commands on stdin. */
export interface GpiodTools {
  version: GpiodVersion;
  interactive: boolean;
}

/** Runs `gpioset --version` (and, on v2, `gpioset --help`). TOOL_MISSING when there is no gpioset. */
export async function detectGpiodTools(runner: ProcessRunner): Promise<GpiodTools> {
  const r = await runner.run('gpioset', ['--version'], { timeoutMs: 5000 });
  const version = parseGpiodVersion(`${r.stdout.toString('utf8')}\n${r.stderr}`);
  if (version === undefined)
    throw new OutpostError('TOOL_MISSING', 'cannot tell the libgpiod version from `gpioset --version`', {
      hint: 'Install the libgpiod tools: `sudo apt-get install gpiod`.',
    });
  if (version === 1) return { version, interactive: false };
  const h = await runner.run('gpioset', ['--help'], { timeoutMs: 5000 });
  return { version, interactive: helpHasInteractive(`${h.stdout.toString('utf8')}\n${h.stderr}`) };
}
