import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { posterArgs, posterSeekS } from '../../../src/media/derive-video.js';
import { embeddedPreviewArgs, pickEmbeddedPreview } from '../../../src/media/embedded-preview.js';

describe('posterArgs', () => {
  it('seeks before the input, takes one frame at -q:v 3 and overwrites', () => {
    const a = posterArgs('/lib/clip.mp4', '/lib/.outpost/tmp/p.jpg', 1);
    const ss = a.indexOf('-ss');
    const i = a.indexOf('-i');
    assert.ok(ss >= 0 && i > ss, '-ss must come before -i (demuxer seek)');
    assert.equal(a[ss + 1], '1.000');
    assert.equal(a[i + 1], 'file:/lib/clip.mp4');
    assert.equal(a[a.indexOf('-frames:v') + 1], '1');
    assert.equal(a[a.indexOf('-q:v') + 1], '3');
    assert.ok(a.includes('-y'));
    assert.ok(a.includes('-nostdin'));
    assert.equal(a.at(-1), 'file:/lib/.outpost/tmp/p.jpg');
  });

  it('writes to stdout when asked, and formats fractional seeks', () => {
    const a = posterArgs('/x.avi', 'pipe:1', 0.25);
    assert.equal(a.at(-1), 'pipe:1');
    assert.equal(a[a.indexOf('-ss') + 1], '0.250');
    assert.equal(a[a.indexOf('-f') + 1], 'image2pipe');
    assert.equal(a[a.indexOf('-c:v') + 1], 'mjpeg');
  });

  it('holds the input to local files and media demuxers (options before -i)', () => {
    const a = posterArgs('/card/CLIP.MOV', 'pipe:1', 0);
    const i = a.indexOf('-i');
    const p = a.indexOf('-protocol_whitelist');
    const f = a.indexOf('-format_whitelist');
    assert.ok(p >= 0 && p < i && f >= 0 && f < i);
    assert.equal(a[p + 1], 'file');
    assert.doesNotMatch(a[f + 1]!, /hls|concat/);
  });

  it('takes only the first video stream, no audio/subtitles/data', () => {
    const a = posterArgs('/x.mts', 'pipe:1', 0);
    assert.equal(a[a.indexOf('-map') + 1], '0:v:0');
    for (const flag of ['-an', '-sn', '-dn']) assert.ok(a.includes(flag), flag);
  });
});

describe('posterSeekS', () => {
  it('is min(1 s, 10 % of the duration), 0 when unknown', () => {
    assert.equal(posterSeekS(120), 1);
    assert.equal(posterSeekS(10), 1);
    assert.equal(posterSeekS(5), 0.5);
    assert.equal(posterSeekS(0.4), 0.04);
    assert.equal(posterSeekS(undefined), 0);
    assert.equal(posterSeekS(0), 0);
    assert.equal(posterSeekS(Number.NaN), 0);
  });
});

describe('embedded previews', () => {
  it('asks ExifTool for every candidate and the orientation in one JSON run', () => {
    assert.deepEqual(embeddedPreviewArgs('/c/IMG_1.CR2'), [
      '-json',
      '-b',
      '-n',
      '-JpgFromRaw',
      '-PreviewImage',
      '-ThumbnailImage',
      '-Orientation',
      '/c/IMG_1.CR2',
    ]);
  });

  it('picks the largest JPEG and the main image orientation', () => {
    const jpeg = (n: number): string =>
      'base64:' + Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(n)]).toString('base64');
    const out = JSON.stringify([
      {
        SourceFile: '/c/a.nef',
        PreviewImage: jpeg(500),
        JpgFromRaw: jpeg(5000),
        ThumbnailImage: jpeg(50),
        Orientation: 8,
      },
    ]);
    const p = pickEmbeddedPreview(out);
    assert.equal(p?.tag, 'JpgFromRaw');
    assert.equal(p?.image.length, 5004);
    assert.equal(p?.orientation, 8);
  });

  it('skips non-JPEG blobs and copes with nothing found', () => {
    const notJpeg = 'base64:' + Buffer.from('II*\0 tiff data').toString('base64');
    const small = 'base64:' + Buffer.from([0xff, 0xd8, 0xff, 0xdb, 1, 2]).toString('base64');
    const p = pickEmbeddedPreview(
      JSON.stringify([{ PreviewImage: notJpeg, ThumbnailImage: small, Orientation: 0 }]),
    );
    assert.equal(p?.tag, 'ThumbnailImage');
    assert.equal(p?.orientation, undefined);
    assert.equal(pickEmbeddedPreview(JSON.stringify([{ SourceFile: '/x' }])), undefined);
    assert.equal(pickEmbeddedPreview(''), undefined);
  });
});
