import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OutpostError } from '../../../src/core/errors.js';
import type { LedMode } from '../../../src/indicators/driver.js';
import { SysfsLedDriver, currentTrigger } from '../../../src/indicators/sysfs.js';
import { ledDriverContract } from './led-driver.contract.js';

const TRIGGERS = 'none kbd-scrolllock kbd-numlock rfkill-any timer oneshot heartbeat default-on mmc0';

/** A /sys/class/leds tree laid out like the kernel's: brightness, max_brightness, trigger. */
function fakeLedTree(leds: readonly string[], opts: { max?: number; triggers?: string } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'leds-'));
  for (const led of leds) {
    const d = join(root, led);
    mkdirSync(d);
    writeFileSync(join(d, 'brightness'), '0\n');
    writeFileSync(join(d, 'max_brightness'), `${opts.max ?? 1}\n`);
    writeFileSync(join(d, 'trigger'), `[none] ${opts.triggers ?? TRIGGERS.replace(/^none /, '')}\n`);
  }
  return root;
}

const read = (root: string, led: string, attr: string): string =>
  readFileSync(join(root, led, attr), 'utf8').trim();

/** What the kernel would show: the timer trigger blinks; otherwise brightness decides. */
function readLed(root: string, led: string, flashMs: number): LedMode {
  if (currentTrigger(read(root, led, 'trigger')) === 'timer') {
    if (flashMs !== 500) {
      assert.equal(read(root, led, 'delay_on'), String(flashMs));
      assert.equal(read(root, led, 'delay_off'), String(flashMs));
    }
    return 'flash';
  }
  return Number(read(root, led, 'brightness')) > 0 ? 'on' : 'off';
}

const LEDS = Array.from({ length: 10 }, (_, i) => `outpost-test-${i}`);

for (const flashMs of [500, 200])
  ledDriverContract(`sysfs (flashMs ${flashMs})`, async () => {
    const root = fakeLedTree(LEDS);
    return {
      driver: new SysfsLedDriver({ root, flashMs }),
      leds: LEDS,
      missing: 'outpost-missing-red',
      read: async (led) => readLed(root, led, flashMs),
      cleanup: async () => rmSync(root, { recursive: true, force: true }),
    };
  });

describe('sysfs LED driver', () => {
  it('reads the current trigger from the kernel format', () => {
    assert.equal(currentTrigger('none [timer] heartbeat\n'), 'timer');
    assert.equal(currentTrigger('[none] timer'), 'none');
    assert.equal(currentTrigger('timer\n'), 'timer');
  });

  it('lights an LED at its max_brightness (PWM LEDs are 255, not 1)', async () => {
    const root = fakeLedTree(['pwm'], { max: 255 });
    const d = new SysfsLedDriver({ root });
    await d.set('pwm', 'on');
    assert.equal(read(root, 'pwm', 'brightness'), '255');
    assert.equal(read(root, 'pwm', 'trigger'), 'none');
    await d.set('pwm', 'flash');
    assert.equal(read(root, 'pwm', 'trigger'), 'timer');
    // 500 ms is the timer trigger's own default: the root-only delay files are left alone.
    assert.equal(existsSync(join(root, 'pwm', 'delay_on')), false);
    rmSync(root, { recursive: true });
  });

  it('a missing LED names the dtoverlay line to add', async () => {
    const root = fakeLedTree([]);
    const d = new SysfsLedDriver({ root });
    await assert.rejects(d.check(['outpost-card-red']), (e) => {
      assert.ok(e instanceof OutpostError);
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.match(e.message, /"outpost-card-red" not found/);
      assert.match(e.hint, /dtoverlay=gpio-led,gpio=<N>,label=outpost-card-red/);
      assert.deepEqual((e.details as { led: string }).led, 'outpost-card-red');
      return true;
    });
    await assert.rejects(d.set('../etc', 'on'), /not found/);
    rmSync(root, { recursive: true });
  });

  it('a kernel without the timer trigger is reported at check()', async () => {
    const root = fakeLedTree(['x'], { triggers: 'heartbeat default-on' });
    await assert.rejects(new SysfsLedDriver({ root }).check(['x']), (e) => {
      assert.ok(e instanceof OutpostError);
      assert.match(e.hint, /modprobe ledtrig-timer/);
      return true;
    });
    rmSync(root, { recursive: true });
  });

  it('a brightness file the station may not write says how to fix permissions', async () => {
    const root = fakeLedTree(['ro']);
    chmodSync(root, 0o755);
    chmodSync(join(root, 'ro', 'brightness'), 0o444);
    if (process.getuid?.() !== 0) {
      await assert.rejects(new SysfsLedDriver({ root }).set('ro', 'on'), (e) => {
        assert.ok(e instanceof OutpostError);
        assert.match(e.message, /cannot drive LED "ro".*EACCES/);
        assert.match(e.hint, /udev rule/);
        return true;
      });
    } else {
      // Root ignores file modes: run the driver as `nobody` (as a station service user would be).
      const driver = new URL('../../../src/indicators/sysfs.js', import.meta.url).href;
      const script =
        `import(${JSON.stringify(driver)}).then((m) => new m.SysfsLedDriver({ root: ${JSON.stringify(root)} })` +
        `.set('ro', 'on')).then(() => console.log('NO ERROR'), (e) => console.log(JSON.stringify({ message: e.message, hint: e.hint })))`;
      const out = execFileSync(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          process.execPath,
          '--input-type=module',
          '-e',
          script,
        ],
        { encoding: 'utf8' },
      );
      const e = JSON.parse(out) as { message: string; hint: string };
      assert.match(e.message, /cannot drive LED "ro".*EACCES/);
      assert.match(e.hint, /udev rule/);
    }
    rmSync(root, { recursive: true });
  });
});
