import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DRIVE_HEALTH, driveHealth, formatSize } from '../../../src/core/drive-health.js';

const TB = 1_000_000_000_000;
const GB = 1_000_000_000;
const at = (usedFraction: number, total = TB) => ({
  totalBytes: total,
  freeBytes: total - usedFraction * total,
});

describe('drive health', () => {
  it('defaults: warn at 90 %, full at 98 % or < 1 GB', () => {
    assert.deepEqual(
      { ...DEFAULT_DRIVE_HEALTH },
      { warnUsedFraction: 0.9, fullUsedFraction: 0.98, minFreeBytes: GB },
    );
  });

  it('classifies by used fraction, with the thresholds inclusive', () => {
    assert.equal(driveHealth(at(0)).level, 'ok');
    assert.equal(driveHealth(at(0.5)).level, 'ok');
    assert.equal(driveHealth({ totalBytes: TB, freeBytes: 0.1 * TB + 1 }).level, 'ok');
    assert.equal(driveHealth(at(0.9)).level, 'nearly-full');
    assert.equal(driveHealth({ totalBytes: TB, freeBytes: 0.02 * TB + 1 }).level, 'nearly-full');
    assert.equal(driveHealth(at(0.98)).level, 'full');
    assert.equal(driveHealth(at(1)).level, 'full');
  });

  it('less than minFreeBytes free is full whatever the fraction; exactly minFreeBytes is not', () => {
    const small = 8 * GB;
    assert.equal(driveHealth({ totalBytes: small, freeBytes: GB - 1 }).level, 'full');
    assert.equal(driveHealth({ totalBytes: small, freeBytes: GB }).level, 'ok'); // 87.5 % used
    const h = driveHealth({ totalBytes: small, freeBytes: 0.5 * GB });
    assert.match(h.reason, /less than 1\.0 GB left/);
  });

  it('custom thresholds', () => {
    const t = { warnUsedFraction: 0.5, fullUsedFraction: 0.75, minFreeBytes: 0 };
    assert.equal(driveHealth(at(0.49), t).level, 'ok');
    assert.equal(driveHealth(at(0.5), t).level, 'nearly-full');
    assert.equal(driveHealth(at(0.75), t).level, 'full');
    assert.equal(driveHealth({ totalBytes: 100, freeBytes: 0 }, t).level, 'full');
  });

  it('odd statfs numbers: zero capacity is full, free above total is clamped, negatives and NaN are 0', () => {
    assert.equal(driveHealth({ totalBytes: 0, freeBytes: 0 }).level, 'full');
    assert.match(driveHealth({ totalBytes: 0, freeBytes: 0 }).reason, /no usable capacity/);
    const over = driveHealth({ totalBytes: TB, freeBytes: 2 * TB });
    assert.equal(over.level, 'ok');
    assert.equal(over.freeBytes, TB);
    assert.equal(over.usedFraction, 0);
    assert.equal(driveHealth({ totalBytes: TB, freeBytes: -5 }).level, 'full');
    assert.equal(driveHealth({ totalBytes: TB, freeBytes: Number.NaN }).level, 'full');
    assert.equal(driveHealth({ totalBytes: Number.NaN, freeBytes: GB }).level, 'full');
  });

  it('reports used fraction and a readable reason', () => {
    const h = driveHealth({ totalBytes: 2 * TB, freeBytes: 0.15 * TB });
    assert.equal(h.usedFraction, 0.925);
    assert.equal(h.reason, 'nearly full: 92.5 % used, 150.0 GB free');
    assert.equal(driveHealth(at(0.5)).reason, '50 % used, 500.0 GB free');
  });

  it('formats sizes in SI units', () => {
    assert.equal(formatSize(0), '0 B');
    assert.equal(formatSize(999), '999 B');
    assert.equal(formatSize(1000), '1.0 kB');
    assert.equal(formatSize(1_500_000_000), '1.5 GB');
    assert.equal(formatSize(4 * TB), '4.0 TB');
  });
});
