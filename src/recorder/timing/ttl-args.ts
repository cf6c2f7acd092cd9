/**
 * TTL lines through the libgpiod tools (docs/recorder.md, "TTL synchronisation"): the command
 * lines of `gpioset` (output pulses) and `gpiomon` (input edges) for both major versions, the
 * pulse command of v2's interactive mode, and the parser of gpiomon's lines. Pure.
 */
import type { GpiodTools, GpiodVersion } from '../../adapters/gpiod-tools.js';
import { OutpostError } from '../../core/errors.js';

/** An output line pulsed at each frame of the recording, or at each segment start. */
export interface TtlOutputConfig {
  chip: string;
  line: number;
  on: 'frame' | 'segment';
  /** Pulse width, ms (keep it under the frame period for per-frame pulses). */
  pulseMs: number;
  activeLow?: boolean | undefined;
}

/** Input lines whose edges are recorded against the frames. */
export interface TtlInputConfig {
  chip: string;
  lines: number[];
  edges?: 'rising' | 'falling' | 'both' | undefined;
  activeLow?: boolean | undefined;
}

export interface TtlConfig {
  output?: TtlOutputConfig | undefined;
  input?: TtlInputConfig | undefined;
}

/** CONFIG_INVALID when the installed tools cannot do what the config asks. */
export function checkTtlConfig(cfg: TtlConfig, tools: GpiodTools): void {
  const o = cfg.output;
  if (!o) return;
  if (!(o.pulseMs > 0))
    throw new OutpostError('CONFIG_INVALID', `TTL output pulse width must be > 0 ms (got ${o.pulseMs})`);
  if (o.on === 'frame' && !tools.interactive)
    throw new OutpostError(
      'CONFIG_INVALID',
      tools.version === 1
        ? 'TTL pulses at each frame need libgpiod 2 (gpioset --interactive); this station has libgpiod 1'
        : 'TTL pulses at each frame need gpioset --interactive, which this libgpiod 2 was built without',
      {
        hint: 'Install libgpiod 2 built with interactive gpioset (Debian 13 / Raspberry Pi OS trixie `gpiod`), or pulse at each segment start (on: segment).',
      },
    );
}

/** v2 only: one gpioset holding the line (idle level) that reads `set`/`sleep` commands on stdin. */
export function interactiveArgs(o: TtlOutputConfig): string[] {
  return ['-c', o.chip, ...(o.activeLow ? ['-l'] : []), '-i', `${o.line}=0`];
}

/** The stdin text of one pulse (v2 interactive): active, hold, inactive; one write, no round trip. */
export function pulseCommand(o: TtlOutputConfig): string {
  const us = Math.max(1, Math.round(o.pulseMs * 1000));
  return `set ${o.line}=1\nsleep ${us}us\nset ${o.line}=0\n`;
}

/**
 * One pulse as gpioset runs (segment pulses, either version). A line a gpioset lets go of keeps
 * its last level on a Raspberry Pi, so every pulse ends with the line driven inactive: v2 toggles
 * back after the width and exits (`-t W,0`); v1 holds it active for the width (`--mode=time`), then
 * a second run sets it inactive.
 */
export function oneShotPulseArgs(version: GpiodVersion, o: TtlOutputConfig): string[][] {
  const us = Math.max(1, Math.round(o.pulseMs * 1000));
  const low = o.activeLow ? ['-l'] : [];
  if (version === 1)
    return [
      ['--mode=time', `--usec=${us}`, ...low, o.chip, `${o.line}=1`],
      ['--mode=exit', ...low, o.chip, `${o.line}=0`],
    ];
  return [['-c', o.chip, ...low, '-t', `${us}us,0`, `${o.line}=1`]];
}

/**
 * gpiomon printing one line per edge: offset, edge, kernel timestamp. v1's timestamps come from
 * the kernel's event clock (monotonic since Linux 5.7); v2 is asked for the realtime clock.
 */
export function gpiomonArgs(version: GpiodVersion, i: TtlInputConfig): string[] {
  const low = i.activeLow ? ['-l'] : [];
  const lines = i.lines.map(String);
  if (version === 1) {
    const edge = i.edges === 'rising' ? ['--rising-edge'] : i.edges === 'falling' ? ['--falling-edge'] : [];
    return ['--line-buffered', '--format=%o %e %s %n', ...edge, ...low, i.chip, ...lines];
  }
  const edge = i.edges && i.edges !== 'both' ? ['-e', i.edges] : [];
  return ['-c', i.chip, '-E', 'realtime', '-F', '%o %e %S', ...edge, ...low, ...lines];
}

/** One edge as gpiomon printed it. */
export interface GpioEdge {
  line: number;
  edge: 'rising' | 'falling';
  /** Kernel timestamp, ns (exact, as text: it does not fit a double). */
  kernelNs: bigint;
  clock: 'realtime' | 'monotonic';
}

/**
 * v1 `17 1 1234 567` (edge 1 rising / 0 falling; nanoseconds not zero-padded),
 * v2 `17 1 1733470000.000000123` (edge 1 rising / 2 falling; `%S` is seconds.nanoseconds).
 */
export function parseGpiomonLine(version: GpiodVersion, text: string): GpioEdge | undefined {
  const f = text.trim().split(/\s+/);
  if (version === 1) {
    if (f.length !== 4 || !f.every((x) => /^\d+$/.test(x))) return undefined;
    return {
      line: Number(f[0]),
      edge: f[1] === '1' ? 'rising' : 'falling',
      kernelNs: BigInt(f[2]!) * 1_000_000_000n + BigInt(f[3]!),
      clock: 'monotonic',
    };
  }
  const ts = /^(\d+)\.(\d{1,9})$/.exec(f[2] ?? '');
  if (f.length !== 3 || !/^\d+$/.test(f[0]!) || !/^[12]$/.test(f[1]!) || !ts) return undefined;
  return {
    line: Number(f[0]),
    edge: f[1] === '1' ? 'rising' : 'falling',
    kernelNs: BigInt(ts[1]!) * 1_000_000_000n + BigInt(ts[2]!.padEnd(9, '0')),
    clock: 'realtime',
  };
}

/** The edge's wall clock, ms: realtime as is; monotonic through the offset (wall − monotonic, ms). */
export function edgeWallMs(e: GpioEdge, monoToWallMs: number): number {
  const ms = Number(e.kernelNs / 1000n) / 1000;
  return e.clock === 'realtime' ? ms : ms + monoToWallMs;
}
