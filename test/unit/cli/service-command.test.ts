import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serviceCommand } from '../../../src/cli/commands/service.js';

describe('outpost service', () => {
  it('status is systemctl status of the unit', () => {
    assert.deepEqual(serviceCommand({ action: 'status' }), {
      cmd: 'systemctl',
      args: ['status', 'outpost', '--no-pager', '--lines=20'],
    });
  });
  it('logs is journalctl of the unit', () => {
    assert.deepEqual(serviceCommand({ action: 'logs', follow: false, lines: 100 }), {
      cmd: 'journalctl',
      args: ['--unit', 'outpost', '--lines', '100', '--no-pager'],
    });
    assert.deepEqual(serviceCommand({ action: 'logs', follow: true, lines: 20, since: '1 hour ago' }).args, [
      '--unit',
      'outpost',
      '--lines',
      '20',
      '--since',
      '1 hour ago',
      '--follow',
    ]);
  });
});
