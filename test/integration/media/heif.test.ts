import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';
import { createMediaAnalyzer } from '../../../src/media/analyzer.js';
import { hammingDistance } from '../../../src/media/phash.js';
import { makeHeic, photosDir } from '../../kit/generated-media.js';
import { decodedSize, isJpegFile, isWebpFile } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'outpost-heif-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('HEIC photos (phones)', () => {
  it('reads EXIF and makes upright derivatives through libheif', async () => {
    const src = join(photosDir(), 'Canon_40D.jpg');
    const heic = join(work, 'IMG_0001.HEIC');
    // A real HEVC-coded HEIC, made with libheif's encoder (keeps the EXIF block).
    makeHeic(src, heic);
    const analyzer = createMediaAnalyzer({ runner: nodeProcessRunner });
    const probe = await analyzer.probe(heic, 'photo', { timeZone: 'UTC' });
    assert.equal(probe.facts.capturedAt?.local, '2008-05-30T15:56:01');
    assert.match(probe.facts.make ?? '', /Canon/);

    const t = (n: string): string => join(work, n);
    const res = await analyzer.derive(
      heic,
      'photo',
      { thumbPath: t('h-thumb.webp'), previewPath: t('h-preview.jpg'), posterPath: t('h-poster.jpg') },
      { thumbSize: 320, previewSize: 1600 },
    );
    assert.ok(res.thumb && res.preview, JSON.stringify(res.warnings));
    assert.ok(await isJpegFile(t('h-preview.jpg')));
    assert.ok(await isWebpFile(t('h-thumb.webp')));
    const size = await decodedSize(t('h-thumb.webp'));
    assert.ok(size.width > size.height, 'landscape stays landscape');

    // The same picture as JPEG gets (nearly) the same perceptual hash.
    const ref = await analyzer.derive(
      src,
      'photo',
      { thumbPath: t('j-thumb.webp'), previewPath: t('j-preview.jpg'), posterPath: t('j-poster.jpg') },
      { thumbSize: 320, previewSize: 1600 },
    );
    assert.ok(res.phash && ref.phash);
    assert.ok(hammingDistance(res.phash, ref.phash) <= 8, `${res.phash} vs ${ref.phash}`);
  });
});
