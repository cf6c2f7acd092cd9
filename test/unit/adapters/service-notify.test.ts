import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessRunner, RunResult } from '../../../src/adapters/process-runner.js';
import {
  createServiceNotifier,
  notifyAssignments,
  watchdogIntervalMs,
} from '../../../src/adapters/service-notify.js';
import { OutpostError } from '../../../src/core/errors.js';

const ok: RunResult = { code: 0, signal: null, stdout: Buffer.alloc(0), stderr: '' };

/** Records the command lines; each run waits for `gate` when given. */
function fakeRunner(result: () => Promise<RunResult> = () => Promise.resolve(ok)) {
  const calls: { cmd: string; args: readonly string[] }[] = [];
  const runner: ProcessRunner = {
    run: (cmd, args) => {
      calls.push({ cmd, args });
      return result();
    },
  };
  return { runner, calls };
}

describe('sd_notify messages', () => {
  it('puts the fields in one message, STATUS on one line', () => {
    assert.deepEqual(notifyAssignments({ ready: true, status: 'web app\nat x' }), [
      'READY=1',
      'STATUS=web app at x',
    ]);
    assert.deepEqual(notifyAssignments({ watchdog: true }), ['WATCHDOG=1']);
    assert.deepEqual(notifyAssignments({ stopping: true, status: 'stopping' }), [
      'STOPPING=1',
      'STATUS=stopping',
    ]);
    assert.deepEqual(notifyAssignments({}), []);
  });

  it('reads the watchdog period as sd_watchdog_enabled does: half of it, for this process only', () => {
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '60000000' }, 42), 30_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '42' }, 42), 30_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '7' }, 42), undefined);
    assert.equal(watchdogIntervalMs({}, 42), undefined);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'x' }, 42), undefined);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42), undefined);
  });
});

describe('service notifier', () => {
  it('does nothing without NOTIFY_SOCKET', async () => {
    const { runner, calls } = fakeRunner();
    const n = createServiceNotifier({ runner, env: { WATCHDOG_USEC: '1000000' } });
    assert.equal(n.enabled, false);
    assert.equal(n.watchdogIntervalMs, undefined);
    await n.notify({ ready: true, status: 'x' });
    assert.equal(calls.length, 0);
  });

  it('runs systemd-notify with the assignments, in order', async () => {
    const { runner, calls } = fakeRunner();
    const n = createServiceNotifier({
      runner,
      env: { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '20000000' },
      pid: 1,
    });
    assert.equal(n.enabled, true);
    assert.equal(n.watchdogIntervalMs, 10_000);
    void n.notify({ status: 'starting' });
    await n.notify({ ready: true, status: 'up' });
    assert.deepEqual(calls, [
      { cmd: 'systemd-notify', args: ['STATUS=starting'] },
      { cmd: 'systemd-notify', args: ['READY=1', 'STATUS=up'] },
    ]);
  });

  it('does not pile up watchdog pings behind a slow systemd-notify', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const { runner, calls } = fakeRunner(async () => {
      await gate;
      return ok;
    });
    const n = createServiceNotifier({ runner, env: { NOTIFY_SOCKET: '@/x' } });
    const first = n.notify({ watchdog: true });
    void n.notify({ watchdog: true });
    void n.notify({ watchdog: true });
    release();
    await first;
    await n.notify({ watchdog: true });
    assert.deepEqual(
      calls.map((c) => c.args.join(' ')),
      ['WATCHDOG=1', 'WATCHDOG=1'],
    );
  });

  it('reports a failure once and carries on', async () => {
    const errors: string[] = [];
    const { runner, calls } = fakeRunner(() =>
      Promise.reject(new OutpostError('TOOL_MISSING', 'systemd-notify is not installed')),
    );
    const n = createServiceNotifier({ runner, env: { NOTIFY_SOCKET: '/s' }, onError: (m) => errors.push(m) });
    await n.notify({ ready: true });
    await n.notify({ watchdog: true });
    assert.equal(calls.length, 2);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /systemd-notify is not installed \(package systemd\)/);
    const failing = createServiceNotifier({
      runner: fakeRunner(() => Promise.resolve({ ...ok, code: 1, stderr: 'No such file or directory\n' }))
        .runner,
      env: { NOTIFY_SOCKET: '/s' },
      onError: (m) => errors.push(m),
    });
    await failing.notify({ ready: true });
    assert.match(errors[1]!, /READY=1.*No such file or directory/);
  });
});
