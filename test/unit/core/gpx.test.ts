import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOutpostError } from '../../../src/core/errors.js';
import {
  bestOffset,
  captureToUtcMs,
  parseGpx,
  parseGpxTime,
  positionAt,
  type TrackPoint,
} from '../../../src/core/gpx.js';

const gpx = (body: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">${body}</gpx>`;

const pt = (lat: number, lon: number, time?: string, ele?: number): string =>
  `<trkpt lat="${lat}" lon="${lon}">${ele === undefined ? '' : `<ele>${ele}</ele>`}${time ? `<time>${time}</time>` : ''}</trkpt>`;

const T0 = Date.UTC(2023, 6, 10, 3, 30, 0);
const MIN = 60_000;

function throwsInvalid(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseGpx(text),
    (e: unknown) => isOutpostError(e) && e.code === 'INVALID_INPUT' && pattern.test(e.message),
  );
}

describe('parseGpx', () => {
  it('reads track segments and routes, sorted by time, with elevation when given', () => {
    const text = gpx(
      `<trk><name>a</name><trkseg>${pt(-1.3, 36.8, '2023-07-10T03:32:00Z', 1650.5)}${pt(-1.2, 36.7, '2023-07-10T03:30:00Z')}</trkseg>` +
        `<trkseg>${pt(-1.4, 36.9, '2023-07-10T03:40:00.500Z')}</trkseg></trk>` +
        `<rte><rtept lat="-1.5" lon="37"><time>2023-07-10T06:45:00+03:00</time></rtept></rte>`,
    );
    const { points } = parseGpx(text);
    assert.deepEqual(points, [
      { t: T0, lat: -1.2, lon: 36.7 },
      { t: T0 + 2 * MIN, lat: -1.3, lon: 36.8, ele: 1650.5 },
      { t: T0 + 10 * MIN + 500, lat: -1.4, lon: 36.9 },
      { t: T0 + 15 * MIN, lat: -1.5, lon: 37 },
    ]);
  });

  it('reads a single point and namespaced elements, and skips points without a time', () => {
    const text =
      '<gpx:gpx xmlns:gpx="http://www.topografix.com/GPX/1/1"><gpx:trk><gpx:trkseg>' +
      '<gpx:trkpt lat="1" lon="2"><gpx:time>2023-07-10T03:30:00Z</gpx:time></gpx:trkpt>' +
      '<gpx:trkpt lat="3" lon="4"></gpx:trkpt>' +
      '</gpx:trkseg></gpx:trk></gpx:gpx>';
    assert.deepEqual(parseGpx(text).points, [{ t: T0, lat: 1, lon: 2 }]);
  });

  it('rejects malformed XML, DTDs, non-GPX and files without timed points, saying why', () => {
    throwsInvalid('<gpx><trk>', /not well-formed/);
    throwsInvalid('not xml at all', /not well-formed|not GPX/);
    throwsInvalid(
      `<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "b">]>${gpx(`<trk><trkseg>${pt(1, 2, '2023-07-10T03:30:00Z')}</trkseg></trk>`)}`,
      /DTD/,
    );
    throwsInvalid('<kml><Document/></kml>', /not GPX/);
    throwsInvalid(gpx('<wpt lat="1" lon="2"><name>camp</name></wpt>'), /no track or route points/);
    throwsInvalid(
      gpx(`<trk><trkseg>${pt(1, 2)}${pt(1, 3, 'yesterday')}</trkseg></trk>`),
      /none with a valid <time>/,
    );
  });
});

describe('parseGpxTime', () => {
  it('reads UTC, offsets and fractions; rejects nonsense', () => {
    assert.equal(parseGpxTime('2023-07-10T03:30:00Z'), T0);
    assert.equal(parseGpxTime('2023-07-10T03:30:00'), T0);
    assert.equal(parseGpxTime('2023-07-10T06:30:00+03:00'), T0);
    assert.equal(parseGpxTime('2023-07-09T22:30:00-0500'), T0);
    assert.equal(parseGpxTime('2023-07-10T03:30:00.25Z'), T0 + 250);
    assert.equal(parseGpxTime('2023-02-30T03:30:00Z'), undefined);
    assert.equal(parseGpxTime('10/07/2023'), undefined);
  });
});

describe('positionAt', () => {
  const points: TrackPoint[] = [
    { t: T0, lat: 0, lon: 36 },
    { t: T0 + 2 * MIN, lat: 1, lon: 37 },
    { t: T0 + 4 * MIN, lat: 1, lon: 38 },
    // 30 minutes without a fix
    { t: T0 + 34 * MIN, lat: 2, lon: 38 },
  ];

  it('interpolates linearly between the surrounding points', () => {
    assert.deepEqual(positionAt(points, T0 + MIN), { lat: 0.5, lon: 36.5 });
    const q = positionAt(points, T0 + 2.5 * MIN)!;
    assert.equal(q.lat, 1);
    assert.ok(Math.abs(q.lon - 37.25) < 1e-12);
  });

  it('gives the point itself at its exact time, including the first and last', () => {
    assert.deepEqual(positionAt(points, T0), { lat: 0, lon: 36 });
    assert.deepEqual(positionAt(points, T0 + 34 * MIN), { lat: 2, lon: 38 });
  });

  it('says nothing outside the track', () => {
    assert.equal(positionAt(points, T0 - 1), undefined);
    assert.equal(positionAt(points, T0 + 34 * MIN + 1), undefined);
    assert.equal(positionAt([], T0), undefined);
  });

  it('says nothing inside a gap longer than maxGap, unless maxGap allows it', () => {
    assert.equal(positionAt(points, T0 + 19 * MIN), undefined);
    assert.deepEqual(positionAt(points, T0 + 19 * MIN, 30 * MIN), { lat: 1.5, lon: 38 });
    assert.equal(positionAt(points, T0 + MIN, MIN), undefined);
  });

  it('goes the short way across the antimeridian', () => {
    const p = positionAt(
      [
        { t: 0, lat: 0, lon: 179 },
        { t: 1000, lat: 0, lon: -179 },
      ],
      250,
    )!;
    assert.ok(Math.abs(p.lon - 179.5) < 1e-9);
    const q = positionAt(
      [
        { t: 0, lat: 0, lon: 179 },
        { t: 1000, lat: 0, lon: -179 },
      ],
      750,
    )!;
    assert.ok(Math.abs(q.lon - -179.5) < 1e-9);
  });
});

describe('captureToUtcMs', () => {
  it('subtracts the camera zone offset', () => {
    assert.equal(captureToUtcMs('2023-07-10T06:30:00', 180), T0);
    assert.equal(captureToUtcMs('2023-07-10T03:30:00', 0), T0);
    assert.equal(captureToUtcMs('2023-07-09T22:30:00', -300), T0);
    assert.equal(captureToUtcMs('2023-07-10T09:00:00', 330), T0);
  });

  it('corrects a camera clock that runs ahead or behind', () => {
    assert.equal(captureToUtcMs('2023-07-10T06:30:45', 180, 45), T0);
    assert.equal(captureToUtcMs('2023-07-10T06:29:30', 180, -30), T0);
  });

  it('accepts minutes only and fractions; rejects other text', () => {
    assert.equal(captureToUtcMs('2023-07-10T06:30', 180), T0);
    assert.equal(captureToUtcMs('2023-07-10T06:30:00.500', 180), T0 + 500);
    assert.equal(captureToUtcMs('2023-07-10 06:30:00', 180), undefined);
    assert.equal(captureToUtcMs('2023-07-10T06:30:00Z', 180), undefined);
  });
});

describe('bestOffset', () => {
  // A track from 03:30 to 04:30 UTC, one point a minute.
  const track: TrackPoint[] = Array.from({ length: 61 }, (_, i) => ({
    t: T0 + i * MIN,
    lat: -12 + i * 1e-4,
    lon: -77,
  }));

  it('finds the camera zone that puts the photos on the track (UTC−5 here)', () => {
    // Photos taken 03:40–04:20 UTC by a camera set to UTC−5: local 22:40–23:20 the day before.
    const times = ['2023-07-09T22:40:00', '2023-07-09T23:00:00', '2023-07-09T23:20:00'];
    assert.deepEqual(bestOffset(track, times, { prefer: 180 }), { offsetMinutes: -300, matched: 3 });
    // 1-h steps find it too; at UTC+3 (the old default) none matched.
    assert.equal(bestOffset(track, times, { stepMinutes: 60 }).offsetMinutes, -300);
    assert.equal(times.filter((l) => positionAt(track, captureToUtcMs(l, 180)!)).length, 0);
  });

  it('keeps the preferred offset on a tie, and reports 0 when nothing matches', () => {
    // A single photo 10 min into the track matches over a range of offsets (the track is 1 h).
    const one = ['2023-07-10T03:40:00'];
    assert.deepEqual(bestOffset(track, one, { prefer: -30 }), { offsetMinutes: -30, matched: 1 });
    assert.deepEqual(bestOffset(track, one, { prefer: 120 }), { offsetMinutes: 0, matched: 1 });
    assert.equal(bestOffset(track, ['2020-01-01T00:00:00']).matched, 0);
  });
});
