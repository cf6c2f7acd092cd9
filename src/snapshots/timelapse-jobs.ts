/**
 * The timelapse jobs of a library drive: one camera-day at a time, never two encodes at once (a
 * Pi has four slow cores and a recorder beside), at low priority. A job's state is its
 * `snapshot_days` row: `encoding` while it runs, so a station killed mid-encode finds it again
 * at its next start (catchUp) and makes it from the start; `done` with the timelapse item once
 * the video is placed through the library intake (a video item of card `timelapse:<camera>`,
 * linked to the day's snapshots by its day row); `failed` with why, tried again up to
 * MAX_ATTEMPTS times.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import type { StreamSpawner } from '../adapters/spawn-stream.js';
import { dateFolderOf, localFromInstant, offsetOf } from '../core/capture-time.js';
import { OutpostError, driveError, isOutpostError, toOutpostError } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import { getItem } from '../library/catalog/items.js';
import {
  commitTimelapse,
  ensureSnapshotDay,
  setSnapshotDay,
  snapshotDay,
  snapshotDays,
  snapshotsOfDay,
} from '../library/catalog/snapshots.js';
import { buildItemRow } from '../library/item-row.js';
import { originalRelPath, type DriveLayout } from '../library/layout.js';
import { Intake, deriveItem } from '../library/intake/index.js';
import { probeAv } from '../media/ffprobe.js';
import type { MediaAnalyzer } from '../media/types.js';
import { encodeTimelapse } from './timelapse/encode.js';
import { planTimelapse, type TimelapsePlan, type TimelapseSettings } from './timelapse/plan.js';

/** A day that failed this often is left for a person (`outpost timelapse`, the Snapshots page). */
export const MAX_ATTEMPTS = 3;

export interface TimelapseJobDeps {
  cat: Catalog;
  layout: DriveLayout;
  /** Where encodes work (on the library drive, outside its tmp: an ingest empties that). */
  workDir: string;
  clock: Clock;
  log: Logger;
  runner: ProcessRunner;
  spawner: StreamSpawner;
  analyzer: MediaAnalyzer;
  /** The camera's zone and snapshot interval (config). */
  cameraZone(camera: string): string;
  cameraInterval(camera: string): number | undefined;
  settings: Omit<TimelapseSettings, 'intervalS'>;
  thumbnailSize: number;
  previewSize: number;
  lowPriority: boolean;
  onProgress?: ((p: { camera: string; day: string; frame: number; frames: number }) => void) | undefined;
}

export interface TimelapseResult {
  camera: string;
  day: string;
  id: string;
  frames: number;
  durationS: number;
  snapshots: number;
  gaps: TimelapsePlan['gaps'];
  /** false: the same video was catalogued already (made again from the same snapshots). */
  created: boolean;
}

/** What a timelapse item's facts say (`facts.timelapse`). */
export interface TimelapseFacts {
  camera: string;
  day: string;
  timeZone: string;
  fps: number;
  intervalS: number;
  frames: number;
  snapshots: number;
  firstAt: string;
  lastAt: string;
  gaps: { from: string; to: string; fromLocal: string; toLocal: string; startS: number; endS: number }[];
}

export class TimelapseJobs {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly abort = new AbortController();
  private running: { camera: string; day: string } | undefined;

  constructor(private readonly d: TimelapseJobDeps) {}

  /** The job running now, if any. */
  current(): { camera: string; day: string } | undefined {
    return this.running;
  }

  /** Make (or make again) one camera-day's timelapse; queued behind the running one. */
  make(camera: string, day: string): Promise<TimelapseResult> {
    const next = this.chain.then(() => this.run(camera, day));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * Every past day not made yet (new, interrupted, or failed fewer than MAX_ATTEMPTS times), oldest
   * first. Resolves once they are all tried; failures are logged and left in their rows.
   */
  async catchUp(): Promise<TimelapseResult[]> {
    const done: TimelapseResult[] = [];
    const due = snapshotDays(this.d.cat)
      .filter((r) => r.state !== 'done' && (r.state !== 'failed' || r.attempts < MAX_ATTEMPTS))
      .filter((r) => r.day < dateFolderOf(this.d.clock.now().getTime(), this.d.cameraZone(r.camera)))
      .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.camera < b.camera ? -1 : 1));
    for (const r of due) {
      if (this.abort.signal.aborted) break;
      try {
        done.push(await this.make(r.camera, r.day));
      } catch (e) {
        this.d.log.error(
          { camera: r.camera, day: r.day, code: toOutpostError(e).code },
          `timelapse of ${r.camera} ${r.day} failed: ${toOutpostError(e).message}`,
        );
      }
    }
    return done;
  }

  /** Stop: the running encode is killed (its day stays `encoding`, made again at the next start). */
  async close(): Promise<void> {
    this.abort.abort();
    await this.chain;
  }

  private async run(camera: string, day: string): Promise<TimelapseResult> {
    const { cat, layout, clock } = this.d;
    if (this.abort.signal.aborted)
      throw new OutpostError('TIMELAPSE_FAILED', 'the station is stopping: made at its next start');
    const zone = snapshotDay(cat, camera, day)?.time_zone ?? this.d.cameraZone(camera);
    ensureSnapshotDay(cat, camera, day, zone, clock.now().toISOString());
    const snaps = snapshotsOfDay(cat, camera, day).filter((s) => s.state === 'stored' && !s.deleted);
    const interval = this.d.cameraInterval(camera);
    let plan: TimelapsePlan;
    try {
      plan = planTimelapse(
        snaps.map((s) => ({ file: join(layout.root, s.path), atMs: s.receivedMs })),
        day,
        zone,
        { ...this.d.settings, ...(interval ? { intervalS: interval } : {}) },
      );
    } catch (e) {
      setSnapshotDay(
        cat,
        camera,
        day,
        { state: 'failed', error: toOutpostError(e).message, attempt: true },
        this.now(),
      );
      throw e;
    }
    this.running = { camera, day };
    setSnapshotDay(cat, camera, day, { state: 'encoding', error: null, attempt: true }, this.now());
    const work = join(this.d.workDir, `${camera}-${day}`);
    try {
      await rm(work, { recursive: true, force: true });
      await mkdir(work, { recursive: true });
      const out = join(work, `${camera}-${day}.mp4`);
      const encoded = await encodeTimelapse(
        plan,
        out,
        { ...this.d.settings, intervalS: plan.intervalS },
        {
          runner: this.d.runner,
          spawner: this.d.spawner,
          tmpDir: work,
          lowPriority: this.d.lowPriority,
          signal: this.abort.signal,
          onProgress: (frame, frames) => this.d.onProgress?.({ camera, day, frame, frames }),
        },
      );
      const placed = await this.place(camera, day, zone, plan, out, encoded);
      setSnapshotDay(
        cat,
        camera,
        day,
        {
          state: 'done',
          timelapse_id: placed.id,
          frames: encoded.frames,
          snapshots: plan.snapshots,
          gaps: JSON.stringify(plan.gaps),
          error: null,
        },
        this.now(),
      );
      this.d.log.info(
        { camera, day, frames: encoded.frames, snapshots: plan.snapshots, gaps: plan.gaps.length },
        `timelapse of ${camera} ${day} made`,
      );
      return {
        camera,
        day,
        id: placed.id,
        frames: encoded.frames,
        durationS: encoded.durationS,
        snapshots: plan.snapshots,
        gaps: plan.gaps,
        created: placed.created,
      };
    } catch (e) {
      // Stopped by close(): the row stays `encoding`, made again at the next start.
      if (!this.abort.signal.aborted)
        setSnapshotDay(cat, camera, day, { state: 'failed', error: toOutpostError(e).message }, this.now());
      throw e;
    } finally {
      this.running = undefined;
      await rm(work, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private now(): string {
    return this.d.clock.now().toISOString();
  }

  /** The encoded video → an item of card `timelapse:<camera>` under `<camera>/<day>/`. */
  private async place(
    camera: string,
    day: string,
    zone: string,
    plan: TimelapsePlan,
    file: string,
    encoded: { frames: number; durationS: number },
  ): Promise<{ id: string; created: boolean }> {
    const { cat, layout } = this.d;
    const intake = new Intake({ cat, layout });
    const staged = await intake.stageOnDrive(file);
    const sha256 = staged.sha256;
    const existing = await getItem(cat, sha256);
    if (existing && existing.state !== 'pending') {
      await staged.discard();
      return { id: sha256, created: false };
    }
    const probe = await probeAv(this.d.runner, file, zone);
    const iso = (ms: number): string => new Date(ms).toISOString();
    const timelapse: TimelapseFacts = {
      camera,
      day,
      timeZone: zone,
      fps: plan.fps,
      intervalS: plan.intervalS,
      frames: encoded.frames,
      snapshots: plan.snapshots,
      firstAt: iso(plan.firstAtMs),
      lastAt: iso(plan.lastAtMs),
      gaps: plan.gaps.map((g) => ({
        from: iso(g.fromMs),
        to: iso(g.toMs),
        fromLocal: g.fromLocal,
        toLocal: g.toLocal,
        startS: g.startS,
        endS: g.endS,
      })),
    };
    const local = localFromInstant(plan.dayStartMs, zone);
    const facts = {
      ...probe.facts,
      capturedAt: { local, offset: offsetOf(plan.dayStartMs, zone), source: 'received' as const },
      timelapse,
    };
    const name = `timelapse-${day}_${sha256.slice(0, 16)}.mp4`;
    const row = buildItemRow(
      {
        sha256,
        type: 'video',
        ext: 'mp4',
        size: staged.bytes,
        monitor: camera,
        originalName: name,
        mtimeMs: plan.dayEndMs,
        importedAt: this.now(),
        cardId: `timelapse:${camera}`,
        probe: { facts, warnings: probe.warnings },
        timeZone: zone,
      },
      originalRelPath(camera, day, name),
    );
    await intake.admit(staged, {
      row,
      commit: () => {
        try {
          commitTimelapse(cat, sha256);
        } catch (e) {
          throw isOutpostError(e) ? e : driveError(e, 'the catalogue');
        }
      },
    });
    const item = await getItem(cat, sha256);
    if (item)
      await deriveItem(cat, layout.root, item, this.d.analyzer, {
        thumbSize: this.d.thumbnailSize,
        previewSize: this.d.previewSize,
        now: () => this.now(),
      }).catch((err: unknown) => this.d.log.warn({ err, camera, day }, 'timelapse poster not made'));
    return { id: sha256, created: true };
  }
}
