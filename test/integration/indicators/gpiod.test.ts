import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutpostError } from '../../../src/core/errors.js';
import type { LedMode } from '../../../src/indicators/driver.js';
import {
  GpiodLedDriver,
  gpiosetArgs,
  parseGpioinfo,
  parseGpiodVersion,
} from '../../../src/indicators/gpiod.js';
import { FakeGpio, ManualTicker, settle } from './fake-gpio.js';
import { ledDriverContract } from './led-driver.contract.js';

// Line 3 is unnamed in the fake chip, so the contract uses the other low lines by number...
const BY_NUMBER = ['17', '27', '22', '23', '24', '25', '5', '6', '12', '13'];
// ...and once by line name, which both tool versions resolve through gpioinfo.
const BY_NAME = BY_NUMBER.map((n) => `GPIO${n}`);

for (const version of [1, 2] as const)
  for (const leds of [BY_NUMBER, BY_NAME])
    ledDriverContract(`gpiod v${version} (${leds === BY_NAME ? 'line names' : 'GPIO numbers'})`, async () => {
      const gpio = new FakeGpio(version);
      const ticker = new ManualTicker();
      const driver = new GpiodLedDriver({ runner: gpio, ticker, flashMs: 250 });
      const offset = (led: string): number => Number(led.replace(/^GPIO/, ''));
      return {
        driver,
        leds,
        missing: leds === BY_NAME ? 'GPIO99' : '99',
        read: async (led): Promise<LedMode> => {
          await settle();
          const o = offset(led);
          if (version === 2 || !ticker.running) return gpio.mode(o);
          // v1 flashes in software: a flashing line changes level on every tick.
          const before = gpio.mode(o);
          ticker.tick();
          await settle();
          const after = gpio.mode(o);
          return before !== after ? 'flash' : before;
        },
      };
    });

describe('gpiod LED driver', () => {
  it('parses tool versions and gpioinfo of both generations', () => {
    assert.equal(parseGpiodVersion('gpioset (libgpiod) v1.6.3'), 1);
    assert.equal(parseGpiodVersion('gpioset (libgpiod) v2.1'), 2);
    assert.equal(parseGpiodVersion('gpioset (libgpiod) v2.2.1\nCopyright'), 2);
    assert.equal(parseGpiodVersion('nonsense'), undefined);
    const v1 = parseGpioinfo(
      'gpiochip0 - 3 lines:\n\tline   0:     "ID_SDA"       unused   input  active-high\n\tline   1:      unnamed       unused   input  active-high\n\tline  17:     "GPIO17" "gpioset"  output  active-high [used]\n',
    );
    assert.deepEqual(
      [...v1],
      [
        [0, 'ID_SDA'],
        [1, undefined],
        [17, 'GPIO17'],
      ],
    );
    const v2 = parseGpioinfo(
      'gpiochip0 - 54 lines:\n\tline   0:\t"ID_SDA"        \tinput\n\tline  17:\t"GPIO17"        \toutput consumer="gpioset"\n',
    );
    assert.deepEqual(
      [...v2],
      [
        [0, 'ID_SDA'],
        [17, 'GPIO17'],
      ],
    );
  });

  it('builds gpioset command lines for v1 and v2', () => {
    assert.deepEqual(gpiosetArgs(1, 'gpiochip0', 17, 1, 500), ['--mode=signal', 'gpiochip0', '17=1']);
    assert.deepEqual(gpiosetArgs(1, 'gpiochip0', 17, 0, 500), ['--mode=signal', 'gpiochip0', '17=0']);
    assert.throws(() => gpiosetArgs(1, 'gpiochip0', 17, 'blink', 500), /cannot blink/);
    assert.deepEqual(gpiosetArgs(2, 'gpiochip4', 17, 1, 500), ['-c', 'gpiochip4', '17=1']);
    assert.deepEqual(gpiosetArgs(2, 'gpiochip0', 27, 'blink', 300), [
      '-c',
      'gpiochip0',
      '-t',
      '300ms',
      '27=1',
    ]);
  });

  it('v1: the exact commands for on, flash (software), off and close', async () => {
    const gpio = new FakeGpio(1);
    const ticker = new ManualTicker();
    const d = new GpiodLedDriver({ runner: gpio, ticker, flashMs: 400 });
    await d.set('17', 'on');
    await d.set('27', 'flash');
    assert.equal(ticker.everyMs, 400);
    ticker.tick();
    await settle();
    ticker.tick();
    await settle();
    await d.set('27', 'off');
    assert.equal(ticker.running, false, 'no timer once nothing flashes');
    await d.close();
    await settle();
    assert.deepEqual(gpio.commands, [
      'gpioset --version',
      'gpioinfo gpiochip0',
      'gpioset --mode=signal gpiochip0 17=1',
      'gpioset --mode=signal gpiochip0 27=1',
      'gpioset --mode=signal gpiochip0 27=0',
      'gpioset --mode=signal gpiochip0 27=1',
      'gpioset --mode=signal gpiochip0 27=0',
      'gpioset --mode=signal gpiochip0 17=0',
      'gpioset --mode=signal gpiochip0 27=0',
    ]);
    assert.equal(gpio.held.size, 0, 'every gpioset it started was stopped');
  });

  it('v2: the exact commands; blinking is left to gpioset --toggle', async () => {
    const gpio = new FakeGpio(2, 'gpiochip4');
    const ticker = new ManualTicker();
    const d = new GpiodLedDriver({ runner: gpio, ticker, chip: 'gpiochip4' });
    await d.set('GPIO17', 'on');
    await d.set('27', 'flash');
    assert.equal(ticker.running, false);
    await d.set('27', 'on');
    await d.close();
    assert.deepEqual(gpio.commands, [
      'gpioset --version',
      'gpioinfo -c gpiochip4',
      'gpioset -c gpiochip4 17=1',
      'gpioset -c gpiochip4 -t 500ms 27=1',
      'gpioset -c gpiochip4 27=1',
      'gpioset -c gpiochip4 17=0',
      'gpioset -c gpiochip4 27=0',
    ]);
    assert.equal(gpio.held.size, 0);
  });

  it('a wrong chip is a config error that says how to find the right one', async () => {
    const d = new GpiodLedDriver({ runner: new FakeGpio(2), chip: 'gpiochip9' });
    await assert.rejects(d.check(['17']), (e: OutpostError) => {
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.match(e.message, /gpiochip9/);
      assert.match(e.hint, /gpiodetect/);
      return true;
    });
  });

  it('an LED name that is no line says to use GPIO numbers', async () => {
    const d = new GpiodLedDriver({ runner: new FakeGpio(1) });
    await assert.rejects(d.check(['outpost-card-green']), (e: OutpostError) => {
      assert.match(e.message, /no line "outpost-card-green" on gpiochip0/);
      assert.match(e.hint, /GPIO \(BCM\) number/);
      return true;
    });
  });

  it('a gpioset that exits by itself (line owned elsewhere) is reported through onError', async () => {
    const gpio = new FakeGpio(2);
    const errors: OutpostError[] = [];
    // Someone else holds line 17.
    void gpio.run('gpioset', ['-c', 'gpiochip0', '17=0']);
    const d = new GpiodLedDriver({ runner: gpio, onError: (e) => errors.push(e) });
    await d.set('17', 'on');
    await settle();
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /stopped holding LED "17".*busy/);
  });

  it('a missing gpioset binary is TOOL_MISSING', async () => {
    const runner = {
      run: () =>
        Promise.reject(Object.assign(new Error('gpioset is not installed'), { code: 'TOOL_MISSING' })),
    };
    const d = new GpiodLedDriver({ runner });
    await assert.rejects(d.set('17', 'on'), /not installed/);
  });
});
