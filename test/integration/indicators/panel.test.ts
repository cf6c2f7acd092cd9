import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Looks } from '../../../src/core/indicators.js';
import { DEFAULT_SYSFS_LEDS } from '../../../src/config/leds.js';
import { ledModesFor, lookFromModes, type LedDriver, type LedMode } from '../../../src/indicators/driver.js';
import { IndicatorPanel } from '../../../src/indicators/panel.js';
import { VirtualLedDriver } from '../../../src/indicators/virtual.js';

/** A virtual driver that records every write and can be told to fail one LED. */
class RecordingDriver extends VirtualLedDriver implements LedDriver {
  readonly writes: string[] = [];
  failing: string | undefined;
  override async set(led: string, mode: LedMode): Promise<void> {
    if (led === this.failing) throw new Error(`boom ${led}`);
    this.writes.push(`${led}=${mode}`);
    await super.set(led, mode);
  }
}

const ALL_OFF: Looks = { CARD: 'off', DRIVE_A: 'off', DRIVE_B: 'off', BACKUP: 'off', UPLINK: 'off' };

describe('indicator panel', () => {
  it('maps looks to green/red LEDs and back, never lighting both', () => {
    for (const look of ['green', 'green-flash', 'red', 'red-flash', 'off'] as const) {
      const m = ledModesFor(look);
      assert.ok(m.green === 'off' || m.red === 'off', look);
      assert.equal(lookFromModes(m.green, m.red), look);
    }
    assert.equal(lookFromModes('on', 'on'), undefined);
  });

  it('writes every LED first, then only what changed', async () => {
    const d = new RecordingDriver();
    const panel = new IndicatorPanel(d, DEFAULT_SYSFS_LEDS);
    await panel.apply(ALL_OFF);
    assert.equal(d.writes.length, 10);
    d.writes.length = 0;
    await panel.apply(ALL_OFF);
    assert.deepEqual(d.writes, []);
    await panel.apply({ ...ALL_OFF, CARD: 'green' });
    assert.deepEqual(d.writes, ['outpost-card-green=on']);
    d.writes.length = 0;
    await panel.apply({ ...ALL_OFF, CARD: 'red-flash' });
    // Green off before red on: a bi-colour LED never shows amber in between.
    assert.deepEqual(d.writes, ['outpost-card-green=off', 'outpost-card-red=flash']);
    assert.deepEqual(panel.current(), { ...ALL_OFF, CARD: 'red-flash' });
  });

  it('a burst of applies collapses into the latest', async () => {
    const d = new RecordingDriver();
    const panel = new IndicatorPanel(d, DEFAULT_SYSFS_LEDS);
    await panel.apply(ALL_OFF);
    d.writes.length = 0;
    const p1 = panel.apply({ ...ALL_OFF, UPLINK: 'green' });
    const p2 = panel.apply({ ...ALL_OFF, UPLINK: 'red' });
    const p3 = panel.apply({ ...ALL_OFF, UPLINK: 'green-flash' });
    await Promise.all([p1, p2, p3]);
    assert.equal(d.get('outpost-uplink-green'), 'flash');
    assert.equal(d.get('outpost-uplink-red'), 'off');
    assert.ok(d.writes.length <= 2, d.writes.join(' '));
  });

  it('a failed write is retried by the next apply', async () => {
    const d = new RecordingDriver();
    const panel = new IndicatorPanel(d, DEFAULT_SYSFS_LEDS);
    await panel.apply(ALL_OFF);
    d.failing = 'outpost-backup-red';
    await assert.rejects(panel.apply({ ...ALL_OFF, BACKUP: 'red' }), /boom/);
    d.failing = undefined;
    d.writes.length = 0;
    await panel.apply({ ...ALL_OFF, BACKUP: 'red' });
    assert.deepEqual(d.writes, ['outpost-backup-red=on']);
  });

  it('lists its LED names for check() and turns them off on close', async () => {
    const d = new RecordingDriver();
    const panel = new IndicatorPanel(d, DEFAULT_SYSFS_LEDS);
    assert.equal(new Set(panel.ledNames()).size, 10);
    await panel.apply({ ...ALL_OFF, DRIVE_A: 'green', DRIVE_B: 'red-flash' });
    await panel.close();
    assert.ok(Object.values(d.snapshot()).every((m) => m === 'off'));
  });
});
