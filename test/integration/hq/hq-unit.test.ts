import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../kit/paths.js';

/** docs/hq-deploy.md's unit: one HQ node per instance, checked as systemd would read it. */
describe('packaging/systemd/outpost-hq@.service', () => {
  it('passes systemd-analyze verify without a warning (and a broken copy does not)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-hq-unit-'));
    try {
      // verify wants ExecStart's program to exist: point it at this checkout.
      const unit = readFileSync(join(REPO_ROOT, 'packaging/systemd/outpost-hq@.service'), 'utf8').replaceAll(
        '/opt/outpost/current/bin/outpost',
        join(REPO_ROOT, 'bin/outpost'),
      );
      assert.match(unit, /--data \/var\/lib\/outpost-hq\/%i/);
      assert.match(unit, /OUTPOST_CONFIG=\/etc\/outpost\/hq-%i\.yaml/);
      writeFileSync(join(dir, 'outpost-hq@a.service'), unit);
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'outpost-hq@a.service')], {
        encoding: 'utf8',
      });
      assert.ok(!r.error, `systemd-analyze is missing (apt-get install systemd): ${r.error?.message}`);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr.trim(), '', 'no warning');
      writeFileSync(join(dir, 'outpost-hq@b.service'), unit.replace('RestartSec=2s', 'RestartSec=soon'));
      const bad = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'outpost-hq@b.service')], {
        encoding: 'utf8',
      });
      assert.match(bad.stderr, /RestartSec|Failed to parse/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
