import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timingConfigSchema, timingSettingsOf } from '../../../../src/config/timing.js';
import type { TimingSettings } from '../../../../src/recorder/timing/run-timing.js';

describe('cameras[].timing config', () => {
  it('{} keeps frame timestamps, no TTL', () => {
    assert.deepEqual(timingSettingsOf(timingConfigSchema.parse({})), {});
    assert.equal(timingSettingsOf(undefined), undefined);
  });
  it('TTL defaults: gpiochip0, a 2 ms pulse per frame, both edges', () => {
    const t = timingSettingsOf(
      timingConfigSchema.parse({ ttl: { output: { line: 17 }, input: { lines: [22] } } }),
    );
    assert.deepEqual(t, {
      ttl: {
        output: { chip: 'gpiochip0', line: 17, on: 'frame', pulseMs: 2, activeLow: false },
        input: { chip: 'gpiochip0', lines: [22], edges: 'both', activeLow: false },
      },
    });
  });
  it('rejects unknown keys and impossible values', () => {
    assert.equal(timingConfigSchema.safeParse({ ttl: { output: { line: 17, on: 'tick' } } }).success, false);
    assert.equal(timingConfigSchema.safeParse({ ttl: { input: { lines: [] } } }).success, false);
    assert.equal(timingConfigSchema.safeParse({ ttl: { output: { line: 17, pulseMs: 0 } } }).success, false);
    assert.equal(timingConfigSchema.safeParse({ frames: true }).success, false);
  });
});

describe('config → recorder settings', () => {
  it('the config’s shape is the recorder’s TimingSettings (checked by the compiler)', () => {
    const settings: TimingSettings | undefined = timingSettingsOf(
      timingConfigSchema.parse({ ttl: { output: { line: 1 } } }),
    );
    assert.equal(settings?.ttl?.output?.line, 1);
  });
});
