import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkDeleteGuard,
  incomingDeletions,
  planItem,
  planMirror,
  type PlanRow,
  type SideItem,
} from '../../../src/drives/mirror-plan.js';
import type { Op } from '../../../src/core/ops.js';

const ID = 'ab'.repeat(32);

function side(over: Partial<PlanRow> = {}, extra: Partial<SideItem> = {}): SideItem {
  return {
    row: {
      id: ID,
      state: 'stored',
      path: 'library/Ana/2024-06-01/x.jpg',
      monitor: 'Ana',
      size: 100,
      deleted: 0,
      has_thumb: 1,
      has_preview: 1,
      has_poster: 0,
      has_video: 0,
      ...over,
    },
    companions: [],
    ...extra,
  };
}

function op(id: string, value: unknown, hlc: string, field = 'deleted'): Op {
  return { entity: 'item', id, field, value, hlc, origin: 'n' };
}

describe('mirror planner', () => {
  it('copies an item the other drive lacks, whichever side it is on', () => {
    assert.deepEqual(planItem({ id: ID, a: side() }), [
      { kind: 'copy-item', id: ID, from: 'a', to: 'b', bytes: 100 },
    ]);
    const withWav = side({}, { companions: [{ ext: 'wav', sha256: 'c'.repeat(64), size: 7 }] });
    assert.deepEqual(planItem({ id: ID, b: withWav }), [
      { kind: 'copy-item', id: ID, from: 'b', to: 'a', bytes: 107 },
    ]);
  });

  it('treats pending rows as absent and does nothing when neither side stores it', () => {
    assert.deepEqual(planItem({ id: ID, a: side({ state: 'pending' }) }), []);
    assert.deepEqual(planItem({ id: ID, a: side(), b: side({ state: 'pending' }) })[0]?.kind, 'copy-item');
  });

  it('never copies a tombstoned item: gives the other drive the tombstone row and purges', () => {
    const actions = planItem({ id: ID, a: side({ deleted: 1 }, { originalPresent: true }) });
    assert.deepEqual(actions, [
      { kind: 'copy-tombstone', id: ID, from: 'a', to: 'b' },
      { kind: 'purge', id: ID, side: 'a', original: true },
    ]);
    assert.ok(!actions.some((x) => x.kind === 'copy-item'));
  });

  it('purges only when both catalogues say deleted', () => {
    assert.deepEqual(planItem({ id: ID, a: side({ deleted: 1 }, { originalPresent: true }), b: side() }), []);
    const both = planItem({
      id: ID,
      a: side({ deleted: 1 }, { originalPresent: true }),
      b: side({ deleted: 1, has_thumb: 0, has_preview: 0 }, { originalPresent: false }),
    });
    assert.deepEqual(both, [{ kind: 'purge', id: ID, side: 'a', original: true }]);
  });

  it('copies missing companions and derivatives both ways; reports differing companions', () => {
    const a = side({ has_poster: 0 }, { companions: [{ ext: 'wav', sha256: '1'.repeat(64), size: 5 }] });
    const b = side(
      { has_thumb: 0, has_poster: 1 },
      { companions: [{ ext: 'thm', sha256: '2'.repeat(64), size: 3 }] },
    );
    const kinds = planItem({ id: ID, a, b }).map((x) =>
      x.kind === 'copy-companion'
        ? `${x.kind}:${x.ext}:${x.from}`
        : x.kind === 'copy-derived'
          ? `${x.kind}:${x.rendition}:${x.from}`
          : x.kind,
    );
    assert.deepEqual(kinds.sort(), [
      'copy-companion:thm:b',
      'copy-companion:wav:a',
      'copy-derived:poster:b',
      'copy-derived:thumb:a',
    ]);
    const conflict = planItem({
      id: ID,
      a: side({}, { companions: [{ ext: 'wav', sha256: '1'.repeat(64), size: 5 }] }),
      b: side({}, { companions: [{ ext: 'wav', sha256: '3'.repeat(64), size: 5 }] }),
    });
    assert.deepEqual(conflict, [{ kind: 'companion-conflict', id: ID, ext: 'wav' }]);
  });

  it('ignores differing sidecars (they are rewritten from the merged catalogue)', () => {
    const a = side({}, { companions: [{ ext: 'xmp', sha256: '1'.repeat(64), size: 5 }] });
    const b = side({}, { companions: [{ ext: 'xmp', sha256: '2'.repeat(64), size: 6 }] });
    assert.deepEqual(planItem({ id: ID, a, b }), []);
  });

  it('moves an item whose folder is not its monitor, and settles differing monitors the same way from either side', () => {
    const benPath = 'library/Ben/2024-06-01/x.jpg';
    assert.deepEqual(planItem({ id: ID, a: side({ monitor: 'Ben' }), b: side({ monitor: 'Ben' }) }), [
      { kind: 'relocate', id: ID, side: 'a', path: benPath },
      { kind: 'relocate', id: ID, side: 'b', path: benPath },
    ]);
    const ana = side();
    const ben = side({ monitor: 'Ben', path: 'library/Ben/2024-06-01/x.jpg' });
    const ab = planItem({ id: ID, a: ana, b: ben });
    const ba = planItem({ id: ID, a: ben, b: ana });
    const anaPath = 'library/Ana/2024-06-01/x.jpg';
    assert.deepEqual(ab, [
      { kind: 'settle-monitor', id: ID, monitor: 'Ana' },
      { kind: 'relocate', id: ID, side: 'b', path: anaPath },
    ]);
    assert.deepEqual(ba, [
      { kind: 'settle-monitor', id: ID, monitor: 'Ana' },
      { kind: 'relocate', id: ID, side: 'a', path: anaPath },
    ]);
  });

  it('the same bytes filed under different download dates meet at the earlier one, from either side', () => {
    const early = side({ path: 'library/Ana/2024-06-01/x.jpg' });
    const late = side({ path: 'library/Ana/2024-06-03/x.jpg' });
    const move = { kind: 'relocate', id: ID, path: 'library/Ana/2024-06-01/x.jpg' };
    assert.deepEqual(planItem({ id: ID, a: early, b: late }), [{ ...move, side: 'b' }]);
    assert.deepEqual(planItem({ id: ID, a: late, b: early }), [{ ...move, side: 'a' }]);
    assert.deepEqual(planItem({ id: ID, a: early, b: early }), [], 'same path: nothing to do');
  });

  it('orders purges first and sums bytes per direction', () => {
    const other = 'cd'.repeat(32);
    const plan = planMirror([
      { id: ID, a: side() },
      {
        id: other,
        b: side({ id: other, deleted: 1 }, { originalPresent: true }),
        a: side({ id: other, deleted: 1 }),
      },
      { id: 'ef'.repeat(32), b: side({ size: 40 }) },
    ]);
    assert.equal(plan.actions[0]!.kind, 'purge');
    assert.deepEqual(plan.bytes, { aToB: 100, bToA: 40 });
  });
});

describe('deletion guard', () => {
  it('counts the latest incoming tombstone per live item only', () => {
    const x = 'x'.repeat(64);
    const y = 'y'.repeat(64);
    const z = 'z'.repeat(64);
    const ops = [
      op(x, true, '1'),
      op(x, false, '2'), // undeleted later: not a deletion
      op(y, true, '1'),
      op(y, true, '3'),
      op(z, true, '1'), // not live on the receiver
      op(x, 5, '9', 'rating'),
    ];
    assert.deepEqual(
      incomingDeletions(ops, (id) => id !== z),
      [y],
    );
  });

  it('breaches only above the share, per drive', () => {
    const ok = checkDeleteGuard(
      { a: { deletions: 5, liveItems: 100 }, b: { deletions: 0, liveItems: 0 } },
      0.05,
    );
    assert.equal(ok, undefined);
    const bad = checkDeleteGuard(
      { a: { deletions: 1, liveItems: 100 }, b: { deletions: 6, liveItems: 100 } },
      0.05,
    );
    assert.deepEqual(bad, { side: 'b', deletions: 6, liveItems: 100, share: 0.06 });
  });
});
