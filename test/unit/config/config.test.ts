import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { OutpostError } from '../../../src/core/errors.js';

describe('config', () => {
  it('an empty config is all defaults', () => {
    const c = parseConfig({}, 'test');
    assert.deepEqual(c.station.watchRoots, ['/media', '/run/media']);
    assert.equal(c.ingest.thumbnailSize, 320);
    assert.equal(c.ingest.cleanup.policy, 'never');
  });

  it('reports every bad key in one error', () => {
    try {
      parseConfig(
        {
          bogus: 1,
          ingest: { thumbnailSize: 'big', nameTemplate: '{x}.jpg', extra: 2 },
          log: { level: 'loud' },
        },
        'f.yaml',
      );
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof OutpostError);
      assert.equal(e.code, 'CONFIG_INVALID');
      const problems = (e.details as { problems: string[] }).problems;
      for (const k of ['"bogus"', 'ingest.thumbnailSize', 'ingest.nameTemplate', '"extra"', 'log.level'])
        assert.ok(
          problems.some((p) => p.includes(k)),
          `${k} in ${problems.join(' | ')}`,
        );
    }
  });

  it('fleet: off by default; every bad key of the agent reported at once', () => {
    const d = parseConfig({}, 'test').fleet;
    assert.equal(d.enabled, false);
    assert.equal(d.broker.url, 'mqtt://127.0.0.1:1883');
    assert.equal(d.broker.root, 'outpost/fleet');
    assert.equal(d.homeAssistant.enabled, false);
    assert.throws(
      () =>
        parseConfig(
          {
            fleet: {
              enabled: true,
              station: 'conductor',
              broker: { url: 'http://x', root: 'a/+/b', caFile: 'rel.pem', port: 1 },
              cameras: ['cam1', 'cam/10'],
              keepaliveSeconds: 1,
            },
          },
          'f.yaml',
        ),
      (e: unknown) => {
        assert.ok(e instanceof OutpostError && e.code === 'CONFIG_INVALID');
        const problems = (e.details as { problems: string[] }).problems.join(' | ');
        for (const k of [
          'fleet.station',
          'fleet.broker.url',
          'fleet.broker.root',
          'fleet.broker.caFile',
          '"port"',
          'fleet.cameras.1',
          'fleet.keepaliveSeconds',
        ])
          assert.ok(problems.includes(k), `${k} in ${problems}`);
        return true;
      },
    );
  });

  it('a missing default file means defaults, a missing named file is an error; flags override', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    await assert.rejects(loadConfig(join(dir, 'nope.yaml')), /cannot read config/);
    const f = join(dir, 'c.yaml');
    writeFileSync(f, 'ingest:\n  previewSize: 2048\nstation:\n  pollIntervalMs: 500\n');
    const c = await loadConfig(f, { station: { watchRoots: ['/mnt'] } });
    assert.equal(c.ingest.previewSize, 2048);
    assert.equal(c.station.pollIntervalMs, 500);
    assert.deepEqual(c.station.watchRoots, ['/mnt']);
    writeFileSync(f, 'ingest: [unclosed\n');
    await assert.rejects(loadConfig(f), /not valid YAML/);
  });
});

describe('config: indicators and drive health', () => {
  it('defaults: virtual LEDs named like the README overlay lines, 500 ms flashes, 90/98 % and 1 GB', () => {
    const c = parseConfig({}, 'test');
    assert.equal(c.indicators.driver, 'virtual');
    assert.equal(c.indicators.sysfsRoot, '/sys/class/leds');
    assert.equal(c.indicators.gpiochip, 'gpiochip0');
    assert.equal(c.indicators.flashMs, 500);
    assert.deepEqual(c.indicators.leds.CARD, { green: 'outpost-card-green', red: 'outpost-card-red' });
    assert.deepEqual(c.indicators.leds.UPLINK, { green: 'outpost-uplink-green', red: 'outpost-uplink-red' });
    assert.deepEqual(c.drives.health, {
      warnUsedFraction: 0.9,
      fullUsedFraction: 0.98,
      minFreeBytes: 1_000_000_000,
    });
  });

  it('the gpiod driver defaults to the README wiring; set indicators keep their LEDs', () => {
    const c = parseConfig(
      {
        indicators: { driver: 'gpiod', gpiochip: 'gpiochip4', leds: { BACKUP: { green: '20', red: '21' } } },
      },
      'test',
    );
    assert.deepEqual(c.indicators.leds.CARD, { green: '17', red: '27' });
    assert.deepEqual(c.indicators.leds.BACKUP, { green: '20', red: '21' });
    assert.equal(c.indicators.gpiochip, 'gpiochip4');
  });

  it('reports every bad indicator and health key at once', () => {
    try {
      parseConfig(
        {
          indicators: {
            driver: 'blinkenlights',
            flashMs: 10,
            sysfsRoot: 'leds',
            colour: 'blue',
            leds: { CARD: { green: 'a/b', red: 'x', amber: 'y' }, FAN: { green: 'f', red: 'g' } },
          },
          drives: { health: { warnUsedFraction: 1.5, minFreeBytes: -1 }, spare: true },
        },
        'f.yaml',
      );
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof OutpostError);
      const problems = (e.details as { problems: string[] }).problems;
      for (const k of [
        'indicators.driver',
        'indicators.flashMs',
        'indicators.sysfsRoot',
        '"colour"',
        'indicators.leds.CARD.green',
        '"amber"',
        '"FAN"',
        'drives.health.warnUsedFraction',
        'drives.health.minFreeBytes',
        '"spare"',
      ])
        assert.ok(
          problems.some((p) => p.includes(k)),
          `${k} in ${problems.join(' | ')}`,
        );
    }
  });

  it('refuses a warning threshold above the full one, and one LED used twice', () => {
    assert.throws(
      () => parseConfig({ drives: { health: { warnUsedFraction: 0.99, fullUsedFraction: 0.95 } } }, 't'),
      /drives\.health\.warnUsedFraction: warnUsedFraction must be below fullUsedFraction/,
    );
    assert.throws(
      () => parseConfig({ indicators: { leds: { CARD: { green: 'led1', red: 'led1' } } } }, 't'),
      /indicators\.leds\.CARD\.red: LED "led1" is already used by CARD\.green/,
    );
  });
});
