import type { WarningCode } from '../core/warnings.js';
import type { CaptureTime } from '../core/capture-time.js';
import type { MediaType } from '../core/media-types.js';

/** A per-file problem that does not stop ingest: the original is still kept. */
export interface MediaWarning {
  /** DECODE_FAILED, NO_METADATA, TRUNCATED, NO_DERIVATIVES (hints: core/warnings.ts) */
  code: WarningCode;
  message: string;
}

/** Facts read from the file itself. Every field is optional: broken files yield few facts. */
export interface MediaFacts {
  /** From EXIF DateTimeOriginal(+OffsetTimeOriginal) or the video's creation_time. */
  capturedAt?: CaptureTime;
  /** Pixel dimensions as stored (before orientation is applied). */
  width?: number;
  height?: number;
  /** EXIF orientation 1..8 */
  orientation?: number;
  durationS?: number;
  make?: string;
  model?: string;
  gps?: { lat: number; lon: number; alt?: number };
  /** Container / codec names, e.g. { container: 'mov,mp4', video: 'h264', audio: 'aac' } */
  codecs?: { container?: string; video?: string; audio?: string };
  /** Small extra facts worth keeping (lens, iso, exposure, fps, sampleRate, ...). */
  extra?: Record<string, string | number>;
}

export interface ProbeResult {
  facts: MediaFacts;
  warnings: MediaWarning[];
}

export interface DeriveTargets {
  /** ~320 px WebP */
  thumbPath: string;
  /** ~1600 px JPEG */
  previewPath: string;
  /** full-size JPEG frame, videos only */
  posterPath: string;
}

export interface DeriveResult {
  thumb: boolean;
  preview: boolean;
  poster: boolean;
  /** 64-bit perceptual hash, 16 lowercase hex chars; photos (and video posters) */
  phash?: string;
  warnings: MediaWarning[];
}

export interface DeriveOptions {
  thumbSize: number;
  previewSize: number;
  signal?: AbortSignal;
}

/**
 * Reads facts from media files and makes derivatives. Never throws for a bad file: a
 * problem becomes a warning. Only throws for environment faults (e.g. ENOSPC on write).
 */
export interface MediaAnalyzer {
  probe(
    filePath: string,
    type: MediaType,
    opts: { timeZone: string; signal?: AbortSignal },
  ): Promise<ProbeResult>;
  derive(
    filePath: string,
    type: MediaType,
    targets: DeriveTargets,
    opts: DeriveOptions,
  ): Promise<DeriveResult>;
  /**
   * A video's small H.264 streaming copy at `target`, when the original needs one (too big for a
   * slow link, or not playable in browsers). `video: false` with no warning: not needed.
   */
  videoCopy(
    filePath: string,
    target: string,
    opts: { signal?: AbortSignal | undefined },
  ): Promise<{ video: boolean; warnings: MediaWarning[] }>;
}
