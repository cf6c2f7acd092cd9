import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commitSnapshot, setSnapshotDay } from '../../../src/library/catalog/snapshots.js';
import { UplinkJournal, type SnapshotUploadPolicy } from '../../../src/library/catalog/uplink-journal.js';
import type { Catalog } from '../../../src/library/catalog/open.js';
import { catalogEngines } from '../../kit/catalogs.js';
import { addItem } from './drive-rows.js';

const sqlite = catalogEngines().find((e) => e.name === 'sqlite')!;
const NOW = '2026-12-05T12:00:00.000Z';

/** A camera's day: two JPEGs (pending, committed as snapshots), its timelapse, a card photo beside. */
async function day(cat: Catalog): Promise<{ snaps: string[]; timelapse: string; photo: string }> {
  const snaps: string[] = [];
  for (const seed of ['s1', 's2']) {
    const row = await addItem(cat, seed, { state: 'pending', card_id: 'snap:gate', has_thumb: 1 });
    commitSnapshot(
      cat,
      {
        item_id: row.id,
        camera: 'gate',
        day: '2026-12-04',
        received_ms: Date.parse('2026-12-04T15:00:00Z'),
        upload_path: `${seed}.jpg`,
        hint_local: null,
        trigger: null,
        drift_s: null,
        via: 'ftp',
      },
      'America/Santiago',
      NOW,
    );
    snaps.push(row.id);
  }
  const tl = await addItem(cat, 'tl', {
    type: 'video',
    ext: 'mp4',
    card_id: 'timelapse:gate',
    has_poster: 1,
  });
  setSnapshotDay(cat, 'gate', '2026-12-04', { state: 'done', timelapse_id: tl.id }, NOW);
  const photo = await addItem(cat, 'card-photo', { card_id: 'sd:1' });
  return { snaps, timelapse: tl.id, photo: photo.id };
}

const queued = (j: UplinkJournal): string[] =>
  j
    .open()
    .map((r) => `${r.item.slice(0, 6)}:${r.rendition}`)
    .sort();

describe('catalogue: what of IP cameras the uplink queues (snapshots.upload)', () => {
  for (const [policy, expect] of [
    ['timelapse', { timelapse: true, snaps: false }],
    ['none', { timelapse: false, snaps: false }],
  ] as [SnapshotUploadPolicy, { timelapse: boolean; snaps: boolean }][])
    it(`${policy}: timelapse ${expect.timelapse ? 'queued' : 'not queued'}, JPEGs never`, async () => {
      const cat = await sqlite.open();
      const d = await day(cat);
      const j = new UplinkJournal(cat, 'hq', policy);
      j.enqueueNew(NOW);
      const q = queued(j);
      assert.equal(q.includes(`${d.timelapse.slice(0, 6)}:original`), expect.timelapse);
      assert.ok(q.includes(`${d.photo.slice(0, 6)}:original`), 'other media go as before');
      assert.ok(!q.some((x) => d.snaps.some((s) => x.startsWith(s.slice(0, 6)))), q.join(' '));
      await cat.close();
    });

  it("all: a day's JPEGs are queued once HQ confirmed that day's timelapse, with their thumbnails", async () => {
    const cat = await sqlite.open();
    const d = await day(cat);
    const j = new UplinkJournal(cat, 'hq', 'all');
    j.enqueueNew(NOW);
    assert.ok(!queued(j).some((x) => d.snaps.some((s) => x.startsWith(s.slice(0, 6)))));
    // Another target's confirmation does not count.
    const other = new UplinkJournal(cat, 'bucket', 'all');
    other.enqueueNew(NOW);
    other.done(d.timelapse, 'original', NOW);
    assert.equal(j.enqueueNew(NOW), 0);
    j.done(d.timelapse, 'original', NOW);
    assert.equal(j.enqueueNew(NOW), 4);
    const q = queued(j);
    for (const s of d.snaps) {
      assert.ok(q.includes(`${s.slice(0, 6)}:original`));
      assert.ok(q.includes(`${s.slice(0, 6)}:thumb`));
    }
    assert.ok(
      j
        .open()
        .filter((r) => d.snaps.includes(r.item))
        .every((r) => r.card === 'snap:gate'),
    );
    await cat.close();
  });
});
