/**
 * The MediaAnalyzer: facts and derivatives for photos (exifr + sharp, ExifTool for RAW
 * previews), videos (ffprobe + ffmpeg poster) and audio (ffprobe only).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { deriveVideo, deriveVideoCopy } from './derive-video.js';
import type * as PhotoSide from './images.js';
import { probeAv, type AvProbe } from './ffprobe.js';
import type { MediaAnalyzer } from './types.js';

export interface MediaAnalyzerDeps {
  /** Runs ffprobe, ffmpeg and exiftool. */
  runner: ProcessRunner;
}

type PhotoModules = typeof PhotoSide;
let images: Promise<PhotoModules> | undefined;

/**
 * The photo modules, loaded on the first photo: sharp (libvips) takes ~0.3 s to load, on the
 * cores a card of videos needs for its copy. libvips' operation cache keeps decoded tiles of files
 * it will never see again (each original is read once): on a Raspberry Pi that memory is better
 * left free.
 */
function photoModules(): Promise<PhotoModules> {
  images ??= import('./images.js').then((m) => {
    m.sharp.cache(false);
    return m;
  });
  return images;
}

/**
 * The same file, byte for byte: device, inode, size, mtime and birth time (nanoseconds). Linking
 * a copy into the library keeps all five; a new file that reuses the inode has another birth time.
 */
async function identity(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.birthtimeNs}`;
  } catch {
    return undefined;
  }
}

/** Audio/video probes kept for the derive that follows (ffprobe costs ~0.2 s of CPU per start). */
const MEMO_SIZE = 32;

export function createMediaAnalyzer(deps: MediaAnalyzerDeps): MediaAnalyzer {
  const { runner } = deps;
  // Ingest probes a video's copy, places it (a hard link: the same file) and derives it: the
  // derive's ffprobe would repeat the probe, so the probe is kept until then (bounded).
  const probes = new Map<string, AvProbe>();
  const remember = async (abs: string, p: AvProbe): Promise<void> => {
    const id = await identity(abs);
    if (!id) return;
    probes.set(id, p);
    for (const k of probes.keys()) {
      if (probes.size <= MEMO_SIZE) break;
      probes.delete(k);
    }
  };
  const recall = async (abs: string): Promise<AvProbe | undefined> => {
    const id = probes.size > 0 ? await identity(abs) : undefined;
    const p = id === undefined ? undefined : probes.get(id);
    if (id !== undefined) probes.delete(id);
    return p;
  };
  return {
    async probe(filePath, type, opts) {
      opts.signal?.throwIfAborted();
      // Absolute paths: tools must never read a name starting with '-' as an option.
      const abs = resolve(filePath);
      if (type === 'photo')
        return (await photoModules()).probeImage(abs, {
          runner,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      const av = await probeAv(runner, abs, opts.timeZone, opts.signal);
      if (type === 'video') await remember(abs, av);
      return { facts: av.facts, warnings: av.warnings };
    },

    async derive(filePath, type, targets, opts) {
      opts.signal?.throwIfAborted();
      const abs = resolve(filePath);
      const render = {
        thumbSize: opts.thumbSize,
        previewSize: opts.previewSize,
        ...(opts.signal ? { signal: opts.signal } : {}),
      };
      if (type === 'photo') return (await photoModules()).deriveImage(runner, abs, targets, render);
      // Only what does not depend on the time zone is used from a remembered probe.
      if (type === 'video') return deriveVideo(runner, abs, targets, { ...render, probe: await recall(abs) });
      // Audio: nothing to look at.
      return { thumb: false, preview: false, poster: false, warnings: [] };
    },

    async videoCopy(filePath, target, opts) {
      opts.signal?.throwIfAborted();
      return deriveVideoCopy(runner, resolve(filePath), target, opts.signal);
    },
  };
}
