import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  captureTimeFromTags,
  exifDateToLocal,
  exiftoolFactsArgs,
  factsFromTags,
  gpsFromTags,
  normaliseOffset,
  parseExiftoolJson,
} from '../../../src/media/exif-values.js';
import { parseReconyxMakerNote } from '../../../src/media/reconyx.js';

describe('exifDateToLocal', () => {
  it('converts the EXIF form without any time-zone conversion', () => {
    assert.deepEqual(exifDateToLocal('2008:10:22 16:28:39'), { local: '2008-10-22T16:28:39' });
    assert.deepEqual(exifDateToLocal('1999:12:31 23:59:59'), { local: '1999-12-31T23:59:59' });
  });

  it('tolerates NUL padding, whitespace, dashes, T, missing seconds and fractions', () => {
    assert.deepEqual(exifDateToLocal('2005:08:13 09:47:23\0'), { local: '2005-08-13T09:47:23' });
    assert.deepEqual(exifDateToLocal('  2005:08:13 09:47:23  '), { local: '2005-08-13T09:47:23' });
    assert.deepEqual(exifDateToLocal('2005-08-13 09:47:23'), { local: '2005-08-13T09:47:23' });
    assert.deepEqual(exifDateToLocal('2005-08-13T09:47'), { local: '2005-08-13T09:47:00' });
    assert.deepEqual(exifDateToLocal('2024-05-01T08:20:30.000000'), { local: '2024-05-01T08:20:30' });
  });

  it('keeps an offset written into the value', () => {
    assert.deepEqual(exifDateToLocal('2008:03:15 09:52:01-04:00'), {
      local: '2008-03-15T09:52:01',
      offset: '-04:00',
    });
    assert.deepEqual(exifDateToLocal('2024-05-01T10:20:30+0200'), {
      local: '2024-05-01T10:20:30',
      offset: '+02:00',
    });
    assert.deepEqual(exifDateToLocal('2011:09:23 12:43:03Z'), {
      local: '2011-09-23T12:43:03',
      offset: '+00:00',
    });
  });

  it('rejects placeholders and impossible dates', () => {
    for (const bad of [
      '0000:00:00 00:00:00',
      '    :  :     :  :  ',
      '',
      '2023:02:29 10:00:00', // not a leap year
      '2023:02:30 10:00:00',
      '2023:04:31 10:00:00',
      '2023:13:01 10:00:00',
      '2023:00:10 10:00:00',
      '2023:01:10 24:00:00',
      '2023:01:10 10:60:00',
      '1969:12:31 23:59:59',
      '2023:01:10',
      'yesterday',
    ]) {
      assert.equal(exifDateToLocal(bad), undefined, bad);
    }
    assert.equal(exifDateToLocal(20230110), undefined);
    assert.equal(exifDateToLocal(undefined), undefined);
    assert.deepEqual(exifDateToLocal('2024:02:29 10:00:00'), { local: '2024-02-29T10:00:00' });
    assert.deepEqual(exifDateToLocal('2000:02:29 10:00:00'), { local: '2000-02-29T10:00:00' });
    assert.equal(exifDateToLocal('2100:02:29 10:00:00'), undefined);
  });
});

describe('normaliseOffset', () => {
  it('accepts ±HH:MM, ±HHMM and Z only', () => {
    assert.equal(normaliseOffset('+03:00'), '+03:00');
    assert.equal(normaliseOffset('-0430'), '-04:30');
    assert.equal(normaliseOffset('Z'), '+00:00');
    assert.equal(normaliseOffset('+03:00\0'), '+03:00');
    assert.equal(normaliseOffset('   :  '), undefined);
    assert.equal(normaliseOffset('+25:00'), undefined);
    assert.equal(normaliseOffset(3), undefined);
  });
});

describe('captureTimeFromTags', () => {
  it('prefers DateTimeOriginal with OffsetTimeOriginal', () => {
    assert.deepEqual(
      captureTimeFromTags({
        DateTimeOriginal: '2022:08:14 14:12:31',
        OffsetTimeOriginal: '+03:00',
        CreateDate: '2022:08:14 14:12:35',
        ModifyDate: '2023:01:01 00:00:00',
        OffsetTime: '+01:00',
      }),
      { local: '2022-08-14T14:12:31', offset: '+03:00', source: 'exif' },
    );
  });

  it('falls back to CreateDate (with its own offset), then ModifyDate', () => {
    assert.deepEqual(
      captureTimeFromTags({
        DateTimeOriginal: '0000:00:00 00:00:00',
        OffsetTimeOriginal: '+03:00',
        CreateDate: '2020:01:02 03:04:05',
        OffsetTimeDigitized: '-05:00',
      }),
      { local: '2020-01-02T03:04:05', offset: '-05:00', source: 'exif' },
    );
    assert.deepEqual(captureTimeFromTags({ DateTimeDigitized: '2020:01:02 03:04:05' }), {
      local: '2020-01-02T03:04:05',
      source: 'exif',
    });
    assert.deepEqual(
      captureTimeFromTags({ ModifyDate: '2008:07:31 10:05:49', OffsetTimeOriginal: '+03:00' }),
      {
        local: '2008-07-31T10:05:49',
        source: 'exif',
      },
    );
    assert.equal(captureTimeFromTags({ Make: 'X' }), undefined);
  });

  it('places a maker-note date after DateTimeOriginal and before CreateDate', () => {
    assert.equal(
      captureTimeFromTags({ CreateDate: '2020:01:01 00:00:00' }, '2021:06:07 08:09:10')?.local,
      '2021-06-07T08:09:10',
    );
    assert.equal(
      captureTimeFromTags({ DateTimeOriginal: '2019:01:01 00:00:00' }, '2021:06:07 08:09:10')?.local,
      '2019-01-01T00:00:00',
    );
  });
});

describe('gpsFromTags', () => {
  it('converts exifr raw DMS triples with N/S/E/W refs', () => {
    assert.deepEqual(
      gpsFromTags({
        GPSLatitudeRef: 'N',
        GPSLatitude: [43, 28, 2.814],
        GPSLongitudeRef: 'E',
        GPSLongitude: [11, 53, 6.45599999],
      }),
      { lat: 43.4674483, lon: 11.8851267 },
    );
    assert.deepEqual(
      gpsFromTags({
        GPSLatitudeRef: 'S',
        GPSLatitude: [0, 22.278, 0],
        GPSLongitudeRef: 'W',
        GPSLongitude: [36, 3.385, 0],
      }),
      { lat: -0.3713, lon: -36.0564167 },
    );
  });

  it('accepts ExifTool -n signed decimals without flipping them twice', () => {
    assert.deepEqual(
      gpsFromTags({
        GPSLatitude: -0.3713,
        GPSLatitudeRef: 'S',
        GPSLongitude: 36.0564166666667,
        GPSLongitudeRef: 'E',
      }),
      { lat: -0.3713, lon: 36.0564167 },
    );
  });

  it('signs the altitude by its ref (1 = below sea level)', () => {
    const base = { GPSLatitude: [1, 0, 0], GPSLongitude: [2, 0, 0] };
    assert.equal(gpsFromTags({ ...base, GPSAltitude: 35.5, GPSAltitudeRef: new Uint8Array([0]) })?.alt, 35.5);
    assert.equal(
      gpsFromTags({ ...base, GPSAltitude: 35.5, GPSAltitudeRef: new Uint8Array([1]) })?.alt,
      -35.5,
    );
    assert.equal(gpsFromTags({ ...base, GPSAltitude: 12, GPSAltitudeRef: 1 })?.alt, -12);
  });

  it('ignores (0, 0) placeholders, out-of-range and partial positions', () => {
    assert.equal(gpsFromTags({ GPSLatitude: [0, 0, 0], GPSLongitude: [0, 0, 0] }), undefined);
    assert.equal(gpsFromTags({ GPSLatitude: 91, GPSLongitude: 10 }), undefined);
    assert.equal(gpsFromTags({ GPSLatitude: 10, GPSLongitude: 181 }), undefined);
    assert.equal(gpsFromTags({ GPSLatitude: [10, 0, 0] }), undefined);
    assert.equal(gpsFromTags({ GPSLatitude: ['x'], GPSLongitude: [1] }), undefined);
  });
});

describe('factsFromTags', () => {
  it('trims make/model at NUL and whitespace, keeps orientation 1..8, extras as numbers', () => {
    const f = factsFromTags({
      Make: 'WWL  ',
      Model: 'ION230\0F',
      Orientation: 6,
      ExifImageWidth: 640,
      ExifImageHeight: 480,
      LensModel: ' EF-S18-55mm ',
      ISO: [100, 0],
      ExposureTime: 0.013333333333333334,
      FNumber: 5.9,
      FocalLength: 24,
    });
    assert.equal(f.make, 'WWL');
    assert.equal(f.model, 'ION230');
    assert.equal(f.orientation, 6);
    assert.equal(f.width, 640);
    assert.equal(f.height, 480);
    assert.deepEqual(f.extra, {
      lensModel: 'EF-S18-55mm',
      iso: 100,
      exposureTime: 0.013333,
      fNumber: 5.9,
      focalLength: 24,
    });
    assert.equal(factsFromTags({ Orientation: 9 }).orientation, undefined);
    assert.equal(factsFromTags({ Orientation: 0 }).orientation, undefined);
    assert.equal(factsFromTags({ Make: '   ' }).make, undefined);
  });

  it("reads ExifTool's composite ImageSize", () => {
    assert.deepEqual(
      {
        w: factsFromTags({ ImageSize: '6016 4016' }).width,
        h: factsFromTags({ ImageSize: '6016x4016' }).height,
      },
      { w: 6016, h: 4016 },
    );
  });
});

describe('parseReconyxMakerNote', () => {
  it('ignores maker notes of other cameras', () => {
    assert.equal(parseReconyxMakerNote(new Uint8Array([14, 0, 1, 0, 3, 0, 46, 0])), undefined);
    assert.equal(parseReconyxMakerNote(new Uint8Array([])), undefined);
    // 0xf101 alone is not enough without a firmware word or Make=RECONYX (as in ExifTool).
    assert.equal(parseReconyxMakerNote(new Uint8Array([0x01, 0xf1, 0x07, 0x00])), undefined);
  });

  it('reads a HyperFire date whose words were written big-endian', () => {
    // int16u words from 0x16: sec, min, hour, month, day, year — here byte-swapped.
    const b = new Uint8Array(0x60);
    b.set([0x01, 0xf1, 0x03, 0x00]);
    const words = [5, 4, 3, 12, 25, 2019];
    words.forEach((w, i) => {
      b[0x16 + i * 2] = (w >> 8) & 0xff;
      b[0x16 + i * 2 + 1] = w & 0xff;
    });
    assert.equal(parseReconyxMakerNote(b)?.dateTimeOriginal, '2019:12:25 03:04:05');
  });
});

describe('ExifTool fallback', () => {
  it('builds a JSON, numeric command for the tags exifr would give', () => {
    const args = exiftoolFactsArgs('/lib/x.cr3');
    assert.deepEqual(args.slice(0, 2), ['-json', '-n']);
    assert.equal(args.at(-1), '/lib/x.cr3');
    for (const t of [
      '-DateTimeOriginal',
      '-OffsetTimeOriginal',
      '-Make',
      '-Model',
      '-GPSLatitude',
      '-Orientation',
    ])
      assert.ok(args.includes(t), t);
  });

  it('parses its output, keeping numeric-looking models as strings', () => {
    const tags = parseExiftoolJson(
      JSON.stringify([
        { SourceFile: '/x.nef', Make: 'NIKON', Model: 5300, DateTimeOriginal: '2020:01:01 10:00:00' },
      ]),
    );
    assert.equal(tags?.Model, '5300');
    assert.equal(factsFromTags(tags ?? {}).capturedAt?.local, '2020-01-01T10:00:00');
    assert.equal(parseExiftoolJson('nope'), undefined);
    assert.equal(parseExiftoolJson('[]'), undefined);
  });
});
