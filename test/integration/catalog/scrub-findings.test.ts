import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sqliteOf } from '../../../src/library/catalog/handle.js';
import type { Catalog } from '../../../src/library/catalog/open.js';
import {
  markRepaired,
  markResolved,
  markUnrepaired,
  openDamageCount,
  openFindings,
  readScrubState,
  recordDamage,
  writeScrubState,
  type DamageRecord,
} from '../../../src/library/catalog/scrub-findings.js';
import { setStationMetaValue } from '../../../src/library/catalog/station-meta.js';
import { catalogEngines } from '../../kit/catalogs.js';

/** The scrub's records live on library drives only: SQLite. */
const sqlite = catalogEngines().find((e) => e.name === 'sqlite')!;

const finding = (path: string, over: Partial<DamageRecord> = {}): DamageRecord => ({
  item: 'a'.repeat(64),
  kind: 'original',
  path,
  code: 'CORRUPT',
  expected: 'a'.repeat(64),
  actual: 'b'.repeat(64),
  detail: 'hash differs',
  ...over,
});

const rowOf = (cat: Catalog, path: string) =>
  sqliteOf(cat)
    .prepare('select state, reason, found_at, quarantine from scrub_findings where path = ?')
    .get(path) as
    { state: string; reason: string | null; found_at: string; quarantine: string | null } | undefined;

describe('catalogue: scrub findings and cycle state', () => {
  it('keeps a damaged file until it is repaired or found right, with the first finding time', async () => {
    const cat = await sqlite.open();
    recordDamage(cat, finding('library/x.jpg'), '2024-01-01T00:00:00Z');
    markUnrepaired(cat, 'library/x.jpg', 'PARTNER_BAD', '2024-01-01T00:01:00Z');
    // Found again while still damaged: the first time and the repair reason stay.
    recordDamage(
      cat,
      finding('library/x.jpg', { code: 'MISSING', actual: undefined }),
      '2024-01-02T00:00:00Z',
    );
    assert.deepEqual(rowOf(cat, 'library/x.jpg'), {
      state: 'damaged',
      reason: 'PARTNER_BAD',
      found_at: '2024-01-01T00:00:00Z',
      quarantine: null,
    });
    assert.deepEqual(
      openFindings(cat).map((f) => [f.path, f.code, f.actual, f.reason]),
      [['library/x.jpg', 'MISSING', undefined, 'PARTNER_BAD']],
    );
    recordDamage(cat, finding('library/y.jpg'), '2024-01-02T00:00:00Z');
    // PARTNER_BAD needs no partner; y (no repair tried) waits for one.
    assert.deepEqual(openDamageCount(cat), { damaged: 2, awaitingPartner: 1 });
    markRepaired(cat, 'library/x.jpg', '.outpost/quarantine/x.jpg', '2024-01-03T00:00:00Z');
    markResolved(cat, 'library/y.jpg', '2024-01-03T00:00:00Z');
    assert.deepEqual(openFindings(cat), []);
    assert.deepEqual(openDamageCount(cat), { damaged: 0, awaitingPartner: 0 });
    assert.equal(rowOf(cat, 'library/x.jpg')?.quarantine, '.outpost/quarantine/x.jpg');
    // Damaged again after a repair: a new finding (new time, no old reason).
    recordDamage(cat, finding('library/x.jpg'), '2024-02-01T00:00:00Z');
    assert.deepEqual(rowOf(cat, 'library/x.jpg'), {
      state: 'damaged',
      reason: null,
      found_at: '2024-02-01T00:00:00Z',
      quarantine: null,
    });
    // Resolving touches damaged rows only.
    markResolved(cat, 'library/x.jpg', '2024-02-02T00:00:00Z');
    markUnrepaired(cat, 'library/x.jpg', 'WRITE_FAILED', '2024-02-03T00:00:00Z');
    assert.equal(rowOf(cat, 'library/x.jpg')?.reason, null);
  });

  it('reads back the cycle state, and an unreadable one as none', async () => {
    const cat = await sqlite.open();
    assert.deepEqual(readScrubState(cat), {});
    writeScrubState(cat, { cursor: 'abc', cycleStartedAt: '2024-01-01T00:00:00Z' });
    assert.deepEqual(readScrubState(cat), { cursor: 'abc', cycleStartedAt: '2024-01-01T00:00:00Z' });
    setStationMetaValue(cat, 'scrub:state', '{not json');
    assert.deepEqual(readScrubState(cat), {});
  });
});
