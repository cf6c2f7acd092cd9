import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/load.js';
import { snapshotCameraNames, snapshotCameraSettings } from '../../../src/config/snapshots.js';
import { OutpostError } from '../../../src/core/errors.js';

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, 'f.yaml');
  } catch (e) {
    assert.ok(e instanceof OutpostError);
    assert.equal(e.code, 'CONFIG_INVALID');
    return (e.details as { problems: string[] }).problems;
  }
  return assert.fail('should throw');
}

describe('config: snapshots', () => {
  it('off by default, sensible defaults', () => {
    const s = parseConfig({}, 'test').snapshots;
    assert.equal(s.ftp.enabled, false);
    assert.deepEqual(s.ftp.passivePorts, { min: 30000, max: 30009 });
    assert.equal(s.upload, 'timelapse');
    assert.equal(s.keepDays, 30);
    assert.equal(s.keepOnePerHour, true);
    assert.deepEqual(
      [s.timelapse.fps, s.timelapse.crf, s.timelapse.preset, s.timelapse.at],
      [24, 24, 'veryfast', '00:10'],
    );
    assert.deepEqual(snapshotCameraNames(s), []);
  });

  it('reports every bad key at once', () => {
    const problems = problemsOf({
      snapshots: {
        ftp: {
          enabled: true,
          passivePorts: '40000-30000',
          users: [
            { user: 'a', password: 'short', camera: 'gate' },
            { user: 'a', password: 'long enough', camera: '../etc' },
          ],
          bogus: 1,
        },
        http: [{ camera: 'yard' }, { camera: 'yard', url: 'ftp://x/' }],
        upload: 'some',
        timelapse: { at: '24:00', preset: 'instant' },
        cameras: [{ name: 'gate', timeZone: 'Mars/Olympus' }],
      },
    });
    for (const k of [
      'snapshots.ftp.passivePorts',
      'snapshots.ftp.users.0.password',
      'snapshots.ftp.users.1.user',
      'snapshots.ftp.users.1.camera',
      '"bogus"',
      'snapshots.http.0.url',
      'snapshots.http.1',
      'snapshots.upload',
      'snapshots.timelapse.at',
      'snapshots.timelapse.preset',
      'snapshots.cameras.0.timeZone',
    ])
      assert.ok(
        problems.some((p) => p.includes(k)),
        `${k} in ${problems.join(' | ')}`,
      );
  });

  it('FTP on without users is an error that says to add one', () => {
    assert.ok(problemsOf({ snapshots: { ftp: { enabled: true } } }).some((p) => /no users/.test(p)));
  });

  it("a camera's settings: its own over the section's, the section's over the station's zone", () => {
    const s = parseConfig(
      {
        snapshots: {
          timeZone: 'America/Santiago',
          keepDays: 10,
          maxGB: 2,
          keepOnePerHour: 90,
          ftp: { enabled: true, users: [{ user: 'g', password: 'long enough', camera: 'gate' }] },
          http: [{ camera: 'yard', url: 'http://cam/snap.jpg' }],
          cameras: [{ name: 'gate', timeZone: 'Europe/Madrid', keepDays: 3, keepOnePerHour: false }],
        },
      },
      'test',
    ).snapshots;
    assert.deepEqual(snapshotCameraNames(s), ['gate', 'yard']);
    const gate = snapshotCameraSettings(s, 'gate', 'UTC');
    assert.deepEqual(
      [gate.timeZone, gate.keepDays, gate.maxBytes, gate.keepHourlyDays],
      ['Europe/Madrid', 3, 2e9, 0],
    );
    const yard = snapshotCameraSettings(s, 'yard', 'UTC');
    assert.deepEqual([yard.timeZone, yard.keepDays, yard.keepHourlyDays], ['America/Santiago', 10, 90]);
  });
});
