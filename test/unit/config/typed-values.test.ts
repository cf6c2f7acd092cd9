import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/load.js';
import { DEFAULT_GPIO_LEDS, DEFAULT_SYSFS_LEDS } from '../../../src/config/leds.js';
import { OutpostError } from '../../../src/core/errors.js';
import { rateAt } from '../../../src/core/timetable.js';
import { DEFAULT_MOTION_CONFIG } from '../../../src/recorder/motion/config.js';

const DAY = 86_400_000;

/** The `path: message` lines of the CONFIG_INVALID error `raw` gives. */
function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, 'test');
  } catch (e) {
    assert.ok(e instanceof OutpostError && e.code === 'CONFIG_INVALID', String(e));
    return (e.details as { problems: string[] }).problems;
  }
  return assert.fail('the config should be refused');
}

describe('config: typed values, read once at start-up', () => {
  it('uplink.bwlimit becomes a Timetable (none when empty)', () => {
    assert.equal(parseConfig({}, 'test').uplink.bwlimit, undefined);
    assert.equal(parseConfig({ uplink: { bwlimit: '  ' } }, 'test').uplink.bwlimit, undefined);
    const tt = parseConfig({ uplink: { bwlimit: '08:00,256k 18:00,off' } }, 'test').uplink.bwlimit;
    assert.ok(tt);
    assert.equal(tt.text, '08:00,256k 18:00,off');
    assert.equal(rateAt(tt, new Date(2024, 6, 10, 9, 0)), 256 * 1024);
    assert.equal(rateAt(tt, new Date(2024, 6, 10, 20, 0)), Infinity);
  });

  it('a bad bwlimit is listed with every other bad key, each issue with its position', () => {
    const problems = problemsOf({
      uplink: { bwlimit: '25:00,1M 08:00,1Q', videoShare: 2 },
      scrub: { every: 'weekly' },
    });
    const has = (re: RegExp): boolean => problems.some((p) => re.test(p));
    assert.ok(has(/^uplink\.bwlimit: at 0 "25:00"/), problems.join(' | '));
    assert.ok(has(/^uplink\.bwlimit: at 15 "1Q"/), problems.join(' | '));
    assert.ok(has(/^uplink\.videoShare:/), problems.join(' | '));
    assert.ok(has(/^scrub\.every:/), problems.join(' | '));
  });

  it('scrub.every keeps what was written and adds everyMs', () => {
    assert.equal(parseConfig({ scrub: { every: '2w' } }, 'test').scrub.everyMs, 14 * DAY);
    assert.equal(parseConfig({ scrub: { every: 0.5 } }, 'test').scrub.everyMs, DAY / 2);
  });

  it('motion defaults are stated once: the schema gives exactly the recorder defaults', () => {
    const c = parseConfig({ cameras: [{ name: 'cam', source: 'testsrc:', mode: 'motion' }] }, 'test');
    assert.deepEqual(c.cameras[0]!.motion, {
      ...DEFAULT_MOTION_CONFIG,
      masks: [],
      maskSize: { width: 640, height: 480 },
    });
    const tuned = parseConfig(
      {
        cameras: [
          {
            name: 'cam',
            source: 'testsrc:',
            motion: {
              threshold: 40,
              masks: [
                [
                  [0, 0],
                  [1, 0],
                  [1, 1],
                ],
              ],
            },
          },
        ],
      },
      'test',
    ).cameras[0]!.motion;
    assert.equal(tuned.threshold, 40);
    assert.equal(tuned.fps, DEFAULT_MOTION_CONFIG.fps);
    assert.equal(tuned.masks.length, 1);
    // A default taken by one camera is not shared with the next (each gets its own arrays).
    assert.equal(DEFAULT_MOTION_CONFIG.masks.length, 0);
  });

  it('LEDs: unset ones take the driver defaults, a reused LED is refused', () => {
    assert.deepEqual(parseConfig({}, 'test').indicators.leds, DEFAULT_SYSFS_LEDS);
    assert.deepEqual(
      parseConfig({ indicators: { driver: 'gpiod' } }, 'test').indicators.leds,
      DEFAULT_GPIO_LEDS,
    );
    const problems = problemsOf({
      indicators: { leds: { CARD: { green: 'outpost-backup-green', red: 'x' } } },
    });
    assert.ok(
      problems.some((p) => /already used by CARD\.green/.test(p)),
      problems.join(' | '),
    );
  });

  it('uplink.hq.key must be a station key', () => {
    const key = `op1_field-1_${'A'.repeat(43)}`;
    assert.equal(parseConfig({ uplink: { hq: { key } } }, 'test').uplink.hq.key, key);
    const problems = problemsOf({ uplink: { hq: { key: 'op1_Field_short' } } });
    assert.ok(
      problems.some((p) => p.startsWith('uplink.hq.key: a station key')),
      problems.join(' | '),
    );
  });

  it('hq.objects: local by default, or an S3 bucket with every missing or bad key reported', () => {
    assert.deepEqual(parseConfig({}, 'test').hq.objects, { kind: 'local' });
    const s3 = parseConfig(
      { hq: { objects: { kind: 's3', bucket: 'field-media', accessKeyId: 'AK', secretAccessKey: 'SK' } } },
      'test',
    ).hq.objects;
    assert.deepEqual(s3, {
      kind: 's3',
      region: 'us-east-1',
      bucket: 'field-media',
      prefix: '',
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
    });
    const problems = problemsOf({
      hq: { objects: { kind: 's3', endpoint: 'ftp://x', bucket: 'Field_Media', accessKeyId: 'AK' } },
    });
    for (const key of ['endpoint', 'bucket', 'secretAccessKey'])
      assert.ok(
        problems.some((p) => p.startsWith(`hq.objects.${key}:`)),
        `${key}: ${problems.join(' | ')}`,
      );
    assert.ok(problemsOf({ hq: { objects: { kind: 'ftp' } } }).some((p) => p.startsWith('hq.objects.kind')));
    // Azure: a connection string, or an account URL with a SAS token; a container name Azure takes.
    const az = parseConfig(
      {
        hq: {
          objects: {
            kind: 'azure',
            connectionString: 'AccountName=a;AccountKey=k',
            container: 'field-media',
          },
        },
      },
      'test',
    ).hq.objects;
    assert.deepEqual(az, {
      kind: 'azure',
      connectionString: 'AccountName=a;AccountKey=k',
      container: 'field-media',
      prefix: '',
    });
    const half = problemsOf({
      hq: {
        objects: { kind: 'azure', accountUrl: 'https://a.blob.core.windows.net', container: 'Field--Media' },
      },
    });
    assert.ok(
      half.some((p) => p.startsWith('hq.objects.container:')),
      half.join(' | '),
    );
    const both = problemsOf({
      hq: {
        objects: {
          kind: 'azure',
          connectionString: 'x',
          accountUrl: 'https://a.example',
          sasToken: 's',
          container: 'abc',
        },
      },
    });
    assert.ok(
      both.some((p) => p.startsWith('hq.objects.connectionString: give either connectionString')),
      both.join(' | '),
    );
  });
});
