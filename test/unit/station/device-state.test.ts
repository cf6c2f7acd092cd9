/**
 * Devices the station mounts itself, as the lights see them: nothing flashes green before the
 * unmount, a busy unmount flashes red and names who holds it, a pulled drive says so.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indicatorViews } from '../../../src/core/indicators.js';
import type { IngestSummary } from '../../../src/ingest/types.js';
import type { MirrorSummary } from '../../../src/drives/mirror.js';
import { trackDevices } from '../../../src/station/device-tracker.js';
import { StationEvents } from '../../../src/station/events.js';
import { trackMirror } from '../../../src/station/mirror-tracker.js';
import { stationState, type StationFacts } from '../../../src/indicators/station-state.js';
import { trackIngest } from '../../../src/station/ingest-tracker.js';

const ROOT = '/run/outpost/media';
const clock = { now: () => new Date('2026-05-01T10:00:00Z') };
const space = { freeBytes: 100e9, totalBytes: 200e9 };
const thresholds = { warnUsedFraction: 0.9, fullUsedFraction: 0.98, minFreeBytes: 1e9 };
const summary = (copied: number): IngestSummary =>
  ({
    card: { id: 'uuid:x', kind: 'fs-uuid' },
    monitor: '_unassigned',
    copied,
    skipped: 0,
    duplicates: 0,
    tombstoned: 0,
    notCopied: 0,
    erased: 0,
    warnings: [],
    folders: [],
    bytes: 0,
    seconds: 1,
  }) as IngestSummary;

function station() {
  const events = new StationEvents();
  const devices = trackDevices(events);
  const ingest = trackIngest(events, clock);
  const mirror = trackMirror(events);
  const facts = (over: Partial<StationFacts> = {}): StationFacts => ({
    ingest: ingest.current(),
    space,
    driveLabel: 'Field-A',
    thresholds,
    uplink: null,
    mirror: mirror.current(),
    partnerSpace: mirror.current()?.partner ? space : undefined,
    devices: devices.current(),
    ...over,
  });
  const looks = (over: Partial<StationFacts> = {}) => indicatorViews(stationState(facts(over)));
  return { events, looks, devices };
}

const card = { mountPoint: `${ROOT}/sdc1`, device: 'sdc' };
const mountedCard = (events: StationEvents) =>
  events.emit('device-mounted', {
    role: 'card',
    ...card,
    fsType: 'vfat',
    driver: 'kernel vfat',
    readOnly: true,
  });

describe('devices the station mounts: the lights', () => {
  it('a card flashes green only once unmounted; taken out, the light goes off', () => {
    const { events, looks } = station();
    mountedCard(events);
    events.emit('card-inserted', { mountPoint: card.mountPoint });
    events.emit('ingest-progress', {
      mountPoint: card.mountPoint,
      progress: { phase: 'copy', filesDone: 1, filesTotal: 3, bytesDone: 1, bytesTotal: 3 },
    });
    assert.equal(looks().CARD.look, 'green');
    events.emit('ingest-done', { mountPoint: card.mountPoint, summary: summary(3) });
    assert.deepEqual(looks().CARD, {
      look: 'green',
      reason: 'card copied (3 new files); unmounting it, leave it in a moment',
    });
    events.emit('device-unmounting', { slot: 'card', ...card });
    assert.equal(looks().CARD.look, 'green');
    events.emit('device-ejected', { slot: 'card', ...card, copied: true });
    assert.deepEqual(looks().CARD, {
      look: 'green-flash',
      reason: 'card copied (3 new files); you can remove it',
    });
    events.emit('card-removed', { mountPoint: card.mountPoint });
    events.emit('device-gone', { device: 'sdc' });
    assert.equal(looks().CARD.look, 'off');
  });

  it('a busy card flashes red, naming who uses it; never green until ejected', () => {
    const { events, looks } = station();
    mountedCard(events);
    events.emit('ingest-done', { mountPoint: card.mountPoint, summary: summary(2) });
    events.emit('device-unmounting', { slot: 'card', ...card });
    events.emit('device-eject-failed', { slot: 'card', ...card, detail: 'used by bash (pid 7)' });
    const v = looks().CARD;
    assert.equal(v.look, 'red-flash');
    assert.match(v.reason, /still in use \(used by bash \(pid 7\)\): not safe to remove/);
    events.emit('device-unmounting', { slot: 'card', ...card });
    events.emit('device-ejected', { slot: 'card', ...card, copied: true });
    assert.equal(looks().CARD.look, 'green-flash');
  });

  it('a card ejected before it was copied is off, not green', () => {
    const { events, looks } = station();
    mountedCard(events);
    events.emit('card-waiting', { mountPoint: card.mountPoint });
    assert.equal(looks().CARD.look, 'red-flash', 'waiting for a library drive');
    events.emit('device-ejected', { slot: 'card', ...card, copied: false });
    assert.deepEqual(looks().CARD, {
      look: 'off',
      reason: 'card unmounted without copying; you can remove it (insert it again to copy it)',
    });
  });

  it('drive A: ejecting, ejected (green flash), then absent; busy stays red after it is re-attached', () => {
    const { events, looks } = station();
    const a = { mountPoint: `${ROOT}/sda1`, device: 'sda' };
    events.emit('device-mounted', {
      role: 'library',
      ...a,
      fsType: 'exfat',
      driver: 'exfat-fuse',
      readOnly: false,
    });
    events.emit('library-attached', { path: a.mountPoint, label: 'Field-A', id: 'a' });
    assert.equal(looks().DRIVE_A.look, 'green');
    events.emit('device-unmounting', { slot: 'A', ...a, label: 'Field-A' });
    assert.deepEqual(looks({ space: undefined }).DRIVE_A, {
      look: 'green',
      reason: 'drive A "Field-A": flushing and unmounting; leave it in',
    });
    events.emit('device-eject-failed', {
      slot: 'A',
      ...a,
      label: 'Field-A',
      detail: 'used by sqlite3 (pid 9)',
    });
    events.emit('library-attached', { path: a.mountPoint, label: 'Field-A', id: 'a' });
    assert.equal(looks().DRIVE_A.look, 'red-flash');
    assert.match(looks().DRIVE_A.reason, /still in use \(used by sqlite3 \(pid 9\)\)/);
    events.emit('device-unmounting', { slot: 'A', ...a, label: 'Field-A' });
    events.emit('library-detached', { path: a.mountPoint });
    events.emit('device-ejected', { slot: 'A', ...a, label: 'Field-A' });
    assert.deepEqual(looks({ space: undefined }).DRIVE_A, {
      look: 'green-flash',
      reason: 'drive A "Field-A" is unmounted; you can remove it',
    });
    events.emit('device-gone', { device: 'sda' });
    assert.equal(looks({ space: undefined }).DRIVE_A.reason, 'no library drive; plug one in');
  });

  it('drive A pulled during an ingest says so until a drive is back', () => {
    const { events, looks } = station();
    const a = { mountPoint: `${ROOT}/sda1`, device: 'sda' };
    events.emit('device-mounted', {
      role: 'library',
      ...a,
      fsType: 'ntfs',
      driver: 'ntfs-3g',
      readOnly: false,
    });
    events.emit('library-attached', { path: a.mountPoint, label: 'Field-A', id: 'a' });
    events.emit('library-detached', { path: a.mountPoint });
    events.emit('device-pulled', { slot: 'A', ...a, label: 'Field-A', during: 'an ingest' });
    events.emit('device-gone', { device: 'sda' });
    assert.deepEqual(looks({ space: undefined }).DRIVE_A, {
      look: 'red-flash',
      reason:
        'drive A "Field-A" was unplugged without eject during an ingest; plug it back in to check it and carry on',
    });
    events.emit('device-mounted', {
      role: 'library',
      ...a,
      fsType: 'ntfs',
      driver: 'ntfs-3g',
      readOnly: false,
    });
    events.emit('library-attached', { path: a.mountPoint, label: 'Field-A', id: 'a' });
    assert.equal(looks().DRIVE_A.look, 'green');
  });

  it('drive B and BACKUP flash green only after the unmount that follows the mirror', () => {
    const { events, looks } = station();
    const b = { mountPoint: `${ROOT}/sdb1`, device: 'sdb' };
    events.emit('device-mounted', {
      role: 'library',
      ...b,
      fsType: 'ntfs',
      driver: 'ntfs-3g',
      readOnly: false,
    });
    events.emit('partner-attached', { path: b.mountPoint, label: 'Field-B', id: 'b' });
    events.emit('mirror-done', { path: b.mountPoint, summary: { aborted: false } as MirrorSummary });
    let l = looks();
    assert.equal(l.BACKUP.look, 'green', 'mirrored but still mounted: not yet');
    assert.equal(l.DRIVE_B.look, 'green');
    events.emit('device-unmounting', { slot: 'B', ...b, label: 'Field-B' });
    assert.equal(looks().DRIVE_B.look, 'green');
    events.emit('partner-detached', { path: b.mountPoint });
    events.emit('device-ejected', { slot: 'B', ...b, label: 'Field-B' });
    l = looks();
    assert.deepEqual(l.DRIVE_B, {
      look: 'green-flash',
      reason: 'drive B "Field-B" is unmounted; you can remove it',
    });
    assert.equal(l.BACKUP.look, 'green-flash');
    // A busy drive B: nothing says it is safe.
    events.emit('device-mounted', {
      role: 'library',
      ...b,
      fsType: 'ntfs',
      driver: 'ntfs-3g',
      readOnly: false,
    });
    events.emit('partner-attached', { path: b.mountPoint, label: 'Field-B', id: 'b' });
    events.emit('mirror-done', { path: b.mountPoint, summary: { aborted: false } as MirrorSummary });
    events.emit('device-unmounting', { slot: 'B', ...b, label: 'Field-B' });
    events.emit('device-eject-failed', {
      slot: 'B',
      ...b,
      label: 'Field-B',
      detail: 'used by rsync (pid 3)',
    });
    l = looks();
    assert.equal(l.DRIVE_B.look, 'red-flash');
    assert.equal(l.BACKUP.look, 'red-flash');
    assert.match(l.BACKUP.reason, /still in use \(used by rsync \(pid 3\)\) and was not unmounted/);
  });

  it('devices mounted by others (manage: false) keep the old rows', () => {
    const { events, looks } = station();
    events.emit('card-inserted', { mountPoint: '/media/CARD' });
    events.emit('ingest-done', { mountPoint: '/media/CARD', summary: summary(1) });
    assert.equal(looks({ devices: null }).CARD.look, 'green-flash');
    assert.equal(looks().CARD.look, 'green-flash', 'a card the station did not mount');
  });
});
