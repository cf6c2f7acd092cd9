/**
 * Issue 5 §2 faults, for real: `outpost mirror` as a child process killed with SIGKILL at
 * seeded moments, many times; after every kill both drives are judged from the outside (no
 * half-file under library/: every original is named by its own hash, nothing stray), and the
 * next run resumes. Once a run completes, the two drives must be identical (catalogue rows,
 * companions, file hashes) and pass `fsck --hash`.
 *
 * The kill schedule comes from a seeded PRNG; replay with OUTPOST_FAULT_SEED=<n>.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyAttributes } from '../../src/library/attributes.js';
import { openCatalog } from '../../src/library/catalog/open.js';
import { recordLocalOps } from '../../src/library/catalog/ops.js';
import { outpost, spawnOutpost } from '../kit/cli.js';
import { auditLibrary } from '../kit/library-audit.js';
import { makeTempDir, registerMountCleanup } from '../kit/mounts.js';
import { catalogueState, makePhotoCard, treeHashes } from '../integration/drives/helpers.js';
import { prng } from '../kit/prng.js';
import { sqliteOf } from '../../src/library/catalog/handle.js';

registerMountCleanup();

const SEED = Number(process.env.OUTPOST_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MIN_KILLS = 20;

let work: string;
let env: Record<string, string>;

async function run(args: string[]): Promise<void> {
  const r = await outpost(args, { env });
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
}

/** Template drives: A with photos and eight 6 MB "videos" (random bytes), B with other photos, edits and a deletion. */
async function makeTemplates(): Promise<{ a: string; b: string }> {
  const a = join(work, 'tpl-A');
  const b = join(work, 'tpl-B');
  await run(['init-drive', a]);
  await run(['init-drive', b]);
  const cardA = join(work, 'cardA');
  makePhotoCard(cardA, 0, 14, true);
  const vid = join(cardA, 'DCIM', '101VIDEO');
  mkdirSync(vid, { recursive: true });
  for (let i = 0; i < 8; i++) writeFileSync(join(vid, `MVI_${1000 + i}.MP4`), randomBytes(6 * 1024 * 1024));
  const cardB = join(work, 'cardB');
  makePhotoCard(cardB, 10, 26);
  await run(['ingest', cardA, '--library', a, '--monitor', 'Ana', '--json', '--no-progress']);
  await run(['ingest', cardB, '--library', b, '--monitor', 'Ben', '--json', '--no-progress']);
  const catA = await openCatalog(join(a, '.outpost', 'catalog.sqlite'));
  const catB = await openCatalog(join(b, '.outpost', 'catalog.sqlite'));
  try {
    const idsA = (sqliteOf(catA).prepare('select id from items order by id').all() as { id: string }[]).map(
      (r) => r.id,
    );
    const idsB = (sqliteOf(catB).prepare('select id from items order by id').all() as { id: string }[]).map(
      (r) => r.id,
    );
    const ctx = { node: 'station-e2e', nowMs: Date.parse('2024-06-02T10:00:00Z') };
    await applyAttributes(catA, a, idsA.slice(0, 5), { rating: 4, tags: ['river'] }, ctx);
    await applyAttributes(catB, b, idsB.slice(0, 5), { event: 'EV-B' }, { ...ctx, nowMs: ctx.nowMs + 1000 });
    await recordLocalOps(
      catB,
      [{ entity: 'item', id: idsB.at(-1)!, field: 'deleted', value: true }],
      'station-e2e',
      ctx.nowMs + 2000,
    );
  } finally {
    await catA.close();
    await catB.close();
  }
  return { a, b };
}

function fresh(tpl: { a: string; b: string }, name: string): { a: string; b: string } {
  const a = join(work, `${name}-A`);
  const b = join(work, `${name}-B`);
  execFileSync('cp', ['-a', tpl.a, a]);
  execFileSync('cp', ['-a', tpl.b, b]);
  return { a, b };
}

async function assertWhole(drive: string, when: string): Promise<void> {
  const audit = await auditLibrary(drive);
  assert.deepEqual(audit.misnamed, [], `${when}: half-written original in ${drive}`);
  assert.deepEqual(audit.stray, [], `${when}: stray file in ${drive}/library`);
}

describe('outpost mirror killed mid-pass', () => {
  let tpl: { a: string; b: string };
  before(async () => {
    work = await makeTempDir('outpost-mirror-faults-');
    const cfg = join(work, 'config.yaml');
    writeFileSync(cfg, 'log:\n  level: warn\nmirror:\n  maxDeleteShare: 0.5\n  minFreeBytes: 0\n');
    env = { OUTPOST_CONFIG: cfg };
    tpl = await makeTemplates();
  });

  it(`resumes after SIGKILL at seeded moments (seed ${SEED}) and ends identical`, async () => {
    process.stderr.write(`mirror-faults seed: ${SEED} (replay with OUTPOST_FAULT_SEED=${SEED})\n`);
    const rnd = prng(SEED);
    // Calibrate: how long an uninterrupted first pass takes, process start included.
    const cal = fresh(tpl, 'cal');
    const t0 = performance.now();
    await run(['mirror', cal.a, cal.b, '--json', '--no-progress']);
    const full = performance.now() - t0;
    let kills = 0;
    let cycle = 0;
    while (kills < MIN_KILLS) {
      const d = fresh(tpl, `c${cycle++}`);
      for (let attempt = 0; ; attempt++) {
        const child = spawnOutpost(['mirror', d.a, d.b, '--json', '--no-progress'], env);
        const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
        const delay = full * (0.1 + 0.9 * rnd());
        const winner = await Promise.race([exited, sleep(delay).then(() => 'kill' as const)]);
        if (winner === 'kill') {
          child.kill('SIGKILL');
          await exited;
          kills++;
          await assertWhole(d.a, `kill ${kills}`);
          await assertWhole(d.b, `kill ${kills}`);
          if (attempt < 40) continue;
        } else assert.equal(winner, 0, 'a mirror run failed');
        break;
      }
      // Whatever happened, one more run completes and the drives are the same.
      await run(['mirror', d.a, d.b, '--json', '--no-progress']);
      const [sa, sb] = [await catalogueState(d.a), await catalogueState(d.b)];
      assert.deepEqual(sb.items, sa.items, `cycle ${cycle}: catalogues differ`);
      assert.deepEqual(sb.companions, sa.companions, `cycle ${cycle}: companions differ`);
      assert.deepEqual(treeHashes(d.b), treeHashes(d.a), `cycle ${cycle}: file trees differ`);
      assert.deepEqual(
        treeHashes(d.a),
        treeHashes(cal.a),
        `cycle ${cycle}: differs from an uninterrupted mirror`,
      );
      for (const x of [d.a, d.b]) {
        const audit = await auditLibrary(x);
        assert.deepEqual(audit.tmp, [], 'tmp leftovers after a completed pass');
        const r = await outpost(['fsck', '--library', x, '--hash', '--json'], { env });
        assert.equal(r.code, 0, r.stdout);
      }
    }
    assert.ok(kills >= MIN_KILLS);
  });
});
