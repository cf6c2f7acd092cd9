/**
 * The background pass that gives videos their small streaming copy (issue 13 §1.12). It runs
 * after an ingest, not during it: a card is free to go once its files are copied and their
 * thumbnails made, and a Pi spends its spare time, not the coordinator's, on encoding. A new card
 * aborts the pass (the station's job queue); what is done stays done, the rest waits for the next.
 */
import { join } from 'node:path';
import type { MediaAnalyzer } from '../../media/types.js';
import type { Catalog } from '../catalog/open.js';
import { countVideosAwaitingCopy, recordVideoCopy, videosAwaitingCopy } from '../catalog/video-copies.js';
import { derivedRelPath } from '../layout.js';

export interface VideoCopiesSummary {
  /** Copies made. */
  made: number;
  /** Videos that stream as they are (small H.264 MP4s). */
  notNeeded: number;
  /** Videos ffmpeg could not encode (each has a NO_DERIVATIVES warning; the original plays). */
  failed: number;
}

export interface VideoCopiesOptions {
  signal?: AbortSignal | undefined;
  now: () => string;
  /** After each video: how many are done and how many there were at the start. */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/**
 * Make the missing streaming copies on a library drive. Rejects for environment faults (a full
 * drive, a missing ffmpeg) and when aborted; the videos already done keep their copies.
 */
export async function makeVideoCopies(
  cat: Catalog,
  root: string,
  analyzer: MediaAnalyzer,
  opts: VideoCopiesOptions,
): Promise<VideoCopiesSummary> {
  const summary: VideoCopiesSummary = { made: 0, notNeeded: 0, failed: 0 };
  const videoCopy = analyzer.videoCopy.bind(analyzer);
  const total = await countVideosAwaitingCopy(cat);
  let done = 0;
  for (;;) {
    const batch = await videosAwaitingCopy(cat, 20);
    if (batch.length === 0) break;
    for (const item of batch) {
      opts.signal?.throwIfAborted();
      const target = join(root, derivedRelPath(item.id, 'video'));
      const res = await videoCopy(join(root, item.path), target, { signal: opts.signal });
      await recordVideoCopy(cat, item.id, { made: res.video, at: opts.now(), warnings: res.warnings });
      if (res.video) summary.made++;
      else if (res.warnings.length > 0) summary.failed++;
      else summary.notNeeded++;
      opts.onProgress?.(++done, total);
    }
  }
  return summary;
}
