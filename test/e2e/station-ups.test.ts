import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { outpost, spawnOutpost } from '../kit/cli.js';

const work = mkdtempSync(join(tmpdir(), 'outpost-station-ups-'));
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * The real station with a UPS read from a fake /sys/class/power_supply: when the battery runs low
 * it stops by itself, cleanly (exit 0). `powerOff: false`: the test machine stays on.
 */
describe('outpost station: UPS battery low', () => {
  it('stops cleanly when the battery is low (two readings in a row)', async () => {
    const supply = join(work, 'power_supply');
    const bat = join(supply, 'BAT0');
    mkdirSync(bat, { recursive: true });
    const write = (capacity: number, status: string): void => {
      writeFileSync(join(bat, 'type'), 'Battery\n');
      writeFileSync(join(bat, 'capacity'), `${capacity}\n`);
      writeFileSync(join(bat, 'status'), `${status}\n`);
    };
    write(80, 'Discharging');
    const lib = join(work, 'library');
    assert.equal((await outpost(['init-drive', lib, '--label', 'A'])).code, 0);
    const cfg = join(work, 'config.yaml');
    writeFileSync(
      cfg,
      'station:\n' +
        `  statusFile: ${join(work, 'run', 'status.json')}\n` +
        `  clock:\n    stateFile: ${join(work, 'state', 'clock.json')}\n` +
        '  devices:\n    manage: false\n' +
        `  ups:\n    source: power-supply\n    powerSupplyRoot: ${supply}\n    pollSeconds: 0.5\n    finishSeconds: 5\n    powerOff: false\n`,
    );
    const station = spawnOutpost(
      ['station', '--library', lib, '--watch', join(work, 'media'), '--no-server', '--log-level', 'info'],
      { OUTPOST_CONFIG: cfg },
    );
    let log = '';
    station.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    const exited = new Promise<number | null>((r) => station.on('close', (c) => r(c)));
    try {
      for (let i = 0; i < 40 && !/watching the UPS battery/.test(log); i++) await sleep(250);
      assert.match(log, /watching the UPS battery/);
      await sleep(1500);
      assert.equal(station.exitCode, null, 'still running on a full battery');
      write(9, 'Discharging');
      const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
      assert.equal(code, 0, log.slice(-3000));
      assert.match(log, /UPS battery low: finishing the current file, then shutting down/);
      assert.match(log, /battery BAT0 at 9 %/);
      assert.match(log, /powerOff is false, the machine stays on/);
    } finally {
      if (station.exitCode === null) station.kill('SIGTERM');
      await exited;
    }
  });
});
