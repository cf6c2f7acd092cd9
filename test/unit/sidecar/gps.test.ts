import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatXmpCoordinate, parseXmpCoordinate } from '../../../src/library/sidecar/gps.js';

describe('XMP GPS coordinates', () => {
  it('writes DD,MM.mmmmmmmmmmk with the hemisphere letter', () => {
    assert.equal(formatXmpCoordinate(52.5, 'lat'), '52,30.0000000000N');
    assert.equal(formatXmpCoordinate(-33.8688, 'lat'), '33,52.1280000000S');
    assert.equal(formatXmpCoordinate(-151.2093, 'lon'), '151,12.5580000000W');
    assert.equal(formatXmpCoordinate(36.8219, 'lon'), '36,49.3140000000E');
    assert.equal(formatXmpCoordinate(0, 'lat'), '0,0.0000000000N');
    assert.equal(formatXmpCoordinate(-0, 'lon'), '0,0.0000000000E');
    assert.equal(formatXmpCoordinate(-90, 'lat'), '90,0.0000000000S');
    assert.equal(formatXmpCoordinate(180, 'lon'), '180,0.0000000000E');
  });

  it('never prints 60 minutes when rounding carries into the degrees', () => {
    assert.equal(formatXmpCoordinate(11 - 1e-15, 'lat'), '11,0.0000000000N');
    assert.equal(formatXmpCoordinate(-0.00000000000001, 'lat'), '0,0.0000000000S');
  });

  it('round-trips any coordinate to within 1e-11 degrees', () => {
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (let i = 0; i < 5000; i++) {
      const lat = rnd() * 90;
      const lon = rnd() * 180;
      const backLat = parseXmpCoordinate(formatXmpCoordinate(lat, 'lat'), 'lat');
      const backLon = parseXmpCoordinate(formatXmpCoordinate(lon, 'lon'), 'lon');
      assert.ok(backLat !== undefined && Math.abs(backLat - lat) < 1e-11, `${lat} → ${backLat}`);
      assert.ok(backLon !== undefined && Math.abs(backLon - lon) < 1e-11, `${lon} → ${backLon}`);
    }
  });

  it('reads the forms other writers use', () => {
    assert.equal(parseXmpCoordinate('33,52.128S', 'lat'), -33.8688);
    assert.equal(parseXmpCoordinate('33,52,7.68S', 'lat'), -33.8688);
    assert.equal(parseXmpCoordinate('151,12.558w', 'lon'), -151.2093);
    assert.equal(parseXmpCoordinate(' 1,30.0 E ', 'lon'), 1.5);
    assert.equal(parseXmpCoordinate('-33.8688', 'lat'), -33.8688);
    assert.equal(parseXmpCoordinate('33.8688S', 'lat'), -33.8688);
    assert.equal(parseXmpCoordinate('52,30.12345678N', 'lat'), 52 + 30.12345678 / 60);
  });

  it('refuses malformed, out-of-range and wrong-axis values', () => {
    for (const [s, axis] of [
      ['', 'lat'],
      ['abc', 'lat'],
      ['91,0.0N', 'lat'],
      ['181,0.0E', 'lon'],
      ['10,60.0N', 'lat'],
      ['10,5,60N', 'lat'],
      ['10,5.5E', 'lat'],
      ['10,5.5N', 'lon'],
      ['-10,5.5N', 'lat'],
      ['10.5,30N', 'lat'],
      ['10,5.5,3N', 'lat'],
    ] as const)
      assert.equal(parseXmpCoordinate(s, axis), undefined, s);
  });
});
