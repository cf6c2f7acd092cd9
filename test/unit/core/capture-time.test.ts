import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  captureTimeIso,
  dateFolderOf,
  isValidLocal,
  localFromInstant,
} from '../../../src/core/capture-time.js';

describe('capture time', () => {
  it('converts instants to the wall clock of a zone', () => {
    const ms = Date.UTC(2024, 4, 1, 22, 30, 0);
    assert.equal(localFromInstant(ms, 'UTC'), '2024-05-01T22:30:00');
    assert.equal(localFromInstant(ms, 'Africa/Nairobi'), '2024-05-02T01:30:00');
    assert.equal(dateFolderOf(ms, 'America/Lima'), '2024-05-01');
    assert.equal(dateFolderOf(ms, 'Asia/Tokyo'), '2024-05-02');
  });

  it('validates camera-style local times', () => {
    assert.ok(isValidLocal('2008-05-30T15:56:01'));
    assert.ok(!isValidLocal('0000-00-00T00:00:00'));
    assert.ok(!isValidLocal('2008-13-30T15:56:01'));
    assert.ok(!isValidLocal('2008:05:30 15:56:01'));
  });

  it('keeps an offset only when the file had one', () => {
    assert.equal(captureTimeIso({ local: '2024-01-02T03:04:05', source: 'exif' }), '2024-01-02T03:04:05');
    assert.equal(
      captureTimeIso({ local: '2024-01-02T03:04:05', offset: '+03:00', source: 'exif' }),
      '2024-01-02T03:04:05+03:00',
    );
  });
});
