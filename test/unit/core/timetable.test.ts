import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOutpostError } from '../../../src/core/errors.js';
import { parseBandwidth, parseSize } from '../../../src/core/bandwidth.js';
import {
  type Timetable,
  parseTimetable,
  parseTimetableOrThrow,
  rateAt,
} from '../../../src/core/timetable.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function tt(text: string): Timetable {
  const r = parseTimetable(text);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.timetable;
}

/** A UTC date in the week of Sunday 2024-06-02; day 0 = Sunday. */
const at = (day: number, hh: number, mm = 0): Date => new Date(Date.UTC(2024, 5, 2 + day, hh, mm));

describe('bandwidth values (rclone sizes)', () => {
  it('reads rclone suffixes: no suffix is KiB/s, all binary, all bytes', () => {
    const cases: [string, number][] = [
      ['512', 512 * KiB],
      ['0', 0],
      ['100B', 100],
      ['100b', 100],
      ['256k', 256 * KiB],
      ['256K', 256 * KiB],
      ['256Ki', 256 * KiB],
      ['256KiB', 256 * KiB],
      ['10M', 10 * MiB],
      ['10MiB', 10 * MiB],
      ['1.5M', 1.5 * MiB],
      ['2G', 2 * 1024 * MiB],
      ['1T', 1024 * 1024 * MiB],
    ];
    for (const [text, bps] of cases) assert.deepEqual(parseSize(text), { ok: true, bps }, text);
  });

  it('off is no limit by default, paused on request', () => {
    assert.deepEqual(parseSize('off'), { ok: true, bps: Infinity });
    assert.deepEqual(parseSize('OFF', { off: 'paused' }), { ok: true, bps: 0 });
  });

  it('takes the upload side of upload:download pairs', () => {
    assert.deepEqual(parseBandwidth('10M:100k'), { ok: true, bps: 10 * MiB });
    assert.deepEqual(parseBandwidth('off:100k'), { ok: true, bps: Infinity });
    assert.deepEqual(parseBandwidth('666:333'), { ok: true, bps: 666 * KiB });
    assert.equal(parseBandwidth('10M:').ok, false);
    assert.match((parseBandwidth('10M:bad') as { message: string }).message, /download side/);
  });

  it('rejects bad values with a reason', () => {
    for (const bad of ['', '1000X', 'bad', '-5', '10MB', '10KIB', '1..2k', 'k']) {
      const r = parseSize(bad);
      assert.equal(r.ok, false, bad);
    }
    assert.match((parseSize('10MB') as { message: string }).message, /10M or 10MiB/);
    assert.match((parseSize('-5') as { message: string }).message, /negative/);
  });
});

describe('bandwidth timetable', () => {
  it('a single value applies always', () => {
    const t = tt('1M');
    assert.equal(rateAt(t, at(3, 4), 'UTC'), MiB);
    assert.equal(rateAt(tt('10M:100k'), at(0, 0), 'UTC'), 10 * MiB);
    assert.equal(rateAt(tt('off'), at(0, 0), 'UTC'), Infinity);
  });

  it("rclone's daily example", () => {
    const t = tt('08:00,512k 12:00,10M 13:00,512k 18:00,30M 23:00,off');
    const cases: [number, number, number][] = [
      [8, 0, 512 * KiB],
      [11, 59, 512 * KiB],
      [12, 0, 10 * MiB],
      [13, 30, 512 * KiB],
      [18, 0, 30 * MiB],
      [23, 0, Infinity],
      [3, 0, Infinity], // wraps from 23:00 the day before
      [7, 59, Infinity],
    ];
    for (const [h, m, want] of cases) {
      for (const day of [0, 3, 6]) assert.equal(rateAt(t, at(day, h, m), 'UTC'), want, `${day} ${h}:${m}`);
    }
  });

  it("rclone's weekly example: the week wraps from Saturday night to Monday", () => {
    const t = tt('Mon-00:00,512 Fri-23:59,10M Sat-10:00,1M Sun-20:00,off');
    assert.equal(rateAt(t, at(1, 0), 'UTC'), 512 * KiB);
    assert.equal(rateAt(t, at(3, 12), 'UTC'), 512 * KiB);
    assert.equal(rateAt(t, at(5, 23, 59), 'UTC'), 10 * MiB);
    assert.equal(rateAt(t, at(6, 9, 59), 'UTC'), 10 * MiB);
    assert.equal(rateAt(t, at(6, 10), 'UTC'), MiB);
    assert.equal(rateAt(t, at(0, 19, 59), 'UTC'), MiB); // Sunday, before Sun-20:00
    assert.equal(rateAt(t, at(0, 20), 'UTC'), Infinity);
    assert.equal(rateAt(t, at(0, 0), 'UTC'), MiB, "Sunday 00:00 is still Saturday's 10:00 entry");
  });

  it("the issue's example mixes a weekday entry with daily ones, with ; as separator too", () => {
    for (const text of ['Mon-08:00,256k 18:00,off 01:00,2M', 'Mon-08:00,256k;18:00,off;01:00,2M']) {
      const t = tt(text);
      assert.equal(rateAt(t, at(1, 9), 'UTC'), 256 * KiB);
      assert.equal(rateAt(t, at(1, 19), 'UTC'), Infinity);
      assert.equal(rateAt(t, at(2, 2), 'UTC'), 2 * MiB);
      assert.equal(rateAt(t, at(2, 9), 'UTC'), 2 * MiB, 'Tuesday has no 08:00 entry');
      assert.equal(rateAt(t, at(0, 0, 30), 'UTC'), Infinity, 'wraps to Saturday 18:00');
    }
  });

  it('entries at the same time: the last written wins', () => {
    const t = tt('08:00,1M Wed-08:00,2M');
    assert.equal(rateAt(t, at(3, 9), 'UTC'), 2 * MiB);
    assert.equal(rateAt(t, at(4, 9), 'UTC'), MiB);
  });

  it('0 pauses; off can be read as paused', () => {
    assert.equal(rateAt(tt('08:00,0 18:00,1M'), at(2, 9), 'UTC'), 0);
    const r = parseTimetable('08:00,256k 18:00,off', { off: 'paused' });
    assert.ok(r.ok);
    assert.equal(rateAt(r.timetable, at(2, 19), 'UTC'), 0);
  });

  it('reads wall-clock time in the given time zone', () => {
    const t = tt('08:00,1M 18:00,off');
    // 06:30 UTC is 09:30 in Nairobi (UTC+3) and 01:30 in Lima (UTC-5, the day before).
    assert.equal(rateAt(t, at(3, 6, 30), 'Africa/Nairobi'), MiB);
    assert.equal(rateAt(t, at(3, 6, 30), 'America/Lima'), Infinity);
    const weekly = tt('Mon-00:00,1M Tue-00:00,off');
    // Monday 02:00 UTC is still Sunday 21:00 in Lima.
    assert.equal(rateAt(weekly, at(1, 2), 'America/Lima'), Infinity);
    assert.equal(rateAt(weekly, at(1, 2), 'UTC'), MiB);
  });

  it('reports every error with its position', () => {
    const r = parseTimetable('08:00,512k 25:00,1M Xyz-10:00,1M 10:61,2M 12:00,12Q 1300,1M');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(
      r.issues.map((i) => [i.position, i.token]),
      [
        [11, '25:00'],
        [20, 'Xyz'],
        [33, '10:61'],
        [48, '12Q'],
        [52, '1300'],
      ],
    );
    assert.match(r.issues[0]?.message ?? '', /hour/);
    assert.match(r.issues[1]?.message ?? '', /day/);
    assert.match(r.issues[2]?.message ?? '', /minute/);
    assert.match(r.issues[4]?.message ?? '', /HH:MM/);
  });

  it('rejects what rclone rejects', () => {
    for (const bad of [
      '',
      '   ',
      'bad,bad',
      'bad bad',
      'bad',
      '1000X',
      '2401,666',
      '1061,666',
      'bad-10:20,666',
      'Mon-bad,666',
      'Mon-10:20,bad',
      '10:20,1,2',
      '8:00,1M',
    ]) {
      assert.equal(parseTimetable(bad).ok, false, JSON.stringify(bad));
    }
  });

  it('throws a CONFIG_INVALID error listing every problem', () => {
    try {
      parseTimetableOrThrow('25:00,1M 08:00,1Q', {}, 'uplink.bwlimit');
      assert.fail('should throw');
    } catch (e) {
      assert.ok(isOutpostError(e));
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.match(e.message, /uplink\.bwlimit at 0 \("25:00"\)/);
      assert.match(e.message, /uplink\.bwlimit at 15 \("1Q"\)/);
    }
  });
});
