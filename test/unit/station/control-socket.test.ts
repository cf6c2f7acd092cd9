import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../src/adapters/logger.js';
import { OutpostError, isOutpostError } from '../../../src/core/errors.js';
import {
  controlRequest,
  controlSocketPath,
  parseControlRequest,
  startControlSocket,
} from '../../../src/station/control-socket.js';

const dir = () => mkdtempSync(join(tmpdir(), 'outpost-ctl-'));

describe('station control socket (outpost eject)', () => {
  it('lives next to the status file unless configured', () => {
    assert.equal(controlSocketPath({ statusFile: '/run/outpost/status.json' }), '/run/outpost/control.sock');
    assert.equal(controlSocketPath({ statusFile: '/x/s.json', controlSocket: '/y/c.sock' }), '/y/c.sock');
  });

  it('parses only the requests it knows', () => {
    assert.deepEqual(parseControlRequest('{"op":"eject","target":"B"}'), { op: 'eject', target: 'B' });
    for (const bad of ['', 'nope', '{"op":"eject","target":"C"}', '{"op":"format"}', 'null'])
      assert.throws(() => parseControlRequest(bad), /control request/);
  });

  it('answers a request, passes typed errors back, root-only socket', async () => {
    const path = join(dir(), 'control.sock');
    const seen: string[] = [];
    const server = await startControlSocket(
      path,
      async (req) => {
        seen.push(req.target);
        if (req.target === 'B')
          throw new OutpostError('DEVICE_BUSY', 'drive B is still in use (used by bash (pid 4))', {
            details: { detail: 'used by bash (pid 4)' },
          });
        return { target: req.target, state: 'safe-to-remove' };
      },
      silentLogger,
    );
    try {
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.deepEqual(await controlRequest(path, { op: 'eject', target: 'A' }), {
        target: 'A',
        state: 'safe-to-remove',
      });
      await assert.rejects(
        controlRequest(path, { op: 'eject', target: 'B' }),
        (e: unknown) =>
          isOutpostError(e) &&
          e.code === 'DEVICE_BUSY' &&
          /used by bash/.test(e.message) &&
          e.exitCode === 4 &&
          (e.details as { detail: string }).detail === 'used by bash (pid 4)',
      );
      // Garbage gets a clear error, not a hang.
      const answer = await new Promise<string>((resolve) => {
        const c = createConnection(path);
        let buf = '';
        c.on('connect', () => c.write('hello\n'));
        c.on('data', (d) => (buf += d.toString()));
        c.on('end', () => resolve(buf));
      });
      assert.match(answer, /"ok":false.*INVALID_INPUT/);
      // A second station on the same socket is refused; the first keeps it.
      await assert.rejects(
        startControlSocket(path, async () => 1, silentLogger),
        /another station already answers/,
      );
      assert.deepEqual(seen, ['A', 'B']);
    } finally {
      await server.close();
    }
    await assert.rejects(
      controlRequest(path, { op: 'eject', target: 'A' }),
      (e: unknown) => isOutpostError(e) && e.code === 'STATION_NOT_RUNNING',
    );
  });

  it('takes over a stale socket left by a station that died', async () => {
    const path = join(dir(), 'control.sock');
    // What a station killed with SIGKILL leaves: a socket file nobody listens on.
    execFileSync('python3', [
      '-c',
      `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(path)})`,
    ]);
    assert.ok(statSync(path).isSocket());
    const second = await startControlSocket(path, async () => 'second', silentLogger);
    try {
      assert.equal(await controlRequest(path, { op: 'eject', target: 'card' }), 'second');
    } finally {
      await second.close();
    }
  });
});
