import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessRunner, RunResult } from '../../../src/adapters/process-runner.js';
import {
  dateSetArgs,
  offsetClock,
  parseTimedatectl,
  systemClockSetter,
} from '../../../src/adapters/system-clock.js';
import { buildTimeMs } from '../../../src/adapters/build-time.js';
import { OutpostError } from '../../../src/core/errors.js';

function fakeRunner(answer: (cmd: string, args: readonly string[]) => Partial<RunResult> | Error) {
  const calls: string[] = [];
  const runner: ProcessRunner = {
    run: async (cmd, args) => {
      calls.push([cmd, ...args].join(' '));
      const a = answer(cmd, args);
      if (a instanceof Error) throw a;
      return { code: 0, signal: null, stdout: Buffer.alloc(0), stderr: '', ...a };
    },
  };
  return { runner, calls };
}

describe('system clock adapter', () => {
  it('sets the clock with date -u -s @seconds (milliseconds kept)', async () => {
    assert.deepEqual(dateSetArgs(1_733_300_000_123), ['-u', '-s', '@1733300000.123']);
    const { runner, calls } = fakeRunner(() => ({}));
    await systemClockSetter(runner, { rtc: '/nonexistent/rtc' }).set(1_733_300_000_000);
    assert.deepEqual(calls, ['date -u -s @1733300000.000']);
  });

  it('writes the battery RTC too when there is one', async () => {
    const { runner, calls } = fakeRunner(() => ({}));
    await systemClockSetter(runner, { rtc: '/' }).set(1_733_300_000_000);
    assert.deepEqual(calls, ['date -u -s @1733300000.000', 'hwclock --systohc --utc']);
  });

  it('a refusal becomes CLOCK_SET_FAILED with the last words of date', async () => {
    const { runner } = fakeRunner(() => ({
      code: 1,
      stderr: 'date: cannot set date: Operation not permitted\n',
    }));
    await assert.rejects(systemClockSetter(runner).set(1_733_300_000_000), (e) => {
      assert.ok(e instanceof OutpostError);
      assert.equal(e.code, 'CLOCK_SET_FAILED');
      assert.match(e.message, /Operation not permitted/);
      assert.match(e.hint, /CAP_SYS_TIME/);
      return true;
    });
  });

  it('reads NTP from timedatectl show, null when it is not there', async () => {
    assert.deepEqual(parseTimedatectl('NTP=yes\nNTPSynchronized=no\n'), {
      active: true,
      synchronized: false,
    });
    assert.deepEqual(parseTimedatectl('NTPSynchronized=yes\n'), { active: false, synchronized: true });
    assert.equal(parseTimedatectl(''), null);
    const { runner, calls } = fakeRunner(() => ({ stdout: Buffer.from('NTP=yes\nNTPSynchronized=yes\n') }));
    assert.deepEqual(await systemClockSetter(runner).ntp(), { active: true, synchronized: true });
    assert.deepEqual(calls, ['timedatectl show -p NTP -p NTPSynchronized']);
    const missing = fakeRunner(() => new OutpostError('TOOL_MISSING', 'timedatectl is not installed'));
    assert.equal(await systemClockSetter(missing.runner).ntp(), null);
  });

  it('the test hook: an offset clock whose setter moves the offset, not the machine', async () => {
    const base = { now: () => new Date(1_000_000) };
    const t = offsetClock(base, -500);
    assert.equal(t.clock.now().getTime(), 999_500);
    await t.setter.set(2_000_000);
    assert.equal(t.clock.now().getTime(), 2_000_000);
    assert.equal(await t.setter.ntp(), null);
  });

  it('knows a build time no earlier than when the code was written', () => {
    assert.ok(buildTimeMs() >= Date.parse('2026-12-01T00:00:00Z'));
  });
});
