import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batteryLow, lowStreak, parseGpioget } from '../../../src/core/ups.js';

describe('UPS: is the battery low?', () => {
  it('discharging at or below the threshold is low', () => {
    assert.deepEqual(batteryLow({ name: 'BAT0', capacity: 15, status: 'Discharging' }, 15), {
      low: true,
      detail: 'battery BAT0 at 15 % (discharging)',
    });
    assert.equal(batteryLow({ name: 'BAT0', capacity: 16, status: 'Discharging' }, 15).low, false);
    // Some drivers never say Discharging: the number decides unless it is charging.
    assert.equal(batteryLow({ name: 'BAT0', capacity: 5, status: 'Unknown' }, 15).low, true);
    assert.equal(batteryLow({ name: 'BAT0', capacity: 5 }, 15).low, true);
  });

  it('charging or full is never low (mains came back)', () => {
    assert.equal(batteryLow({ name: 'BAT0', capacity: 3, status: 'Charging' }, 15).low, false);
    assert.equal(batteryLow({ name: 'BAT0', capacity: 3, status: 'Full' }, 15).low, false);
  });

  it('without a capacity, a Critical level is low', () => {
    assert.equal(batteryLow({ name: 'ups', capacityLevel: 'Critical', status: 'Discharging' }, 15).low, true);
    assert.equal(batteryLow({ name: 'ups', capacityLevel: 'Low', status: 'Discharging' }, 15).low, false);
    assert.equal(batteryLow({ name: 'ups' }, 15).low, false);
  });
});

describe('UPS: GPIO readings', () => {
  it('reads both libgpiod versions', () => {
    assert.equal(parseGpioget('1\n'), 1);
    assert.equal(parseGpioget('0'), 0);
    assert.equal(parseGpioget('"6"=active\n'), 1);
    assert.equal(parseGpioget('"GPIO6"=inactive'), 0);
    assert.equal(parseGpioget('gpioget: error'), undefined);
  });

  it('two low readings in a row, not one glitch', () => {
    let s = 0;
    for (const low of [true, false, true]) s = lowStreak(s, low);
    assert.equal(s, 1);
    assert.equal(lowStreak(s, true), 2);
  });
});
