/**
 * A closed segment (continuous mode, sinks/library-sink.ts) or a motion event clip
 * (motion-mode.ts) becomes a library item: hash, probe (duration > 0), name from its start,
 * then the library intake's one way in, `Intake.admit` (src/library/intake/pipeline.ts):
 * pending row → fsync → no-clobber hard link into `library/<camera>/<YYYY-MM-DD>/` → folder
 * fsync → commit (`stored`) or roll back; then derivatives (poster).
 *
 * The file is taken in where it is (`Intake.stageOnDrive`): it is already on the library drive
 * (`.outpost/rec/`), so it is linked, never copied, and stays there until the commit; it is the
 * recorder's journal. A run killed before the commit leaves a pending row (card id
 * `cam:<camera>`) that only the recorder finishes, at its start (finishUnfinished): an ingest or
 * a mirror beside it leaves the recorder's pending rows alone (reconcileLibrary), since on a drive
 * without hard links (exFAT) the placed file is the only copy. Should a row still be taken back
 * while the recorder places it, the commit fails, the intake rolls back and the file is kept.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../adapters/clock.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { dateFolderOf, localFromInstant, offsetOf } from '../core/capture-time.js';
import { OutpostError, driveError, isOutpostError } from '../core/errors.js';
import { renderName } from '../core/naming.js';
import type { Catalog } from '../library/catalog/open.js';
import { getItem } from '../library/catalog/items.js';
import { commitRecording, pendingRecordings } from '../library/catalog/recordings.js';
import type { ItemRow } from '../library/catalog/schema.js';
import { buildItemRow } from '../library/item-row.js';
import { originalRelPath, sessionRelPath, type DriveLayout } from '../library/layout.js';
import { Intake, deriveItem, hashFile, rollbackItem } from '../library/intake/index.js';
import { probeAv } from '../media/ffprobe.js';
import type { MediaAnalyzer } from '../media/types.js';
import type { Box } from './motion/detector.js';
import { segmentValid } from './segments.js';

/**
 * A fleet session a recording belongs to (docs/fleet.md, Sessions): its files go to
 * `library/<group>/<session>/<camera>/` instead of `library/<camera>/<date>/`, and its facts
 * name the session. Group and session are folder names (validateMonitor).
 */
export interface SessionPlacement {
  group: string;
  session: string;
  /** The session's id (the conductor's). */
  id: string;
}

/** `facts.recording` of a segment item (docs/recorder.md, Items). */
export interface RecordingFacts {
  camera: string;
  mode: 'continuous';
  session?: SessionPlacement | undefined;
  /** Wall clock, ISO 8601 UTC with milliseconds. */
  start: string;
  end: string;
  /** Position in its run, and the run (restarts start a new run). */
  segment: number;
  run: string;
  /** Start and end in the run's timeline (seconds, from ffmpeg's segment list). */
  runStartS: number;
  runEndS: number;
}

/** `facts.recording` of a motion event item (docs/recorder.md, Items). */
export interface MotionRecordingFacts {
  camera: string;
  mode: 'motion';
  session?: SessionPlacement | undefined;
  /** The clip's real bounds (whole ring segments), wall clock, ISO 8601 UTC with milliseconds. */
  start: string;
  end: string;
  /** First and last frame the detector called motion. */
  motionStart: string;
  motionEnd: string;
  /** Peak detector score (1 = the minimum area) and when it was. */
  peakScore: number;
  peakAt: string;
  /** Union of every motion frame's box, fractions of the frame (0-1); `peakBox` is the thumbnail's. */
  box: Box | null;
  peakBox: Box | null;
  /** Motion frames analysed in the event. */
  frames: number;
}

/** A finished recording file (segment or event clip) on the library drive, ready to place. */
export interface RecordedClip {
  path: string;
  camera: string;
  /** Wall-clock start and end (ms since epoch): captured_at is the start. */
  startMs: number;
  endMs: number;
  recording: RecordingFacts | MotionRecordingFacts;
}

export interface ClosedSegment {
  path: string;
  camera: string;
  /** Wall-clock start and end (ms since epoch). */
  startMs: number;
  endMs: number;
  index: number;
  runId: string;
  runStartS: number;
  runEndS: number;
  session?: SessionPlacement | undefined;
}

export interface SegmentItemDeps {
  runner: ProcessRunner;
  analyzer: MediaAnalyzer;
  clock: Clock;
  timeZone: string;
  nameTemplate: string;
  thumbnailSize: number;
  previewSize: number;
}

/**
 * Place one closed segment. Resolves with the stored item (or the existing one when the same
 * bytes were already catalogued). Throws SEGMENT_INVALID when the file has no playable video;
 * the caller decides what to do with it.
 */
export async function placeSegment(
  cat: Catalog,
  layout: DriveLayout,
  seg: ClosedSegment,
  deps: SegmentItemDeps,
): Promise<{ item: ItemRow; created: boolean }> {
  return placeRecording(
    cat,
    layout,
    {
      path: seg.path,
      camera: seg.camera,
      startMs: seg.startMs,
      endMs: seg.endMs,
      recording: {
        camera: seg.camera,
        mode: 'continuous',
        start: new Date(seg.startMs).toISOString(),
        end: new Date(seg.endMs).toISOString(),
        segment: seg.index,
        run: seg.runId,
        runStartS: seg.runStartS,
        runEndS: seg.runEndS,
        ...(seg.session ? { session: seg.session } : {}),
      },
    },
    deps,
  );
}

/**
 * Place a recording file on the library drive (a continuous segment, or a motion event clip)
 * through the library intake: hashed and linked in place, row `pending` then `stored`, the
 * recording's old name removed once committed. Throws SEGMENT_INVALID when the file has no
 * playable video; on any other failure the file stays where it was.
 */
export async function placeRecording(
  cat: Catalog,
  layout: DriveLayout,
  seg: RecordedClip,
  deps: SegmentItemDeps,
): Promise<{ item: ItemRow; created: boolean }> {
  const intake = new Intake({ cat, layout });
  const staged = await intake.stageOnDrive(seg.path);
  const sha256 = staged.sha256;
  const existing = await getItem(cat, sha256);
  // The same bytes are catalogued already; a pending row (placed by a run that did not commit)
  // makes admit fail and the file is kept until recovery has taken that row back.
  if (existing && existing.state !== 'pending') {
    await rm(seg.path, { force: true });
    return { item: existing, created: false };
  }
  const probe = await probeAv(deps.runner, seg.path, deps.timeZone);
  if (!segmentValid({ durationS: probe.facts.durationS, hasVideo: probe.hasVideo }))
    throw new OutpostError('SEGMENT_INVALID', `recording ${seg.path} has no playable video`, {
      details: { warnings: probe.warnings },
    });
  const local = localFromInstant(seg.startMs, deps.timeZone);
  const facts = {
    ...probe.facts,
    capturedAt: { local, offset: offsetOf(seg.startMs, deps.timeZone), source: 'video' as const },
    extra: { ...probe.facts.extra },
    recording: seg.recording,
  };
  const name = renderName(deps.nameTemplate, { local, sha256, ext: 'mp4', originalStem: seg.camera });
  const session = seg.recording.session;
  const rel = session
    ? sessionRelPath(session, seg.camera, name)
    : originalRelPath(seg.camera, dateFolderOf(seg.startMs, deps.timeZone), name);
  const row = buildItemRow(
    {
      sha256,
      type: 'video',
      ext: 'mp4',
      size: staged.bytes,
      monitor: seg.camera,
      originalName: name,
      mtimeMs: seg.endMs,
      importedAt: deps.clock.now().toISOString(),
      cardId: `cam:${seg.camera}`,
      probe: { facts, warnings: probe.warnings },
      timeZone: deps.timeZone,
    },
    rel,
  );
  await intake.admit(staged, {
    row,
    commit: async () => {
      try {
        await commitRecording(cat, sha256);
      } catch (e) {
        throw isOutpostError(e) ? e : driveError(e, 'the catalogue');
      }
    },
  });
  const item = await getItem(cat, sha256);
  if (!item) throw new OutpostError('INTERNAL', `recording item ${sha256} vanished after insert`);
  return { item, created: true };
}

/**
 * At the recorder's start, before anything of `camera` is placed: finish the pending rows a
 * killed recorder left for it. A recording whose file is in place with its bytes is committed;
 * any other is taken back (its file is still in `.outpost/rec/`, placed again by the run
 * recovery). Only the recorder does this: reconcileLibrary leaves `cam:` rows alone.
 */
export async function finishUnfinished(
  cat: Catalog,
  layout: DriveLayout,
  camera: string,
): Promise<{ committed: number; takenBack: number }> {
  let committed = 0;
  let takenBack = 0;
  for (const r of await pendingRecordings(cat, camera)) {
    // In place with its bytes: committed (where the drive has no hard links its old name is gone,
    // so taking it back would lose it; where it has, the old name is a duplicate the next pass drops).
    const placed = await hashFile(join(layout.root, r.path)).catch(() => undefined);
    if (placed === r.id) {
      await commitRecording(cat, r.id);
      committed++;
    } else {
      await rollbackItem(cat, layout, r);
      takenBack++;
    }
  }
  return { committed, takenBack };
}

/** Derivatives of a segment item, as ingest makes them (poster, thumbnail, preview). */
export async function deriveSegment(
  cat: Catalog,
  layout: DriveLayout,
  item: ItemRow,
  deps: SegmentItemDeps,
): Promise<void> {
  await deriveItem(cat, layout.root, item, deps.analyzer, {
    thumbSize: deps.thumbnailSize,
    previewSize: deps.previewSize,
    now: () => deps.clock.now().toISOString(),
  });
}
