import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../../src/adapters/logger.js';
import type { ProcessRunner, RunResult } from '../../../src/adapters/process-runner.js';
import { configSchema } from '../../../src/config/schema.js';
import { findBattery, gpiogetArgs, watchUps, type UpsSettings } from '../../../src/devices/ups.js';
import { powerDown, startUpsShutdown } from '../../../src/station/power.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A fake /sys/class/power_supply: each entry a directory of one-line files. */
function powerSupplyTree(entries: Record<string, Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'outpost-power-supply-'));
  roots.push(root);
  for (const [name, files] of Object.entries(entries)) {
    mkdirSync(join(root, name));
    for (const [f, v] of Object.entries(files)) writeFileSync(join(root, name, f), `${v}\n`);
  }
  return root;
}

function settings(o: Partial<UpsSettings>): UpsSettings {
  return {
    source: 'power-supply',
    gpioChip: 'gpiochip0',
    activeLow: false,
    powerSupplyRoot: '/nonexistent',
    lowPercent: 15,
    pollSeconds: 600,
    ...o,
  };
}

/** Records command lines; answers from a table (default: success, no output). */
function fakeRunner(answer: (line: string) => Partial<RunResult> = () => ({})) {
  const calls: string[] = [];
  const runner: ProcessRunner = {
    run: async (cmd, args) => {
      const line = [cmd, ...args].join(' ');
      calls.push(line);
      return { code: 0, signal: null, stdout: Buffer.alloc(0), stderr: '', ...answer(line) };
    },
  };
  return { runner, calls };
}

describe('UPS watch: /sys/class/power_supply', () => {
  it('finds the UPS battery, not a wireless mouse or the mains adapter', async () => {
    const root = powerSupplyTree({
      AC: { type: 'Mains', online: '0' },
      hidpp_battery_0: { type: 'Battery', scope: 'Device', capacity: '3', status: 'Discharging' },
      'ups-battery': { type: 'Battery', capacity: '80', status: 'Discharging' },
    });
    assert.equal(await findBattery(root), 'ups-battery');
    assert.equal(await findBattery(root, 'AC'), 'AC');
    assert.equal(await findBattery(root, 'missing'), undefined);
  });

  it('two low readings in a row call onLow once; charging again never does', async () => {
    const root = powerSupplyTree({ BAT0: { type: 'Battery', capacity: '40', status: 'Discharging' } });
    const lows: string[] = [];
    const w = watchUps({
      settings: settings({ powerSupplyRoot: root }),
      runner: fakeRunner().runner,
      onLow: (d) => lows.push(d),
    })!;
    try {
      assert.equal((await w.poll())?.low, false);
      writeFileSync(join(root, 'BAT0', 'capacity'), '12\n');
      assert.equal((await w.poll())?.low, true);
      assert.deepEqual(lows, [], 'one low reading is not enough');
      writeFileSync(join(root, 'BAT0', 'status'), 'Charging\n');
      await w.poll();
      writeFileSync(join(root, 'BAT0', 'status'), 'Discharging\n');
      await w.poll();
      assert.deepEqual(lows, [], 'the streak started again after charging');
      await w.poll();
      assert.deepEqual(lows, ['battery BAT0 at 12 % (discharging)']);
      await w.poll();
      assert.equal(lows.length, 1, 'once');
    } finally {
      w.stop();
    }
  });

  it('no battery there: one clear error, no shutdown', async () => {
    const errors: string[] = [];
    const w = watchUps({
      settings: settings({ powerSupplyRoot: powerSupplyTree({}) }),
      runner: fakeRunner().runner,
      onLow: () => assert.fail('no low'),
      onError: (e) => errors.push(e.message),
    })!;
    await w.poll();
    await w.poll();
    w.stop();
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /no battery/);
  });
});

describe('UPS watch: a GPIO line', () => {
  it('builds gpioget command lines for libgpiod v1 and v2', () => {
    assert.deepEqual(gpiogetArgs(1, 'gpiochip0', 6), ['gpiochip0', '6']);
    assert.deepEqual(gpiogetArgs(2, 'gpiochip0', 6), ['-c', 'gpiochip0', '--numeric', '6']);
  });

  it('an active-low line reading 0 twice is low', async () => {
    let value = '1';
    const { runner, calls } = fakeRunner((line) =>
      line === 'gpioget --version'
        ? { stdout: Buffer.from('gpioget (libgpiod) v2.1.3\n') }
        : { stdout: Buffer.from(`${value}\n`) },
    );
    const lows: string[] = [];
    const w = watchUps({
      settings: settings({ source: 'gpio', line: 6, activeLow: true }),
      runner,
      onLow: (d) => lows.push(d),
    })!;
    await w.poll();
    value = '0';
    await w.poll();
    await w.poll();
    w.stop();
    assert.deepEqual(calls.slice(0, 2), ['gpioget --version', 'gpioget -c gpiochip0 --numeric 6']);
    assert.equal(lows.length, 1);
    assert.match(lows[0]!, /line 6 is active/);
  });

  it('source none watches nothing', () => {
    assert.equal(
      watchUps({
        settings: settings({ source: 'none' }),
        runner: fakeRunner().runner,
        onLow: () => undefined,
      }),
      undefined,
    );
  });
});

describe('UPS shutdown', () => {
  it('drains, stops the station, syncs and powers off, in that order', async () => {
    const order: string[] = [];
    const { runner, calls } = fakeRunner((line) => (order.push(line), {}));
    await powerDown(
      'battery BAT0 at 10 %',
      {
        drain: async (ms) => void order.push(`drain ${ms}`),
        shutdownRequested: async () => void order.push('shutdownRequested'),
      },
      { runner, log: silentLogger, graceMs: 60_000, powerOff: true },
    );
    assert.deepEqual(order, ['drain 60000', 'shutdownRequested', 'sync', 'systemctl poweroff']);
    assert.deepEqual(calls, ['sync', 'systemctl poweroff']);
  });

  it('a failing step does not stop the rest; powerOff false leaves the machine on', async () => {
    const { runner, calls } = fakeRunner();
    await powerDown(
      'low',
      {
        drain: async () => {
          throw new Error('stuck');
        },
        shutdownRequested: async () => undefined,
      },
      { runner, log: silentLogger, graceMs: 0, powerOff: false },
    );
    assert.deepEqual(calls, ['sync']);
  });

  it('from the config: a fake battery going low shuts the station down once', async () => {
    const root = powerSupplyTree({ BAT0: { type: 'Battery', capacity: '9', status: 'Discharging' } });
    const config = configSchema.parse({
      station: { ups: { source: 'power-supply', powerSupplyRoot: root, pollSeconds: 0.1, finishSeconds: 5 } },
    });
    const { runner, calls } = fakeRunner();
    const steps: string[] = [];
    const ups = startUpsShutdown(
      config,
      { runner, log: silentLogger },
      {
        drain: async (ms) => void steps.push(`drain ${ms}`),
        shutdownRequested: async () => void steps.push('stop'),
      },
    )!;
    for (let i = 0; i < 50 && calls.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    ups.stop();
    await ups.done();
    assert.deepEqual(steps, ['drain 5000', 'stop']);
    assert.deepEqual(calls, ['sync', 'systemctl poweroff']);
  });

  it('config: gpio needs a line', () => {
    const r = configSchema.safeParse({ station: { ups: { source: 'gpio' } } });
    assert.equal(r.success, false);
    assert.equal(configSchema.parse({}).station.ups.source, 'none');
  });
});
