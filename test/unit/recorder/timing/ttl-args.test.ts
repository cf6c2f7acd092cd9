import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessRunner } from '../../../../src/adapters/process-runner.js';
import { detectGpiodTools, helpHasInteractive } from '../../../../src/adapters/gpiod-tools.js';
import { isOutpostError } from '../../../../src/core/errors.js';
import {
  checkTtlConfig,
  edgeWallMs,
  gpiomonArgs,
  interactiveArgs,
  oneShotPulseArgs,
  parseGpiomonLine,
  pulseCommand,
  type TtlOutputConfig,
} from '../../../../src/recorder/timing/ttl-args.js';

const out: TtlOutputConfig = { chip: 'gpiochip0', line: 17, on: 'frame', pulseMs: 2.5 };

describe('TTL output command lines', () => {
  it('v2 interactive: one gpioset holding the line idle; a pulse is one stdin write', () => {
    assert.deepEqual(interactiveArgs(out), ['-c', 'gpiochip0', '-i', '17=0']);
    assert.deepEqual(interactiveArgs({ ...out, activeLow: true }), ['-c', 'gpiochip0', '-l', '-i', '17=0']);
    assert.equal(pulseCommand(out), 'set 17=1\nsleep 2500us\nset 17=0\n');
  });
  it('one-shot pulses end with the line inactive (a released line keeps its level)', () => {
    assert.deepEqual(oneShotPulseArgs(1, out), [
      ['--mode=time', '--usec=2500', 'gpiochip0', '17=1'],
      ['--mode=exit', 'gpiochip0', '17=0'],
    ]);
    assert.deepEqual(oneShotPulseArgs(2, { ...out, activeLow: true }), [
      ['-c', 'gpiochip0', '-l', '-t', '2500us,0', '17=1'],
    ]);
  });
});

describe('checkTtlConfig', () => {
  const v1 = { version: 1 as const, interactive: false };
  const v2 = { version: 2 as const, interactive: true };
  it('per-frame pulses need libgpiod 2 interactive: a config error that says so', () => {
    for (const tools of [v1, { version: 2 as const, interactive: false }])
      assert.throws(
        () => checkTtlConfig({ output: out }, tools),
        (e: unknown) =>
          isOutpostError(e) && e.code === 'CONFIG_INVALID' && /libgpiod 2|--interactive/.test(e.message),
      );
    checkTtlConfig({ output: out }, v2);
    checkTtlConfig({ output: { ...out, on: 'segment' } }, v1);
    checkTtlConfig({ input: { chip: 'gpiochip0', lines: [4] } }, v1);
  });
  it('a pulse needs a width', () => {
    assert.throws(() => checkTtlConfig({ output: { ...out, pulseMs: 0 } }, v2), /pulse width/);
  });
});

describe('gpiomon', () => {
  it('command lines of both versions', () => {
    assert.deepEqual(gpiomonArgs(1, { chip: 'gpiochip0', lines: [5, 6], edges: 'rising' }), [
      '--line-buffered',
      '--format=%o %e %s %n',
      '--rising-edge',
      'gpiochip0',
      '5',
      '6',
    ]);
    assert.deepEqual(gpiomonArgs(2, { chip: 'gpiochip0', lines: [5], edges: 'falling', activeLow: true }), [
      '-c',
      'gpiochip0',
      '-E',
      'realtime',
      '-F',
      '%o %e %S',
      '-e',
      'falling',
      '-l',
      '5',
    ]);
  });
  it('v1 lines: 0 is falling, nanoseconds are not zero-padded', () => {
    assert.deepEqual(parseGpiomonLine(1, '6 0 1234 5678\n'), {
      line: 6,
      edge: 'falling',
      kernelNs: 1_234_000_005_678n,
      clock: 'monotonic',
    });
    assert.equal(parseGpiomonLine(1, 'event:  RISING EDGE offset: 6'), undefined);
  });
  it('v2 lines: 2 is falling, %S is seconds.nanoseconds on the realtime clock', () => {
    assert.deepEqual(parseGpiomonLine(2, '22 1 1796543000.000123456'), {
      line: 22,
      edge: 'rising',
      kernelNs: 1_796_543_000_000_123_456n,
      clock: 'realtime',
    });
    assert.equal(parseGpiomonLine(2, '22 2 1796543000.5')?.kernelNs, 1_796_543_000_500_000_000n);
    assert.equal(parseGpiomonLine(2, '22 3 1.0'), undefined);
  });
  it('wall clock of an edge: realtime as is, monotonic through the offset', () => {
    const rt = parseGpiomonLine(2, '1 1 1796543000.000123456')!;
    assert.equal(edgeWallMs(rt, 999), 1_796_543_000_000.123);
    const mono = parseGpiomonLine(1, '1 1 100 500000000')!;
    assert.equal(edgeWallMs(mono, 1_796_543_000_000), 1_796_543_100_500);
  });
});

describe('detectGpiodTools', () => {
  function runner(version: string, help: string): ProcessRunner {
    return {
      run: (_cmd, args) =>
        Promise.resolve({
          code: 0,
          signal: null,
          stdout: Buffer.from(args[0] === '--version' ? version : help),
          stderr: '',
        }),
    };
  }
  it('v2 with and without the interactive mode; v1 never', async () => {
    assert.deepEqual(
      await detectGpiodTools(runner('gpioset (libgpiod) v2.1.3', '  -i, --interactive\tset')),
      {
        version: 2,
        interactive: true,
      },
    );
    assert.deepEqual(await detectGpiodTools(runner('gpioset (libgpiod) v2.0', '  -t, --toggle')), {
      version: 2,
      interactive: false,
    });
    assert.deepEqual(await detectGpiodTools(runner('gpioset (libgpiod) v1.6.3', '')), {
      version: 1,
      interactive: false,
    });
    await assert.rejects(detectGpiodTools(runner('nonsense', '')), /libgpiod version/);
    assert.equal(helpHasInteractive('--interactive-ish'), false);
  });
});
