import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instantsFromLocal, zoneOffsetMs } from '../../../src/core/capture-time.js';
import { clockDriftS, nameHint, type NameHint } from '../../../src/snapshots/name-hints.js';

function expectHint(path: string, want: NameHint): void {
  assert.deepEqual(nameHint(path), want, path);
}

describe('nameHint: Dahua and Amcrest', () => {
  it('reads the date folder, the hour/minute folders and the second, with the trigger letter', () => {
    expectHint('cam1/2023-12-04/001/jpg/10/15/03[R][0@0][0].jpg', {
      local: '2023-12-04T10:15:03',
      vendor: 'dahua',
      trigger: 'scheduled',
    });
    expectHint('IPC-HFW5238M-AS-I1/3J07C6FPAU00272/2018-07-25/001/jpg/09/50/04[M][0@0][1].jpg', {
      local: '2018-07-25T09:50:04',
      vendor: 'dahua',
      trigger: 'motion',
    });
    expectHint('2024-02-29/001/jpg/23/59/59[A][0@0][0].jpg', {
      local: '2024-02-29T23:59:59',
      vendor: 'dahua',
      trigger: 'alarm',
    });
    // Older models: pic_001 instead of 001/jpg; Windows separators from a mirrored tree.
    expectHint('IPC-HDBW5238R-AS\\4D027BCPAA05B90\\2018-07-25\\pic_001\\09\\52\\21[M][0@0][1].jpg', {
      local: '2018-07-25T09:52:21',
      vendor: 'dahua',
      trigger: 'motion',
    });
    // Amcrest writes the same tree (AMC0… serial folder).
    expectHint('AMC0412345678ABCDE/2021-06-01/001/jpg/00/00/00[R][0@0][0].jpg', {
      local: '2021-06-01T00:00:00',
      vendor: 'dahua',
      trigger: 'scheduled',
    });
    // A letter we do not know: still a time.
    expectHint('2021-06-01/001/jpg/07/08/09[E][0@0][0].jpg', {
      local: '2021-06-01T07:08:09',
      vendor: 'dahua',
      trigger: undefined,
    });
  });

  it('refuses impossible times and foreign shapes', () => {
    for (const p of [
      '2023-13-04/001/jpg/10/15/03[R][0@0][0].jpg',
      '2023-02-30/001/jpg/10/15/03[R][0@0][0].jpg',
      '2023-02-29/001/jpg/10/15/03[R][0@0][0].jpg',
      '2023-12-04/001/jpg/24/00/00[R][0@0][0].jpg',
      '2023-12-04/001/jpg/10/60/00[R][0@0][0].jpg',
      '2023-12-04/001/jpg/10/15/60[R][0@0][0].jpg',
      '2023-12-04/001/dav/10/10.15.03-10.16.00[M][0@0][0].mp4',
      '2023-12-04/001/jpg/10/15/03.jpg',
    ])
      assert.equal(nameHint(p), undefined, p);
  });
});

describe('nameHint: Hikvision', () => {
  it('reads the 17-digit time and the event word', () => {
    expectHint('192.168.1.64_01_20231204101503123_TIMING.jpg', {
      local: '2023-12-04T10:15:03.123',
      vendor: 'hikvision',
      trigger: 'scheduled',
    });
    expectHint('front/192.168.0.64_01_20190319093422939_MOTION_DETECTION.jpg', {
      local: '2019-03-19T09:34:22.939',
      vendor: 'hikvision',
      trigger: 'motion',
    });
    expectHint('10.0.0.7_01_20231204235959000_LINE_CROSSING_DETECTION.jpg', {
      local: '2023-12-04T23:59:59.000',
      vendor: 'hikvision',
      trigger: 'motion',
    });
    expectHint('10.11.37.189_01_20150917094425492_FACE_DETECTION.JPG', {
      local: '2015-09-17T09:44:25.492',
      vendor: 'hikvision',
      trigger: 'motion',
    });
    expectHint('192.168.1.64_01_20200101000000000_ALARM_INPUT.jpg', {
      local: '2020-01-01T00:00:00.000',
      vendor: 'hikvision',
      trigger: 'alarm',
    });
    // Custom prefix and a serial number in the channel's place; an event word we do not know.
    expectHint('gg_733804851_20190319124752348_SCENE_CHANGE_DETECTION.jpg', {
      local: '2019-03-19T12:47:52.348',
      vendor: 'hikvision',
      trigger: undefined,
    });
  });

  it('refuses impossible times', () => {
    assert.equal(nameHint('192.168.1.64_01_20231304101503123_TIMING.jpg'), undefined);
    assert.equal(nameHint('192.168.1.64_01_20230230101503123_TIMING.jpg'), undefined);
    assert.equal(nameHint('192.168.1.64_01_20231204241503123_TIMING.jpg'), undefined);
  });
});

describe('nameHint: Vivotek, Reolink, Foscam, GeoVision, Axis', () => {
  it('Vivotek: periodic and event snapshots', () => {
    expectHint('video_20050107175903.jpg', {
      local: '2005-01-07T17:59:03',
      vendor: 'vivotek',
      trigger: 'scheduled',
    });
    expectHint('gate_cam_20240310083000123.jpg', {
      local: '2024-03-10T08:30:00.123',
      vendor: 'vivotek',
      trigger: 'scheduled',
    });
    expectHint('snap_20050107180659_4_trg.jpg', {
      local: '2005-01-07T18:06:59',
      vendor: 'vivotek',
      trigger: undefined,
    });
    expectHint('snap_20050107180653_1_pre.jpg', {
      local: '2005-01-07T18:06:53',
      vendor: 'vivotek',
      trigger: undefined,
    });
  });

  it('Reolink: name, channel, time', () => {
    expectHint('Front Door_00_20230815142233.jpg', {
      local: '2023-08-15T14:22:33',
      vendor: 'reolink',
      trigger: undefined,
    });
    expectHint('reolink/Camera1_01_20240101000001.jpg', {
      local: '2024-01-01T00:00:01',
      vendor: 'reolink',
      trigger: undefined,
    });
  });

  it('Foscam: motion alarm and schedule', () => {
    expectHint('FI9821W_C4D655XXXXXX/snap/MDAlarm_20180807-135928.jpg', {
      local: '2018-08-07T13:59:28',
      vendor: 'foscam',
      trigger: 'motion',
    });
    expectHint('Schedule_20231204-000000.jpg', {
      local: '2023-12-04T00:00:00',
      vendor: 'foscam',
      trigger: 'scheduled',
    });
    expectHint('IOAlarm_20231204-120000.jpg', {
      local: '2023-12-04T12:00:00',
      vendor: 'foscam',
      trigger: 'alarm',
    });
    assert.equal(nameHint('MDAlarm_20181307-135928.jpg'), undefined);
  });

  it('GeoVision: event folder and name', () => {
    expectHint('00-18-ae-a8-da-2a/MOTION/2021-01-09/14/MOTION_2021-01-09-14-05-33-250_001.jpg', {
      local: '2021-01-09T14:05:33.250',
      vendor: 'geovision',
      trigger: 'motion',
    });
    expectHint('SENSOR_2021-01-09-14-05-33-250_002.jpg', {
      local: '2021-01-09T14:05:33.250',
      vendor: 'geovision',
      trigger: 'alarm',
    });
  });

  it('Axis: date/time suffix and browser snapshots', () => {
    expectHint('axis/image23-12-04_10-15-03-45.jpg', {
      local: '2023-12-04T10:15:03.450',
      vendor: 'axis',
      trigger: undefined,
    });
    expectHint('image_2023-12-04_10-15-03.jpg', {
      local: '2023-12-04T10:15:03',
      vendor: 'axis',
      trigger: undefined,
    });
    expectHint('Snapshot_2023-12-04_10-15-03.jpg', {
      local: '2023-12-04T10:15:03',
      vendor: 'axis',
      trigger: undefined,
    });
    assert.equal(nameHint('image23-02-29_10-15-03-45.jpg'), undefined);
  });
});

describe('nameHint: negatives', () => {
  it('says nothing about names without a recognisable time', () => {
    for (const p of [
      '',
      'snapshot.jpg',
      'video.jpg',
      'IMG_0001.JPG',
      'DSC01234.jpg',
      'cam1/2023-12-04/001/jpg/10/15/',
      '192.168.1.64_01_20231204101503123_TIMING.mp4',
      'video_2005010717590.jpg',
      'video_200501071759031.jpg',
      'Front_00_2023081514223.jpg',
      '20230815142233.jpg',
      'a'.repeat(5000) + '_20230815142233.jpg',
      'notes_19691231235959.jpg',
      'notes_22000101000000.jpg',
    ])
      assert.equal(nameHint(p), undefined, p);
  });

  it('never throws on odd input', () => {
    for (const p of ['\u0000', '////', '[[[]]].jpg', '_'.repeat(10_000), undefined as unknown as string])
      assert.doesNotThrow(() => nameHint(p));
  });
});

describe('clockDriftS', () => {
  it('is camera minus receipt, seconds, in the given zone', () => {
    const received = Date.UTC(2023, 11, 4, 9, 15, 0);
    assert.equal(clockDriftS('2023-12-04T10:15:03', received, 'Europe/Berlin'), 3);
    assert.equal(clockDriftS('2023-12-04T10:14:30.500', received, 'Europe/Berlin'), -29.5);
    assert.equal(clockDriftS('2023-12-04T09:15:00', received, 'UTC'), 0);
    // Lima is UTC-5 (04:15 there): a camera showing 03:15 is an hour behind.
    assert.equal(clockDriftS('2023-12-04T03:15:00', received, 'America/Lima'), -3600);
    assert.throws(() => clockDriftS('2023-02-30T00:00:00', received, 'UTC'), RangeError);
  });

  it('reads a repeated local hour (clocks going back) with the offset nearest to the receipt', () => {
    // Europe/Berlin 2023-10-29: 03:00 CEST → 02:00 CET; 02:30 happens twice (00:30Z and 01:30Z).
    assert.deepEqual(instantsFromLocal('2023-10-29T02:30:00', 'Europe/Berlin'), [
      Date.UTC(2023, 9, 29, 0, 30),
      Date.UTC(2023, 9, 29, 1, 30),
    ]);
    assert.equal(clockDriftS('2023-10-29T02:30:00', Date.UTC(2023, 9, 29, 0, 30, 5), 'Europe/Berlin'), -5);
    assert.equal(clockDriftS('2023-10-29T02:30:00', Date.UTC(2023, 9, 29, 1, 30, 5), 'Europe/Berlin'), -5);
    // America/New_York 2023-11-05: 01:xx twice.
    assert.equal(clockDriftS('2023-11-05T01:59:59', Date.UTC(2023, 10, 5, 6, 0, 1), 'America/New_York'), -2);
  });

  it('reads a skipped local hour (clocks going forward) with either offset', () => {
    // Europe/Berlin 2023-03-26: 02:00 CET → 03:00 CEST; 02:30 does not exist.
    assert.deepEqual(instantsFromLocal('2023-03-26T02:30:00', 'Europe/Berlin'), []);
    // A camera that did not spring forward sends 02:30 at 01:30Z (it still runs CET).
    assert.equal(clockDriftS('2023-03-26T02:30:00', Date.UTC(2023, 2, 26, 1, 30, 0), 'Europe/Berlin'), 0);
    // One that is an hour ahead sends it at 00:30Z (read as CEST, the nearest).
    assert.equal(clockDriftS('2023-03-26T02:30:00', Date.UTC(2023, 2, 26, 0, 30, 0), 'Europe/Berlin'), 0);
  });

  it('zone offsets (the helper it reuses)', () => {
    assert.equal(zoneOffsetMs(Date.UTC(2023, 6, 1), 'Europe/Berlin'), 2 * 3600_000);
    assert.equal(zoneOffsetMs(Date.UTC(2023, 0, 1), 'Asia/Kolkata'), 5.5 * 3600_000);
    assert.equal(zoneOffsetMs(Date.UTC(2023, 0, 1), 'America/Lima'), -5 * 3600_000);
    assert.deepEqual(instantsFromLocal('2023-07-01T12:00:00.250', 'Asia/Kolkata'), [
      Date.UTC(2023, 6, 1, 6, 30, 0, 250),
    ]);
    assert.equal(instantsFromLocal('2023-07-01 12:00:00', 'UTC'), undefined);
  });
});
