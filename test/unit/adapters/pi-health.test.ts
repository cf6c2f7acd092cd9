import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseThrottled, readPiHealth } from '../../../src/adapters/pi-health.js';
import type { ProcessRunner } from '../../../src/adapters/process-runner.js';

const runner = (stdout: string, code = 0): ProcessRunner => ({
  run: () => Promise.resolve({ code, signal: null, stdout: Buffer.from(stdout), stderr: '' }) as never,
});

describe('station health from sysfs and vcgencmd', () => {
  it('reads the thermal zone (millidegrees) and the throttled bits now set', async () => {
    const root = await mkdtemp(join(tmpdir(), 'outpost-sys-'));
    try {
      await mkdir(join(root, 'class/thermal/thermal_zone0'), { recursive: true });
      await writeFile(join(root, 'class/thermal/thermal_zone0/temp'), '61832\n');
      assert.deepEqual(await readPiHealth({ sysRoot: root, runner: runner('throttled=0x50005\n') }), {
        temperatureC: 61.8,
        throttled: true,
      });
      // Only "has happened" bits (16–19): not throttled now.
      assert.equal(
        (await readPiHealth({ sysRoot: root, runner: runner('throttled=0x50000\n') })).throttled,
        false,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('says unknown (null) where the machine has neither', async () => {
    const root = await mkdtemp(join(tmpdir(), 'outpost-sys-'));
    try {
      assert.deepEqual(await readPiHealth({ sysRoot: root, runner: runner('', 127) }), {
        temperatureC: null,
        throttled: null,
      });
      assert.equal(parseThrottled('error'), null);
      assert.equal(parseThrottled('throttled=0x0'), false);
      assert.equal(parseThrottled('throttled=0x4'), true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
