/**
 * The real `outpost scrub` CLI on two drives made by the real `init-drive`, `ingest` and
 * `mirror`: a bit flipped on drive B is reported (exit 1), repaired from A with --repair (the
 * corrupt bytes quarantined), and the next scrub is clean (exit 0).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { openCatalog } from '../../src/library/catalog/open.js';
import type { ScrubSummary } from '../../src/drives/scrub-types.js';
import { json, outpost } from '../kit/cli.js';
import { makeTempDir } from '../kit/mounts.js';
import { makePhotoCard, treeHashes } from '../integration/drives/helpers.js';
import { sqliteOf } from '../../src/library/catalog/handle.js';

let work: string;

async function ok(args: string[]): Promise<void> {
  const r = await outpost(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
}

describe('outpost scrub (CLI)', () => {
  before(async () => {
    work = await makeTempDir('outpost-scrub-e2e-');
  });

  it('reports a bit-flip, repairs it from the partner, then scrubs clean', async () => {
    const a = join(work, 'A');
    const b = join(work, 'B');
    await ok(['init-drive', a]);
    await ok(['init-drive', b]);
    makePhotoCard(join(work, 'card'), 0, 8, true);
    await ok(['ingest', join(work, 'card'), '--library', a, '--monitor', 'Ana', '--json', '--no-progress']);
    await ok(['mirror', a, b, '--json', '--no-progress']);

    const cat = await openCatalog(join(b, '.outpost', 'catalog.sqlite'));
    const { id, path } = sqliteOf(cat)
      .prepare('select id, path from items order by path limit 1 offset 3')
      .get() as {
      id: string;
      path: string;
    };
    await cat.close();
    const file = join(b, path);
    const bytes = readFileSync(file);
    bytes[100]! ^= 0x01;
    writeFileSync(file, bytes);

    // Check only: found, not repaired, exit 1 (SCRUB_DAMAGE).
    const check = await outpost(['scrub', b, '--json', '--no-progress']);
    assert.equal(check.code, 1, check.stderr);
    const s1 = json<ScrubSummary>(check);
    assert.deepEqual(
      s1.bad.map((f) => [f.code, f.path]),
      [['CORRUPT', path]],
    );
    assert.equal(s1.unrepaired[0]?.reason, 'NOT_ATTEMPTED');
    assert.ok(s1.checked >= 8);
    for (const k of ['checked', 'bytes', 'bad', 'repaired', 'unrepaired', 'seconds'] as const)
      assert.ok(k in s1, `summary has ${k}`);

    // --repair without --partner is a usage error.
    const usage = await outpost(['scrub', b, '--repair', '--json']);
    assert.equal(usage.code, 2);

    // Repair from A (rate-limited, still quick on this small library).
    const fix = await outpost([
      'scrub',
      b,
      '--partner',
      a,
      '--repair',
      '--rate',
      '50',
      '--json',
      '--no-progress',
    ]);
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    const s2 = json<ScrubSummary>(fix);
    assert.deepEqual(
      s2.repaired.map((r) => r.path),
      [path],
    );
    assert.equal(s2.openDamage, 0);
    assert.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), id);
    assert.deepEqual(readFileSync(join(b, s2.repaired[0]!.quarantine!)), bytes, 'corrupt bytes quarantined');
    assert.deepEqual(treeHashes(b), treeHashes(a));

    const clean = await outpost(['scrub', b, '--json', '--no-progress']);
    assert.equal(clean.code, 0, clean.stderr);
    assert.deepEqual(json<ScrubSummary>(clean).bad, []);

    // Human output names the damage and what to do.
    const flip = readFileSync(file);
    flip[200]! ^= 0x01;
    writeFileSync(file, flip);
    const human = await outpost(['scrub', b, '--no-progress']);
    assert.equal(human.code, 1);
    assert.match(human.stdout, /NOT REPAIRED \[CORRUPT\]/);
    assert.match(human.stdout, /what to do: .*--repair/);
  });
});
