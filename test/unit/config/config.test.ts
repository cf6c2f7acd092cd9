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
