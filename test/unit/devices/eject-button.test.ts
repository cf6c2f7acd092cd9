import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../src/adapters/logger.js';
import type { ProcessRunner, RunOptions } from '../../../src/adapters/process-runner.js';
import { gpiomonArgs, watchEjectButton } from '../../../src/devices/eject-button.js';

describe('eject button (gpiomon)', () => {
  it('waits for one falling edge with the internal pull-up, v1 and v2 syntax', () => {
    assert.deepEqual(gpiomonArgs(1, 'gpiochip0', 26), [
      '--num-events=1',
      '--falling-edge',
      '--bias=pull-up',
      'gpiochip0',
      '26',
    ]);
    assert.deepEqual(gpiomonArgs(2, 'gpiochip4', 26), [
      '--num-events=1',
      '--edges=falling',
      '--bias=pull-up',
      '--debounce-period=20ms',
      '--chip',
      'gpiochip4',
      '26',
    ]);
  });

  it('each press ejects; a failing gpiomon is retried, not fatal', async () => {
    const abort = new AbortController();
    const calls: string[] = [];
    let presses = 0;
    // A press, a failure (line busy), two presses, then the station stops.
    const script = ['press', 'fail', 'press', 'press'];
    const runner: ProcessRunner = {
      async run(cmd: string, args: readonly string[], opts?: RunOptions) {
        calls.push([cmd, ...args].join(' '));
        if (args[0] === '--version')
          return { code: 0, signal: null, stdout: Buffer.from('gpiomon (libgpiod) v2.1\n'), stderr: '' };
        const next = script.shift();
        if (!next) {
          await new Promise((r) => opts?.signal?.addEventListener('abort', r, { once: true }));
          return { code: null, signal: 'SIGKILL', stdout: Buffer.alloc(0), stderr: '' };
        }
        return next === 'press'
          ? { code: 0, signal: null, stdout: Buffer.from('1.5 falling gpiochip0 26\n'), stderr: '' }
          : {
              code: 1,
              signal: null,
              stdout: Buffer.alloc(0),
              stderr: 'gpiomon: unable to request lines: Device or resource busy',
            };
      },
    };
    const done = watchEjectButton({
      runner,
      chip: 'gpiochip0',
      line: 26,
      signal: abort.signal,
      log: silentLogger,
      settleMs: 1,
      retryMs: 1,
      onPress: async () => {
        presses++;
        if (presses === 2) throw new Error('DEVICE_BUSY');
      },
    });
    for (let i = 0; i < 200 && presses < 3; i++) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    await done;
    assert.equal(presses, 3);
    assert.ok(
      calls.includes(
        'gpiomon --num-events=1 --edges=falling --bias=pull-up --debounce-period=20ms --chip gpiochip0 26',
      ),
    );
    assert.equal(
      calls.filter((c) => c === 'gpiomon --version').length,
      2,
      'version asked again after a failure',
    );
  });
});
