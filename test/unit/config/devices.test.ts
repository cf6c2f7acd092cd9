import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/load.js';
import { isOutpostError } from '../../../src/core/errors.js';

describe('config: station.devices', () => {
  it('defaults: the station manages its devices under /run/outpost/media, no loop devices', () => {
    const c = parseConfig({}, 'test');
    assert.deepEqual(c.station.devices, {
      manage: true,
      includeLoop: false,
      mountRoot: '/run/outpost/media',
      powerOff: false,
    });
    assert.equal(c.station.controlSocket, undefined);
  });

  it('a test station: loop devices below a folder, its own mount root, an eject button', () => {
    const c = parseConfig(
      {
        station: {
          devices: { includeLoop: true, loopFilesUnder: '/tmp/x', mountRoot: '/tmp/x/mnt' },
          controlSocket: '/tmp/x/ctl.sock',
        },
      },
      'test',
    );
    assert.equal(c.station.devices.includeLoop, true);
    assert.equal(c.station.devices.loopFilesUnder, '/tmp/x');
    assert.equal(c.station.controlSocket, '/tmp/x/ctl.sock');
    const b = parseConfig({ station: { devices: { ejectButton: { line: 26 } } } }, 'test');
    assert.deepEqual(b.station.devices.ejectButton, { chip: 'gpiochip0', line: 26 });
  });

  it('a mount root inside (or around) a watched root, or /, is refused while managing', () => {
    for (const [mountRoot, watchRoots] of [
      ['/media/outpost', ['/media']],
      ['/run', ['/run/media']],
      ['/', ['/media']],
      ['/media', ['/media']],
    ] as const) {
      assert.throws(
        () => parseConfig({ station: { watchRoots, devices: { mountRoot } } }, 'test'),
        (e: unknown) => isOutpostError(e) && /station\.devices\.mountRoot/.test(e.message),
        mountRoot,
      );
    }
    // Not managing: the mount root is not used.
    parseConfig(
      { station: { watchRoots: ['/media'], devices: { manage: false, mountRoot: '/media/x' } } },
      't',
    );
    // A sibling with a common prefix is fine.
    parseConfig({ station: { watchRoots: ['/media'], devices: { mountRoot: '/media2' } } }, 't');
  });
});
