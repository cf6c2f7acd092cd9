import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessRunner, RunResult } from '../../../src/adapters/process-runner.js';
import {
  ffmpegErrorLine,
  ffprobeArgs,
  parseFfprobe,
  parseIso6709,
  probeAv,
} from '../../../src/media/ffprobe.js';

// Recorded with ffprobe 5.1 (`-v error -print_format json -show_format -show_streams`) on
// clips made by ffmpeg; long fields that the parser never reads are trimmed.

/** testsrc 320x240 @25 + 440 Hz sine, H.264/AAC MP4, -metadata creation_time=2024-05-01T08:20:30Z */
const MP4 = {
  streams: [
    {
      index: 0,
      codec_name: 'h264',
      profile: 'High',
      codec_type: 'video',
      width: 320,
      height: 240,
      pix_fmt: 'yuv420p',
      r_frame_rate: '25/1',
      avg_frame_rate: '25/1',
      time_base: '1/12800',
      duration: '2.000000',
      bit_rate: '45076',
      nb_frames: '50',
      disposition: { default: 1, attached_pic: 0 },
      tags: {
        creation_time: '2024-05-01T08:20:30.000000Z',
        language: 'und',
        handler_name: 'VideoHandler',
        vendor_id: '[0][0][0][0]',
        encoder: 'Lavc59.37.100 libx264',
      },
    },
    {
      index: 1,
      codec_name: 'aac',
      profile: 'LC',
      codec_type: 'audio',
      sample_fmt: 'fltp',
      sample_rate: '44100',
      channels: 1,
      channel_layout: 'mono',
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      duration: '2.000000',
      bit_rate: '69671',
      disposition: { default: 1, attached_pic: 0 },
      tags: {
        creation_time: '2024-05-01T08:20:30.000000Z',
        language: 'und',
        handler_name: 'SoundHandler',
      },
    },
  ],
  format: {
    filename: 'file:a.mp4',
    nb_streams: 2,
    format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
    format_long_name: 'QuickTime / MOV',
    start_time: '0.000000',
    duration: '2.000000',
    size: '31973',
    bit_rate: '127892',
    probe_score: 100,
    tags: {
      major_brand: 'isom',
      minor_version: '512',
      compatible_brands: 'isomiso2avc1mp41',
      creation_time: '2024-05-01T08:20:30.000000Z',
      encoder: 'Lavf59.27.100',
    },
  },
};

/** iPhone-style MOV: Apple creationdate with the camera's offset, ISO 6709 position. */
const APPLE_MOV = {
  streams: [
    {
      codec_name: 'h264',
      codec_type: 'video',
      width: 320,
      height: 240,
      r_frame_rate: '25/1',
      avg_frame_rate: '25/1',
      duration: '2.000000',
      bit_rate: '45076',
      nb_frames: '50',
      disposition: { attached_pic: 0 },
      tags: { creation_time: '2024-05-01T08:20:30.000000Z', handler_name: 'VideoHandler', vendor_id: 'FFMP' },
    },
  ],
  format: {
    nb_streams: 1,
    format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
    duration: '2.000000',
    bit_rate: '52516',
    tags: {
      major_brand: 'qt  ',
      minor_version: '512',
      compatible_brands: 'qt  ',
      'com.apple.quicktime.creationdate': '2024-05-01T10:20:30+0200',
      creation_time: '2024-05-01T08:20:30Z',
      'com.apple.quicktime.location.ISO6709': '+48.8577+002.2950+035.000/',
      'com.apple.quicktime.make': 'Apple',
      'com.apple.quicktime.model': 'iPhone 12',
      encoder: 'Lavf59.27.100',
    },
  },
};

/** MJPEG AVI at 29.97 fps, -metadata "date=2024-05-01 10:20:30" (RIFF ICRD). */
const AVI = {
  streams: [
    {
      codec_name: 'mjpeg',
      codec_type: 'video',
      width: 320,
      height: 240,
      r_frame_rate: '30000/1001',
      avg_frame_rate: '30000/1001',
      duration: '2.002000',
      bit_rate: '2514784',
      nb_frames: '60',
      disposition: { attached_pic: 0 },
    },
  ],
  format: {
    nb_streams: 1,
    format_name: 'avi',
    duration: '2.002000',
    bit_rate: '2501866',
    tags: { date: '2024-05-01 10:20:30', software: 'Lavf59.27.100' },
  },
};

/** MP3 with cover art: the JPEG is a one-frame "video" stream flagged attached_pic. */
const MP3_WITH_COVER = {
  streams: [
    {
      codec_name: 'mp3',
      codec_type: 'audio',
      sample_rate: '44100',
      channels: 1,
      channel_layout: 'mono',
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      duration: '1.044898',
      bit_rate: '64000',
      disposition: { attached_pic: 0 },
    },
    {
      codec_name: 'mjpeg',
      codec_type: 'video',
      width: 640,
      height: 480,
      r_frame_rate: '90000/1',
      avg_frame_rate: '0/0',
      duration: '1.044900',
      disposition: { attached_pic: 1 },
      tags: { comment: 'Other' },
    },
  ],
  format: {
    nb_streams: 2,
    format_name: 'mp3',
    duration: '1.044898',
    bit_rate: '1304035',
    tags: { encoder: 'Lavf59.27.100' },
  },
};

/** PCM WAV: no tags, no start_time. */
const WAV = {
  streams: [
    {
      codec_name: 'pcm_s16le',
      codec_type: 'audio',
      sample_rate: '44100',
      channels: 1,
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      duration: '2.000000',
      bit_rate: '705600',
    },
  ],
  format: {
    nb_streams: 1,
    format_name: 'wav',
    duration: '2.000000',
    bit_rate: '705912',
    tags: { encoder: 'Lavf59.27.100' },
  },
};

describe('ffprobeArgs', () => {
  it('reads the local file only, with the demuxers of our media types', () => {
    const a = ffprobeArgs('/card/CLIP.MOV');
    assert.equal(a[a.indexOf('-protocol_whitelist') + 1], 'file');
    const formats = a[a.indexOf('-format_whitelist') + 1]!.split(',');
    for (const f of ['mov', 'avi', 'mpegts', 'wav', 'mp3']) assert.ok(formats.includes(f), f);
    for (const f of ['hls', 'concat', 'image2', 'tee', 'lavfi']) assert.ok(!formats.includes(f), f);
  });

  it('asks for JSON format and streams, errors only, the path behind file:', () => {
    assert.deepEqual(ffprobeArgs('/lib/a:b.mp4'), [
      '-v',
      'error',
      '-protocol_whitelist',
      'file',
      '-format_whitelist',
      'mov,avi,mpegts,mpeg,matroska,wav,mp3,aac,flac,ogg',
      '-print_format',
      'json',
      '-show_format',
      '-show_streams',
      'file:/lib/a:b.mp4',
    ]);
  });
});

describe('parseFfprobe', () => {
  it('reads duration, size, codecs and extras of an MP4', () => {
    const f = parseFfprobe(MP4, 'UTC');
    assert.equal(f.durationS, 2);
    assert.equal(f.width, 320);
    assert.equal(f.height, 240);
    assert.deepEqual(f.codecs, { container: 'mov,mp4,m4a,3gp,3g2,mj2', video: 'h264', audio: 'aac' });
    assert.deepEqual(f.extra, { fps: 25, sampleRate: 44100, channels: 1, bitrate: 127892 });
  });

  it('turns a UTC creation_time into the station wall clock, without an offset', () => {
    assert.deepEqual(parseFfprobe(MP4, 'UTC').capturedAt, { local: '2024-05-01T08:20:30', source: 'video' });
    assert.deepEqual(parseFfprobe(MP4, 'Africa/Nairobi').capturedAt, {
      local: '2024-05-01T11:20:30',
      source: 'video',
    });
    // New York is on daylight time (UTC-4) in May.
    assert.deepEqual(parseFfprobe(MP4, 'America/New_York').capturedAt, {
      local: '2024-05-01T04:20:30',
      source: 'video',
    });
    // Across midnight and a date line.
    assert.deepEqual(parseFfprobe(MP4, 'Pacific/Kiritimati').capturedAt?.local, '2024-05-01T22:20:30');
    assert.deepEqual(parseFfprobe(MP4, 'Pacific/Pago_Pago').capturedAt?.local, '2024-04-30T21:20:30');
  });

  it('accepts the JSON text as well as the parsed object', () => {
    assert.deepEqual(parseFfprobe(JSON.stringify(MP4), 'UTC'), parseFfprobe(MP4, 'UTC'));
  });

  it("keeps Apple's creationdate wall clock and offset, whatever the station zone", () => {
    for (const zone of ['UTC', 'Asia/Tokyo', 'America/Lima']) {
      const f = parseFfprobe(APPLE_MOV, zone);
      assert.deepEqual(f.capturedAt, { local: '2024-05-01T10:20:30', offset: '+02:00', source: 'video' });
    }
    const f = parseFfprobe(APPLE_MOV, 'UTC');
    assert.equal(f.make, 'Apple');
    assert.equal(f.model, 'iPhone 12');
    assert.deepEqual(f.gps, { lat: 48.8577, lon: 2.295, alt: 35 });
  });

  it('reads an AVI: naive ICRD date as camera time, NTSC frame rate', () => {
    const f = parseFfprobe(AVI, 'Asia/Tokyo');
    assert.deepEqual(f.capturedAt, { local: '2024-05-01T10:20:30', source: 'video' });
    assert.equal(f.durationS, 2.002);
    assert.deepEqual(f.codecs, { container: 'avi', video: 'mjpeg' });
    assert.equal(f.extra?.fps, 29.97);
  });

  it('keeps a bare creation_time (AVI IDIT) as naive camera time', () => {
    const f = parseFfprobe({ format: { tags: { creation_time: '2003-03-10 15:04:43' } } }, 'Asia/Tokyo');
    assert.deepEqual(f.capturedAt, { local: '2003-03-10T15:04:43', source: 'video' });
  });

  it('does not count cover art as video', () => {
    const f = parseFfprobe(MP3_WITH_COVER, 'UTC');
    assert.equal(f.width, undefined);
    assert.equal(f.height, undefined);
    assert.deepEqual(f.codecs, { container: 'mp3', audio: 'mp3' });
    assert.equal(f.durationS, 1.045);
    assert.equal(f.extra?.fps, undefined);
  });

  it('reads audio-only WAV without a capture time', () => {
    const f = parseFfprobe(WAV, 'UTC');
    assert.equal(f.capturedAt, undefined);
    assert.deepEqual(f.codecs, { container: 'wav', audio: 'pcm_s16le' });
    assert.deepEqual(f.extra, { sampleRate: 44100, channels: 1, bitrate: 705912 });
  });

  it('tolerates missing fields and garbage', () => {
    assert.deepEqual(parseFfprobe({}, 'UTC'), {});
    assert.deepEqual(parseFfprobe('not json', 'UTC'), {});
    assert.deepEqual(parseFfprobe(null, 'UTC'), {});
    assert.deepEqual(parseFfprobe({ streams: [{ codec_type: 'video' }] }, 'UTC'), {});
    // Duration only on a stream.
    assert.equal(parseFfprobe({ streams: [{ codec_type: 'audio', duration: '3.5' }] }, 'UTC').durationS, 3.5);
  });

  it('ignores unset (epoch) creation times', () => {
    for (const t of ['1970-01-01T00:00:00.000000Z', '1904-01-01T00:00:00.000000Z', '0000-00-00 00:00:00']) {
      assert.equal(
        parseFfprobe({ format: { tags: { creation_time: t } } }, 'Asia/Tokyo').capturedAt,
        undefined,
      );
    }
  });

  it('maps display rotation to an EXIF orientation', () => {
    const withMatrix = (rotation: number): unknown => ({
      streams: [{ codec_type: 'video', width: 1920, height: 1080, side_data_list: [{ rotation }] }],
    });
    assert.equal(parseFfprobe(withMatrix(-90), 'UTC').orientation, 6);
    assert.equal(parseFfprobe(withMatrix(90), 'UTC').orientation, 8);
    assert.equal(parseFfprobe(withMatrix(180), 'UTC').orientation, 3);
    assert.equal(parseFfprobe(withMatrix(0), 'UTC').orientation, undefined);
    const withTag = { streams: [{ codec_type: 'video', width: 1920, height: 1080, tags: { rotate: '90' } }] };
    assert.equal(parseFfprobe(withTag, 'UTC').orientation, 6);
    // Stored dimensions are kept as they are.
    assert.equal(parseFfprobe(withTag, 'UTC').width, 1920);
  });
});

describe('parseIso6709', () => {
  it('reads signed degrees and altitude', () => {
    assert.deepEqual(parseIso6709('-33.8688+151.2093/'), { lat: -33.8688, lon: 151.2093 });
    assert.deepEqual(parseIso6709('+01.2921+036.8219+1795.000/'), { lat: 1.2921, lon: 36.8219, alt: 1795 });
    assert.equal(parseIso6709('+00.0000+000.0000/'), undefined);
    assert.equal(parseIso6709('+95.0000+000.0000/'), undefined);
    assert.equal(parseIso6709('garbage'), undefined);
  });
});

describe('ffmpegErrorLine', () => {
  it('drops the demuxer and path prefixes', () => {
    const stderr =
      '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55a8cb9041c0] moov atom not found\nfile:/x/zero.mp4: Invalid data found when processing input\n';
    assert.equal(ffmpegErrorLine(stderr, '/x/zero.mp4'), 'moov atom not found');
    assert.equal(
      ffmpegErrorLine('file:/x/zero.mp4: Invalid data found when processing input\n', '/x/zero.mp4'),
      'Invalid data found when processing input',
    );
    assert.equal(ffmpegErrorLine('\n  \n'), undefined);
  });
});

function fakeRunner(result: Partial<RunResult>, calls: string[][] = []): ProcessRunner {
  return {
    run: (cmd, args) => {
      calls.push([cmd, ...args]);
      return Promise.resolve({ code: 0, signal: null, stdout: Buffer.alloc(0), stderr: '', ...result });
    },
  };
}

describe('probeAv', () => {
  it('runs ffprobe with the built arguments and parses its output', async () => {
    const calls: string[][] = [];
    const r = await probeAv(
      fakeRunner({ stdout: Buffer.from(JSON.stringify(MP4)) }, calls),
      '/v/a.mp4',
      'UTC',
    );
    assert.deepEqual(calls, [['ffprobe', ...ffprobeArgs('/v/a.mp4')]]);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.hasVideo, true);
    assert.equal(r.facts.durationS, 2);
  });

  it('warns DECODE_FAILED with the first stderr line when ffprobe fails', async () => {
    const r = await probeAv(
      fakeRunner({
        code: 1,
        stderr:
          '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5558dcb6d1c0] moov atom not found\nfile:/v/x.mp4: Invalid data found when processing input\n',
      }),
      '/v/x.mp4',
      'UTC',
    );
    assert.deepEqual(r.facts, {});
    assert.equal(r.warnings.length, 1);
    assert.equal(r.warnings[0]?.code, 'DECODE_FAILED');
    assert.match(r.warnings[0]?.message ?? '', /moov atom not found/);
  });

  it('warns DECODE_FAILED when there are no streams', async () => {
    const r = await probeAv(
      fakeRunner({ stdout: Buffer.from(JSON.stringify({ streams: [], format: {} })) }),
      '/v/x.mp4',
      'UTC',
    );
    assert.equal(r.hasVideo, false);
    assert.deepEqual(
      r.warnings.map((w) => w.code),
      ['DECODE_FAILED'],
    );
  });

  it('reports cover-art-only files as having no video', async () => {
    const r = await probeAv(
      fakeRunner({ stdout: Buffer.from(JSON.stringify(MP3_WITH_COVER)) }),
      '/a.mp3',
      'UTC',
    );
    assert.equal(r.hasVideo, false);
    assert.deepEqual(r.warnings, []);
  });
});
