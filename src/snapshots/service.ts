/**
 * IP cameras' snapshots in a station (docs/snapshots.md): the FTP server and the HTTP pulls take
 * JPEGs in, each becomes an item of its camera on the attached library drive (place.ts); every
 * night after midnight in each camera's zone the day's timelapse is made (timelapse-jobs.ts); and
 * retention keeps each camera's budget without deleting anything not yet safe (retention.ts).
 * Without a library drive uploads are refused (the camera sends its next one as usual) and
 * nothing else runs; attaching one resumes the timelapses a stop interrupted.
 */
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { nodeStreamSpawner, type StreamSpawner } from '../adapters/spawn-stream.js';
import { dateFolderOf, localFromInstant } from '../core/capture-time.js';
import { OutpostError, isOutpostError } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import type { ItemRow } from '../library/catalog/schema.js';
import { openCatalog } from '../library/catalog/open.js';
import { getItem } from '../library/catalog/items.js';
import {
  cameraSnapshotStats,
  countSnapshots,
  originalUploaded,
  snapshotDay,
  snapshotDays,
  snapshotRejects,
  snapshotsOfDay,
  snapshotsOnDrive,
  type SnapshotDayRow,
} from '../library/catalog/snapshots.js';
import { hashFile } from '../library/intake/index.js';
import { libraryFile, type DriveLayout } from '../library/layout.js';
import type { MediaAnalyzer } from '../media/types.js';
import { recoverSnapshots, snapshotDirs } from './recover.js';
import { placeSnapshot, type IncomingSnapshot, type PlacedSnapshot } from './place.js';
import { applyRetention, planRetention } from './retention.js';
import { nameHint, clockDriftS } from './name-hints.js';
import { TimelapseJobs, type TimelapseResult } from './timelapse-jobs.js';
import { planTimelapse, type TimelapseSettings } from './timelapse/plan.js';

/** One camera's settings (the station maps them from `snapshots:` in the config). */
export interface SnapshotCameraSettings {
  name: string;
  timeZone: string;
  /** The interval the camera is set to; undefined: inferred from each day's snapshots. */
  intervalS: number | undefined;
  keepDays: number;
  maxBytes: number | undefined;
  /** Days an hourly still outlives the rest; Infinity: until the budget needs the room; 0: none. */
  keepHourlyDays: number;
}

export interface SnapshotServiceSettings {
  cameras: SnapshotCameraSettings[];
  /** Zone of a camera the settings do not list (one seen in the catalogue only). */
  defaultZone: string;
  timelapse: Omit<TimelapseSettings, 'intervalS'> & { enabled: boolean; at: string };
  upload: 'timelapse' | 'all' | 'none';
  /** An uplink is configured: days are safe only once HQ confirmed their timelapse. */
  uplink: boolean;
  nameTemplate: string;
  thumbnailSize: number;
  previewSize: number;
  /** A camera clock further off than this (from its file names) is warned about. */
  driftWarnS: number;
}

export interface SnapshotServiceDeps {
  clock: Clock;
  log: Logger;
  runner: ProcessRunner;
  /** ffmpeg with streamed progress (default: node's). */
  spawner?: StreamSpawner;
  analyzer: MediaAnalyzer;
  /** Timers (tests pass fake ones). */
  timers?: { set(fn: () => void, ms: number): unknown; clear(t: unknown): void };
  onSnapshot?: (e: { camera: string; id: string; day: string; receivedAt: string }) => void;
  onReject?: (e: { camera: string; reason: string; message: string }) => void;
  onTimelapse?: (e: {
    camera: string;
    day: string;
    state: string;
    id?: string;
    frame?: number;
    frames?: number;
  }) => void;
}

export interface CameraSnapshotStatus {
  camera: string;
  timeZone: string;
  lastSnapshot: { id: string; at: string } | null;
  today: { day: string; snapshots: number; gaps: { from: string; to: string }[]; rejected: number };
  /** JPEGs still on the drive. */
  storedBytes: number;
  storedCount: number;
  daysKept: number;
  oldestDay: string | null;
  /** Camera clock minus ours (s), from the last snapshot whose name states a time. */
  clockDriftS: number | null;
  timelapses: { done: number; failed: number; pending: number; lastDone: string | null };
}

export interface DayView {
  camera: string;
  day: string;
  timeZone: string;
  snapshots: {
    id: string;
    at: string;
    local: string;
    kept: boolean;
    thumb: boolean;
    trigger: string | null;
    driftS: number | null;
  }[];
  gaps: { from: string; to: string; fromLocal: string; toLocal: string }[];
  intervalS: number | null;
  timelapse: { state: string; id: string | null; frames: number | null; error: string | null } | null;
  rejected: { reason: string; n: number; lastMessage: string }[];
}

export class SnapshotService {
  private cat: Catalog | undefined;
  private layout: DriveLayout | undefined;
  /** Uploads arrive here: on the library drive, linked into place from it. */
  private incoming: string | undefined;
  private jobs: TimelapseJobs | undefined;
  private timer: unknown;
  private readonly timers: { set(fn: () => void, ms: number): unknown; clear(t: unknown): void };
  private retaining: Promise<unknown> = Promise.resolve();
  /** Timelapses whose file was re-hashed and matched (retention trusts them). */
  private readonly verified = new Set<string>();
  private readonly warnedDrift = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly s: SnapshotServiceSettings,
    private readonly d: SnapshotServiceDeps,
  ) {
    this.timers = d.timers ?? {
      set: (fn, ms) => setTimeout(fn, ms).unref(),
      clear: (t) => clearTimeout(t as NodeJS.Timeout),
    };
  }

  /** The timelapse being made now. */
  current(): { camera: string; day: string } | undefined {
    return this.jobs?.current();
  }

  /** Where an upload is written while it arrives: the drive's tmp (linked into place from there). */
  tmpDir(): string | undefined {
    return this.incoming;
  }

  camera(name: string): SnapshotCameraSettings {
    return (
      this.s.cameras.find((c) => c.name === name) ?? {
        name,
        timeZone: this.s.defaultZone,
        intervalS: undefined,
        keepDays: 30,
        maxBytes: undefined,
        keepHourlyDays: Infinity,
      }
    );
  }

  /** The cameras configured and the ones the catalogue has days of, sorted. */
  cameras(): string[] {
    const names = new Set(this.s.cameras.map((c) => c.name));
    if (this.cat) for (const r of snapshotDays(this.cat)) names.add(r.camera);
    return [...names].sort();
  }

  /** A library drive is attached: open its catalogue, resume unfinished timelapses, plan the night. */
  async attach(layout: DriveLayout): Promise<void> {
    await this.detach();
    const cat = await openCatalog(layout.catalog);
    try {
      const r = await recoverSnapshots(
        cat,
        layout,
        (c) => this.camera(c).timeZone,
        this.d.clock.now().toISOString(),
      );
      if (r.committed || r.takenBack || r.swept)
        this.d.log.info(r, 'snapshots: what a stop left unfinished is finished');
    } catch (e) {
      await cat.close();
      throw e;
    }
    const dirs = snapshotDirs(layout);
    this.cat = cat;
    this.layout = layout;
    this.incoming = dirs.incoming;
    this.jobs = new TimelapseJobs({
      cat,
      layout,
      workDir: dirs.work,
      clock: this.d.clock,
      log: this.d.log,
      runner: this.d.runner,
      spawner: this.d.spawner ?? nodeStreamSpawner,
      analyzer: this.d.analyzer,
      cameraZone: (c) => this.camera(c).timeZone,
      cameraInterval: (c) => this.camera(c).intervalS,
      settings: this.s.timelapse,
      thumbnailSize: this.s.thumbnailSize,
      previewSize: this.s.previewSize,
      lowPriority: true,
      onProgress: (p) => this.d.onTimelapse?.({ ...p, state: 'encoding' }),
    });
    this.nightly();
  }

  /** The drive is going: the running encode is stopped (made again later), the catalogue closed. */
  async detach(): Promise<void> {
    // New uploads are refused from now on.
    this.incoming = undefined;
    const t = this.timer;
    this.timer = undefined;
    if (t !== undefined) this.timers.clear(t);
    const jobs = this.jobs;
    this.jobs = undefined;
    await jobs?.close();
    await this.retaining;
    const cat = this.cat;
    this.cat = undefined;
    this.layout = undefined;
    this.incoming = undefined;
    await cat?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.detach();
  }

  /** A complete upload (FTP or HTTP) of `camera`: an item, or SNAPSHOT_INVALID / SNAPSHOT_NO_DRIVE. */
  async receive(s: Omit<IncomingSnapshot, 'hint'>): Promise<PlacedSnapshot> {
    const cat = this.cat;
    const layout = this.layout;
    if (!cat || !layout)
      throw new OutpostError(
        'SNAPSHOT_NO_DRIVE',
        `snapshot of ${s.camera} refused: no library drive attached`,
      );
    const cam = this.camera(s.camera);
    const h = nameHint(s.uploadPath);
    const hint = h
      ? {
          local: h.local,
          trigger: h.trigger,
          driftS: clockDriftS(h.local, s.receivedAt.getTime(), cam.timeZone),
        }
      : undefined;
    try {
      const placed = await placeSnapshot(
        cat,
        layout,
        { ...s, hint },
        {
          clock: this.d.clock,
          timeZone: cam.timeZone,
          nameTemplate: this.s.nameTemplate,
          thumbSize: this.s.thumbnailSize,
        },
      );
      if (hint) this.checkDrift(s.camera, hint.driftS);
      if (placed.created)
        this.d.onSnapshot?.({
          camera: s.camera,
          id: placed.id,
          day: placed.day,
          receivedAt: s.receivedAt.toISOString(),
        });
      return placed;
    } catch (e) {
      if (isOutpostError(e) && e.code === 'SNAPSHOT_INVALID') {
        const reason = String((e.details as { reason?: string } | undefined)?.reason ?? 'invalid');
        this.d.log.warn(
          { camera: s.camera, reason, path: s.uploadPath, via: s.via },
          `snapshot refused: ${e.message}`,
        );
        this.d.onReject?.({ camera: s.camera, reason, message: e.message });
      }
      throw e;
    }
  }

  /** An upload refused before it reached the intake (too big, aborted…): counted and logged. */
  rejected(camera: string, reason: string, message: string): void {
    this.d.log.warn({ camera, reason }, `snapshot refused: ${message}`);
    this.d.onReject?.({ camera, reason, message });
  }

  private checkDrift(camera: string, driftS: number): void {
    if (Math.abs(driftS) < this.s.driftWarnS) return;
    const now = this.d.clock.now().getTime();
    if (now - (this.warnedDrift.get(camera) ?? 0) < 3_600_000) return;
    this.warnedDrift.set(camera, now);
    this.d.log.warn(
      { camera, driftS: Math.round(driftS) },
      `camera ${camera}'s clock is ${Math.abs(Math.round(driftS))} s ${driftS > 0 ? 'ahead' : 'behind'} (from its file names): set its NTP server; snapshots are dated by when they arrive`,
    );
  }

  /** A snapshot or timelapse in the attached library (by full id) and that library's root. */
  async item(id: string): Promise<{ row: ItemRow; root: string } | undefined> {
    const cat = this.cat;
    const layout = this.layout;
    if (!cat || !layout || !/^[0-9a-f]{64}$/.test(id)) return undefined;
    const row = await getItem(cat, id);
    if (!row || !(row.card_id?.startsWith('snap:') || row.card_id?.startsWith('timelapse:')))
      return undefined;
    return { row, root: layout.root };
  }

  /** Make one camera-day's timelapse now (on demand); queued behind a running one. */
  async makeTimelapse(camera: string, day: string): Promise<TimelapseResult> {
    if (!this.jobs) throw new OutpostError('SNAPSHOT_NO_DRIVE', 'no library drive attached');
    const r = await this.jobs.make(camera, day);
    this.d.onTimelapse?.({ camera, day, state: 'done', id: r.id });
    return r;
  }

  /**
   * The nightly pass, now: every past day without its timelapse made (oldest first), then retention.
   * Also what runs at attach (a stop mid-encode is finished here).
   */
  async runNightly(): Promise<{ made: TimelapseResult[]; removed: number }> {
    const made = this.s.timelapse.enabled && this.jobs ? await this.jobs.catchUp() : [];
    for (const r of made) this.d.onTimelapse?.({ camera: r.camera, day: r.day, state: 'done', id: r.id });
    const removed = await this.runRetention();
    return { made, removed };
  }

  /** Delete what retention allows, every camera; resolves with how many JPEGs went. */
  runRetention(): Promise<number> {
    const run = this.retaining.then(async () => {
      const cat = this.cat;
      const layout = this.layout;
      if (!cat || !layout) return 0;
      let removed = 0;
      for (const camera of this.cameras()) {
        const cam = this.camera(camera);
        const today = dateFolderOf(this.d.clock.now().getTime(), cam.timeZone);
        const safeDays = new Set<string>();
        for (const day of snapshotDays(cat, camera))
          if (day.day < today && (await this.daySafe(day))) safeDays.add(day.day);
        const plan = planRetention({
          camera,
          timeZone: cam.timeZone,
          today,
          snapshots: snapshotsOnDrive(cat, camera),
          safeDays,
          requireUploaded: this.s.uplink && this.s.upload === 'all',
          keepDays: cam.keepDays,
          maxBytes: cam.maxBytes,
          keepHourlyDays: cam.keepHourlyDays,
        });
        for (const w of plan.warnings) this.d.log.warn({ camera }, w);
        if (plan.delete.length) {
          const n = await applyRetention(cat, layout.root, plan);
          removed += n;
          this.d.log.info(
            { camera, removed: n, freedMB: Math.round(plan.freedBytes / 1e6) },
            'snapshot retention',
          );
        }
      }
      return removed;
    });
    this.retaining = run.catch((err: unknown) => this.d.log.error({ err }, 'snapshot retention failed'));
    return run;
  }

  /** A day's JPEGs may go: its timelapse is stored, its bytes check out, and HQ has it (with an uplink). */
  private async daySafe(day: SnapshotDayRow): Promise<boolean> {
    const cat = this.cat;
    const layout = this.layout;
    if (!cat || !layout || day.state !== 'done' || !day.timelapse_id) return false;
    const item = await getItem(cat, day.timelapse_id);
    if (!item || item.deleted) return false;
    const confirmed = this.s.uplink && this.s.upload !== 'none' && originalUploaded(cat, item.id);
    // Offloaded after HQ confirmed it (uplink.deleteAfterUpload): safe there, nothing here to check.
    if (item.state === 'offloaded') return confirmed;
    if (item.state !== 'stored') return false;
    if (this.s.uplink && this.s.upload !== 'none' && !confirmed) return false;
    if (!this.verified.has(item.id)) {
      const sha = await hashFile(libraryFile(layout.root, item.path)).catch(() => undefined);
      if (sha !== item.id) {
        this.d.log.error(
          { camera: day.camera, day: day.day, id: item.id },
          `timelapse of ${day.camera} ${day.day} does not match its hash: the day's snapshots are kept`,
        );
        return false;
      }
      this.verified.add(item.id);
    }
    return true;
  }

  /** Next run: the earliest camera's `at` after its local midnight; then again each time. */
  private nightly(): void {
    if (this.closed) return;
    const now = this.d.clock.now().getTime();
    const zones = new Set(this.cameras().map((c) => this.camera(c).timeZone));
    if (zones.size === 0) zones.add(this.s.defaultZone);
    let next = now + 3_600_000; // retention at least hourly
    for (const z of zones) next = Math.min(next, nextLocalTime(now, this.s.timelapse.at, z));
    // At attach: what a stop left undone, at once.
    const first = this.timer === undefined;
    this.timer = this.timers.set(
      () => {
        void this.runNightly()
          .catch((err: unknown) => this.d.log.error({ err }, 'nightly snapshot pass failed'))
          .finally(() => {
            if (this.jobs) this.nightly();
          });
      },
      first ? 0 : Math.max(1000, next - now),
    );
  }

  status(): CameraSnapshotStatus[] {
    const cat = this.cat;
    if (!cat) return [];
    return this.cameras().map((camera) => {
      const cam = this.camera(camera);
      const nowMs = this.d.clock.now().getTime();
      const today = dateFolderOf(nowMs, cam.timeZone);
      const st = cameraSnapshotStats(cat, camera);
      const todays = snapshotsOfDay(cat, camera, today);
      const gaps = gapsOf(
        todays.map((x) => x.receivedMs),
        today,
        cam.timeZone,
        cam.intervalS,
        this.s.timelapse.gapFactor,
      );
      const days = snapshotDays(cat, camera);
      const lastWithDrift = [...todays].reverse().find((x) => x.driftS !== null);
      return {
        camera,
        timeZone: cam.timeZone,
        lastSnapshot:
          st.lastId && st.lastReceivedMs !== null
            ? { id: st.lastId, at: new Date(st.lastReceivedMs).toISOString() }
            : null,
        today: {
          day: today,
          snapshots: countSnapshots(cat, camera, today),
          gaps: gaps.map((g) => ({
            from: new Date(g.fromMs).toISOString(),
            to: new Date(g.toMs).toISOString(),
          })),
          rejected: snapshotRejects(cat, camera, today).reduce((n, r) => n + r.n, 0),
        },
        storedBytes: st.storedBytes,
        storedCount: st.storedCount,
        daysKept: st.daysKept,
        oldestDay: st.oldestDay,
        clockDriftS: lastWithDrift?.driftS ?? null,
        timelapses: {
          done: days.filter((x) => x.state === 'done').length,
          failed: days.filter((x) => x.state === 'failed').length,
          pending: days.filter((x) => x.state !== 'done' && x.state !== 'failed' && x.day < today).length,
          lastDone: days.find((x) => x.state === 'done')?.day ?? null,
        },
      };
    });
  }

  /** One camera's day: the strip (every snapshot, kept or not), its gaps, its timelapse. */
  dayView(camera: string, day: string): DayView {
    const cat = this.cat;
    if (!cat) throw new OutpostError('SNAPSHOT_NO_DRIVE', 'no library drive attached');
    const cam = this.camera(camera);
    const row = snapshotDay(cat, camera, day);
    const zone = row?.time_zone ?? cam.timeZone;
    const snaps = snapshotsOfDay(cat, camera, day).filter((x) => !x.deleted);
    const gaps = gapsOf(
      snaps.map((x) => x.receivedMs),
      day,
      zone,
      cam.intervalS,
      this.s.timelapse.gapFactor,
    );
    return {
      camera,
      day,
      timeZone: zone,
      snapshots: snaps.map((x) => ({
        id: x.id,
        at: new Date(x.receivedMs).toISOString(),
        local: localFromInstant(x.receivedMs, zone),
        kept: x.state === 'stored',
        thumb: x.hasThumb,
        trigger: x.trigger,
        driftS: x.driftS,
      })),
      gaps: gaps.map((g) => ({
        from: new Date(g.fromMs).toISOString(),
        to: new Date(g.toMs).toISOString(),
        fromLocal: g.fromLocal,
        toLocal: g.toLocal,
      })),
      intervalS: gaps.intervalS,
      timelapse: row
        ? { state: row.state, id: row.timelapse_id, frames: row.frames, error: row.error }
        : null,
      rejected: snapshotRejects(cat, camera, day).map((r) => ({
        reason: r.reason,
        n: r.n,
        lastMessage: r.last_message,
      })),
    };
  }

  /** A camera's days, newest first. */
  days(camera: string): { day: string; state: string; timelapseId: string | null; snapshots: number }[] {
    const cat = this.cat;
    if (!cat) throw new OutpostError('SNAPSHOT_NO_DRIVE', 'no library drive attached');
    return snapshotDays(cat, camera).map((r) => ({
      day: r.day,
      state: r.state,
      timelapseId: r.timelapse_id,
      snapshots: r.snapshots ?? countSnapshots(cat, camera, r.day),
    }));
  }
}

/** The gaps of a day's receive times, as the timelapse would show them (none for < 2 snapshots). */
function gapsOf(
  times: number[],
  day: string,
  zone: string,
  intervalS: number | undefined,
  gapFactor: number | undefined,
): { fromMs: number; toMs: number; fromLocal: string; toLocal: string }[] & { intervalS: number | null } {
  const out = Object.assign([] as { fromMs: number; toMs: number; fromLocal: string; toLocal: string }[], {
    intervalS: null as number | null,
  });
  if (times.length < 2) return out;
  try {
    const plan = planTimelapse(
      times.map((atMs) => ({ file: '', atMs })),
      day,
      zone,
      {
        fps: 24,
        crf: 24,
        preset: 'veryfast',
        maxWidth: 1920,
        deflicker: false,
        ...(gapFactor ? { gapFactor } : {}),
        ...(intervalS ? { intervalS } : {}),
      },
    );
    out.intervalS = plan.intervalS;
    for (const g of plan.gaps)
      out.push({ fromMs: g.fromMs, toMs: g.toMs, fromLocal: g.fromLocal, toLocal: g.toLocal });
  } catch {
    // No plan (nothing inside the day): no gaps to show.
  }
  return out;
}

/** The next instant after `nowMs` when the wall clock in `zone` reads `hhmm` (DST: the first such). */
export function nextLocalTime(nowMs: number, hhmm: string, zone: string): number {
  // Walk forward minute by minute from the next whole minute: at most a day and an hour of steps,
  // and correct across DST changes without zone arithmetic.
  let t = Math.floor(nowMs / 60_000) * 60_000 + 60_000;
  for (let i = 0; i < 26 * 60; i++, t += 60_000)
    if (localFromInstant(t, zone).slice(11, 16) === hhmm) return t;
  return nowMs + 86_400_000;
}
