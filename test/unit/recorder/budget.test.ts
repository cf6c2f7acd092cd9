import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planBudget, type BudgetInput, type BudgetItem } from '../../../src/recorder/budget.js';

const MB = 1e6;
function item(id: string, camera: string, minute: number, uploaded: boolean, size = 10 * MB): BudgetItem {
  return { id, camera, size, uploaded, sortTime: `2026-05-01T10:${String(minute).padStart(2, '0')}:00` };
}
function input(items: BudgetItem[], o: Partial<BudgetInput> = {}): BudgetInput {
  return {
    items,
    freeBytes: 1000 * MB,
    totalBytes: 2000 * MB,
    minFreeBytes: 0,
    maxBytesPerCamera: {},
    deleteUnsent: false,
    ...o,
  };
}

describe('planBudget', () => {
  it('nothing to do within budget', () => {
    const p = planBudget(input([item('a', 'gate', 1, true)], { maxBytesPerCamera: { gate: 100 * MB } }));
    assert.deepEqual(p.delete, []);
    assert.deepEqual(p.warnings, []);
  });
  it('per-camera cap: oldest uploaded first, other cameras untouched', () => {
    const items = [
      item('g3', 'gate', 3, true),
      item('g1', 'gate', 1, true),
      item('g2', 'gate', 2, true),
      item('y1', 'yard', 0, true),
    ];
    const p = planBudget(input(items, { maxBytesPerCamera: { gate: 15 * MB } }));
    assert.deepEqual(
      p.delete.map((d) => d.id),
      ['g1', 'g2'],
    );
    assert.equal(p.freedBytes, 20 * MB);
  });
  it('never an item HQ has not confirmed: skipped, reported as blocked', () => {
    const items = [item('g1', 'gate', 1, false), item('g2', 'gate', 2, true), item('g3', 'gate', 3, false)];
    const p = planBudget(input(items, { maxBytesPerCamera: { gate: 10 * MB } }));
    assert.deepEqual(
      p.delete.map((d) => d.id),
      ['g2'],
    );
    assert.equal(p.shortBytes, 10 * MB);
    assert.deepEqual(
      p.warnings.map((w) => w.code),
      ['BACKLOG_NEAR_BUDGET', 'BUDGET_BLOCKED'],
    );
  });
  it('deleteUnsent: unsent items go too, oldest first', () => {
    const items = [item('g1', 'gate', 1, false), item('g2', 'gate', 2, true), item('g3', 'gate', 3, false)];
    const p = planBudget(input(items, { maxBytesPerCamera: { gate: 10 * MB }, deleteUnsent: true }));
    assert.deepEqual(
      p.delete.map((d) => d.id),
      ['g1', 'g2'],
    );
    assert.equal(p.shortBytes, 0);
  });
  it('free-space floor: oldest across cameras until enough is free', () => {
    const items = [item('g2', 'gate', 2, true), item('y1', 'yard', 1, true), item('y3', 'yard', 3, true)];
    const p = planBudget(input(items, { freeBytes: 5 * MB, minFreeBytes: 20 * MB }));
    assert.deepEqual(
      p.delete.map((d) => d.id),
      ['y1', 'g2'],
    );
  });
  it('floor blocked by unsent recordings: warning, nothing unsent deleted', () => {
    const p = planBudget(input([item('g1', 'gate', 1, false)], { freeBytes: 5 * MB, minFreeBytes: 20 * MB }));
    assert.deepEqual(p.delete, []);
    assert.equal(p.warnings[0]?.code, 'DRIVE_FLOOR_BLOCKED');
    assert.equal(p.warnings[0]?.unsentBytes, 10 * MB);
  });
  it('warns when the unsent backlog approaches the budget', () => {
    const items = [item('g1', 'gate', 1, false), item('g2', 'gate', 2, false)];
    const p = planBudget(input(items, { maxBytesPerCamera: { gate: 24 * MB } }));
    assert.deepEqual(p.delete, []);
    assert.equal(p.warnings.length, 1);
    assert.equal(p.warnings[0]?.code, 'BACKLOG_NEAR_BUDGET');
    assert.match(p.warnings[0]!.message, /83 %/);
  });
});
