/**
 * The MediaAnalyzer: facts and derivatives for photos (exifr + sharp, ExifTool for RAW
 * previews), videos (ffprobe + ffmpeg poster) and audio (ffprobe only).
 */
import { resolve } from 'node:path';
import sharp from 'sharp';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { deriveImage } from './derive-image.js';
import { deriveVideo } from './derive-video.js';
import { probeImage } from './exif.js';
import { probeAv } from './ffprobe.js';
import type { MediaAnalyzer } from './types.js';

export interface MediaAnalyzerDeps {
  /** Runs ffprobe, ffmpeg and exiftool. */
  runner: ProcessRunner;
}

let sharpConfigured = false;

/**
 * libvips' operation cache keeps decoded tiles of files it will never see again (each
 * original is read once): on a Raspberry Pi that memory is better left free.
 */
function configureSharp(): void {
  if (sharpConfigured) return;
  sharpConfigured = true;
  sharp.cache(false);
}

export function createMediaAnalyzer(deps: MediaAnalyzerDeps): MediaAnalyzer {
  configureSharp();
  const { runner } = deps;
  return {
    async probe(filePath, type, opts) {
      opts.signal?.throwIfAborted();
      // Absolute paths: tools must never read a name starting with '-' as an option.
      const abs = resolve(filePath);
      if (type === 'photo')
        return probeImage(abs, { runner, ...(opts.signal ? { signal: opts.signal } : {}) });
      const { facts, warnings } = await probeAv(runner, abs, opts.timeZone, opts.signal);
      return { facts, warnings };
    },

    async derive(filePath, type, targets, opts) {
      opts.signal?.throwIfAborted();
      const abs = resolve(filePath);
      const render = {
        thumbSize: opts.thumbSize,
        previewSize: opts.previewSize,
        ...(opts.signal ? { signal: opts.signal } : {}),
      };
      if (type === 'photo') return deriveImage(runner, abs, targets, render);
      if (type === 'video') return deriveVideo(runner, abs, targets, render);
      // Audio: nothing to look at.
      return { thumb: false, preview: false, poster: false, warnings: [] };
    },
  };
}
