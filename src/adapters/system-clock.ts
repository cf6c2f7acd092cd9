import { existsSync } from 'node:fs';
import type { Clock } from './clock.js';
import type { ProcessRunner } from './process-runner.js';
import { OutpostError, isOutpostError } from '../core/errors.js';

/** The NTP service as systemd-timedated reports it. */
export interface NtpState {
  /** An NTP client is enabled (systemd-timesyncd, chrony...). */
  active: boolean;
  /** The kernel clock is synchronised (the NTP client reached a server). */
  synchronized: boolean;
}

/** Sets the machine's clock; behind an interface so tests never touch the real one. */
export interface ClockSetter {
  /** Set the system clock to `ms` since the epoch. Throws CLOCK_SET_FAILED. */
  set(ms: number): Promise<void>;
  /** The NTP state, or null when it cannot be known (no timedatectl, no systemd). */
  ntp(): Promise<NtpState | null>;
}

/** `timedatectl show` output → NTP state (null when neither property is there). */
export function parseTimedatectl(out: string): NtpState | null {
  const props = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) props.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  if (!props.has('NTP') && !props.has('NTPSynchronized')) return null;
  return { active: props.get('NTP') === 'yes', synchronized: props.get('NTPSynchronized') === 'yes' };
}

/** `date -u -s @<seconds>` arguments for an instant (GNU date takes fractional seconds). */
export function dateSetArgs(ms: number): string[] {
  return ['-u', '-s', `@${(Math.round(ms) / 1000).toFixed(3)}`];
}

/**
 * The real clock: `date -s` (needs root or CAP_SYS_TIME; works whether or not an NTP client is
 * enabled, which corrects it again once it reaches a server), then the battery RTC when there is
 * one (Raspberry Pi 5, RTC HATs) so a reboot keeps it. NTP state from `timedatectl show`.
 */
export function systemClockSetter(runner: ProcessRunner, opts: { rtc?: string } = {}): ClockSetter {
  const rtc = opts.rtc ?? '/dev/rtc0';
  return {
    async set(ms) {
      let r;
      try {
        r = await runner.run('date', dateSetArgs(ms), { timeoutMs: 10_000 });
      } catch (e) {
        throw new OutpostError(
          'CLOCK_SET_FAILED',
          `cannot run date: ${e instanceof Error ? e.message : String(e)}`,
          {
            cause: e,
          },
        );
      }
      if (r.code !== 0)
        throw new OutpostError(
          'CLOCK_SET_FAILED',
          `setting the clock failed: ${r.stderr.trim().split('\n').pop() ?? `date exited ${r.code}`}`,
        );
      if (existsSync(rtc))
        await runner.run('hwclock', ['--systohc', '--utc'], { timeoutMs: 10_000 }).catch(() => undefined);
    },
    async ntp() {
      try {
        const r = await runner.run('timedatectl', ['show', '-p', 'NTP', '-p', 'NTPSynchronized'], {
          timeoutMs: 5000,
        });
        return r.code === 0 ? parseTimedatectl(r.stdout.toString('utf8')) : null;
      } catch (e) {
        if (isOutpostError(e) && e.code === 'TOOL_MISSING') return null;
        return null;
      }
    },
  };
}

/**
 * A clock `offsetMs` away from `base`, and a setter that moves the offset instead of the machine's
 * clock. The test hook of the composition root (OUTPOST_TEST_CLOCK_OFFSET_MS): tests cannot
 * change the real clock, so a station started "a week behind" runs on this.
 */
export function offsetClock(base: Clock, offsetMs: number): { clock: Clock; setter: ClockSetter } {
  let offset = offsetMs;
  return {
    clock: { now: () => new Date(base.now().getTime() + offset) },
    setter: {
      set: async (ms) => {
        offset = ms - base.now().getTime();
      },
      ntp: async () => null,
    },
  };
}
