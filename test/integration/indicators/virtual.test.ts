import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LedMode } from '../../../src/indicators/driver.js';
import { VirtualLedDriver } from '../../../src/indicators/virtual.js';
import { ledDriverContract } from './led-driver.contract.js';

const LEDS = Array.from({ length: 10 }, (_, i) => `led${i}`);

ledDriverContract('virtual', async () => {
  const driver = new VirtualLedDriver({ leds: LEDS });
  // The virtual driver is its own hardware.
  return { driver, leds: LEDS, missing: 'no-such-led', read: async (led) => driver.get(led) };
});

describe('virtual LED driver', () => {
  it('emits a change event only when a mode changes, and snapshots all LEDs', async () => {
    const d = new VirtualLedDriver();
    const seen: [string, LedMode][] = [];
    d.on('change', ({ led, mode }) => seen.push([led, mode]));
    await d.set('a', 'on');
    await d.set('a', 'on');
    await d.set('b', 'flash');
    await d.set('a', 'off');
    assert.deepEqual(seen, [
      ['a', 'on'],
      ['b', 'flash'],
      ['a', 'off'],
    ]);
    assert.deepEqual(d.snapshot(), { a: 'off', b: 'flash' });
    await d.check(['anything']); // without a list every name exists
    await d.close();
    assert.deepEqual(seen.at(-1), ['b', 'off']);
  });
});
