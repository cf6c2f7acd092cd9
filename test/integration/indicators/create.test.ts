import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/load.js';
import { IDLE_STATION, indicatorViews, looksOf } from '../../../src/core/indicators.js';
import { OutpostError } from '../../../src/core/errors.js';
import { createLedDriver, openIndicatorPanel } from '../../../src/indicators/create.js';
import { FakeGpio } from './fake-gpio.js';

const runner = new FakeGpio(2);

describe('indicator panel from config', () => {
  it('none gives no panel; virtual and gpiod give their drivers', async () => {
    assert.equal(
      await openIndicatorPanel(parseConfig({ indicators: { driver: 'none' } }, 't').indicators, { runner }),
      undefined,
    );
    const v = await openIndicatorPanel(parseConfig({}, 't').indicators, { runner });
    assert.equal(v?.driver.kind, 'virtual');
    await v?.panel.apply(looksOf(indicatorViews(IDLE_STATION)));
    assert.equal(v?.panel.current()?.DRIVE_A, 'red-flash');
    await v?.panel.close();
    const g = createLedDriver(parseConfig({ indicators: { driver: 'gpiod' } }, 't').indicators, { runner });
    assert.equal(g?.kind, 'gpiod');
  });

  it('sysfs: a tree with the README overlay labels opens; a missing LED fails at start naming it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'leds-'));
    const cfg = parseConfig({ indicators: { driver: 'sysfs', sysfsRoot: root } }, 't').indicators;
    const names = Object.values(cfg.leds).flatMap((p) => [p.green, p.red]);
    for (const n of names.slice(1)) {
      mkdirSync(join(root, n));
      writeFileSync(join(root, n, 'brightness'), '0\n');
      writeFileSync(join(root, n, 'max_brightness'), '1\n');
      writeFileSync(join(root, n, 'trigger'), '[none] timer heartbeat\n');
    }
    await assert.rejects(openIndicatorPanel(cfg, { runner }), (e) => {
      assert.ok(e instanceof OutpostError);
      assert.match(e.message, /outpost-card-green/);
      return true;
    });
    mkdirSync(join(root, names[0]!));
    writeFileSync(join(root, names[0]!, 'trigger'), '[none] timer\n');
    const opened = await openIndicatorPanel(cfg, { runner });
    assert.equal(opened?.driver.kind, 'sysfs');
    await opened?.panel.close();
    rmSync(root, { recursive: true });
  });
});
