import { JobQueue, type JobInfo } from './job-queue.js';
import { access, opendir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import type { Config } from '../config/schema.js';
import type { MediaAnalyzer } from '../media/types.js';
import { ERROR_CATALOGUE, OutpostError, isOutpostError } from '../core/errors.js';
import { SKIP_DIRS, mediaTypeOf } from '../core/media-types.js';
import { mirrorDrives } from '../drives/mirror.js';
import { bytesPerSecondOf, scrubDue } from '../drives/scrub-plan.js';
import { runScrub, scrubStatusOf } from '../drives/scrub.js';
import { fingerprintCard } from '../ingest/fingerprint.js';
import { ingestCard } from '../ingest/ingest.js';
import { initDrive, openDrive, type Drive } from '../library/drive.js';
import { openCatalog } from '../library/catalog/open.js';
import { relocateItems } from '../library/relocate.js';
import { makeVideoCopies } from '../library/intake/index.js';
import { DRIVE_MARKER } from '../library/layout.js';
import type { EmptySlot } from '../devices/block.js';
import { nodeDeviceHost, type DeviceHost } from '../devices/host.js';
import {
  startDeviceManager,
  type DeviceManager,
  type ManagedVolume,
  type MediumView,
} from '../devices/manager.js';
import { needsWrite, roleOf, type FormatFs } from '../devices/volumes.js';
import type { CardIdentity } from '../ingest/ingest.js';
import type { ClockWatch } from '../devices/clock-watch.js';
import { createMountWatcher, nodeReadMountInfo } from './mount-watcher.js';
import { StationEvents, type DeviceSlot } from './events.js';
import { clockTrustedFor } from './clock.js';

const FIRST_SCRUB_CHECK_MS = 60_000;

/** What the station needs from its host (the CLI builds it from the config file). */
export interface StationDeps {
  config: Config;
  log: Logger;
  clock: Clock;
  runner: ProcessRunner;
  analyzer: MediaAnalyzer;
  node: string;
  timeZone: string;
  /**
   * The clock check (src/devices/clock-watch.ts): while the clock is suspect, cards wait (no
   * download folder from a wrong date) and are copied once it is right. Absent: always trusted.
   */
  clockWatch?: ClockWatch | undefined;
}

export interface StationOptions {
  /** Library drive path; when absent the first library drive mounted under the roots is used. */
  library?: string | undefined;
  signal: AbortSignal;
  readMountInfo?: () => Promise<string>;
  /** Side effects of mounting devices (station.devices.manage); default: the real machine. */
  deviceHost?: DeviceHost;
}

/** A mounted volume the station works with: one the mount watcher found, or one it mounted itself. */
interface Vol {
  mountPoint: string;
  managed?: ManagedVolume | undefined;
}

/** What an eject did: flushed and unmounted, safe to remove. A busy device throws DEVICE_BUSY. */
export interface EjectResult {
  target: DeviceSlot;
  device: string;
  mountPoint: string;
  label?: string | undefined;
  state: 'safe-to-remove';
  message: string;
}

/** How an ingest of a card the station mounted ended: what happens to the card next. */
type CardOutcome = 'done' | 'card-error' | 'removed' | 'drive';

/** Does a volume hold camera media? Looks a few levels deep, stops at the first hit. */
export async function hasMedia(dir: string, depth = 4): Promise<boolean> {
  if (depth < 0) return false;
  const d = await opendir(dir).catch(() => undefined);
  if (!d) return false;
  const subdirs: string[] = [];
  for await (const e of d) {
    // Returning from for-await closes the directory handle.
    if (e.isFile() && mediaTypeOf(e.name)) return true;
    if (e.isDirectory() && !e.name.startsWith('.') && !SKIP_DIRS.has(e.name.toLowerCase()))
      subdirs.push(e.name);
  }
  for (const s of subdirs) if (await hasMedia(join(dir, s), depth - 1)) return true;
  return false;
}

/** Moves a cut-off card assignment (or merged monitor ops) left undone; see relocate.ts. */
async function finishRelocations(drive: Drive, log: StationDeps['log']): Promise<void> {
  try {
    const cat = await openCatalog(drive.layout.catalog);
    try {
      const r = await relocateItems(cat, drive.layout.root);
      if (r.moved || r.failed.length)
        log.info({ moved: r.moved, failed: r.failed }, 'items moved to their monitor');
    } finally {
      await cat.close();
    }
  } catch (err) {
    log.warn({ err }, 'could not finish moving items to their monitor folders');
  }
}

export interface Station {
  events: StationEvents;
  done: Promise<void>;
  /** The station mounts its own devices (station.devices.manage and running as root). */
  readonly managed: boolean;
  /** The devices it holds (media, empty readers); null when it does not manage devices. */
  devices(): { media: MediumView[]; empty: EmptySlot[] } | null;
  /** Flush and unmount drive A, drive B or the card; DEVICE_BUSY when something still uses it. */
  eject(target: DeviceSlot): Promise<EjectResult>;
  /** Format an empty device (no file on it) and make it a library drive. */
  format(device: string, fs: FormatFs, label: string): Promise<Drive>;
  /** Awaited before the station unmounts a library drive: close everything open on it. */
  beforeUnmount(fn: (path: string) => Promise<void>): void;
  /**
   * Stop taking new work (UPS battery low): the ingest in progress finishes the file it copies,
   * the mirror and scrub stop; resolves when the work is over, or after `graceMs`.
   */
  drain(graceMs: number): Promise<void>;
  /** Empty volumes mounted under the watched roots (mount points). */
  blankVolumes(): string[];
  /** Initialise one of them as a library drive and attach it. */
  initBlank(mountPoint: string, label: string): Promise<Drive>;
  drives(): { a: Drive | undefined; b: Drive | undefined };
}

/**
 * The station: watches mounts, ingests every inserted card into the library drive, one card at
 * a time, and reports what happens as events (LEDs and the web app subscribe in later issues).
 */
export function startStation(ctx: StationDeps, opts: StationOptions): Station {
  const events = new StationEvents();
  let drive: Drive | undefined;
  /** The second library drive: drive A's mirror partner. */
  let partner: Drive | undefined;
  /** Ingests, mirror passes, scrubs and the jobs around them: one at a time (job-queue.ts). */
  const jobs = new JobQueue({
    signal: opts.signal,
    onError: (job, err) => ctx.log.warn({ err, job: job.kind, key: job.key }, 'station job failed'),
  });
  /** The ingest or mirror running now (what holds a card or drive B). */
  const copying = (): JobInfo | undefined => {
    const r = jobs.running();
    return r && (r.kind === 'ingest' || r.kind === 'mirror') ? r : undefined;
  };

  // Cards inserted while no library drive is attached wait here and are ingested once one is.
  const waiting = new Map<string, Vol>();
  /** Cards waiting for the clock to be right: copied once it is (clock-watch.ts). */
  const clockHeld = new Map<string, Vol>();
  /** Shutting down (UPS): no new work; the ingest in progress stops after its current file. */
  let draining = false;
  const stopAfterFile = new AbortController();
  /**
   * A card, or a drive going away, stops the running scrub (its cursor keeps the place) and the
   * video copies in progress (the ones made stay made; the rest wait for the next pass).
   */
  const stopScrub = (): void => {
    jobs.abortRunning({ kind: 'scrub' });
    jobs.abortRunning({ kind: 'videos' });
  };

  /** Small streaming copies of the videos that need one, in the queue's spare time (video-copies.ts). */
  const videoPass = async (signal: AbortSignal): Promise<void> => {
    const d = drive;
    if (!d || signal.aborted || jobs.queued('ingest') > 0 || draining) return;
    const cat = await openCatalog(d.layout.catalog);
    try {
      const summary = await makeVideoCopies(cat, d.layout.root, ctx.analyzer, {
        signal,
        now: () => ctx.clock.now().toISOString(),
        onProgress: (done, total) => events.emit('videos-progress', { done, total }),
      });
      if (summary.made + summary.failed > 0) ctx.log.info(summary, 'video streaming copies made');
      // Drive B gets the new copies too.
      if (partner && summary.made > 0) queueMirror();
    } catch (e) {
      if (signal.aborted) return;
      const err = isOutpostError(e) ? e : new OutpostError('INTERNAL', String(e), { cause: e });
      ctx.log.warn({ err }, `video streaming copies stopped: ${err.message}`);
    } finally {
      await cat.close();
    }
  };
  const queueVideoCopies = (): void => {
    void jobs.enqueue({ kind: 'videos' }, videoPass, { once: true });
  };

  /**
   * A scrub run in the serial queue, when one is due: drive A's cycle (and the partner's) per
   * `scrub.every`, or, with `onlyRepairs`, just the damage waiting for the partner to come back.
   */
  const scrubPass = async (onlyRepairs: boolean, signal: AbortSignal): Promise<void> => {
    const a = drive;
    const b = partner;
    const cfg = ctx.config.scrub;
    // Cards queued for ingest: a scrub queued before them gives way.
    if (!a || !cfg.enabled || signal.aborted || jobs.queued('ingest') > 0 || draining) return;
    const now = ctx.clock.now();
    const every = cfg.everyMs;
    const sa = await scrubStatusOf(a.layout.catalog);
    const sb = b ? await scrubStatusOf(b.layout.catalog) : undefined;
    const dueA = !onlyRepairs && scrubDue(sa, now, every);
    const dueB = !onlyRepairs && !!sb && scrubDue(sb, now, every);
    const repairs = !!b && cfg.repair && sa.awaitingPartner + (sb?.awaitingPartner ?? 0) > 0;
    if (!dueA && !dueB && !repairs) return;
    try {
      const summary = await runScrub(
        a,
        b,
        {
          repair: cfg.repair,
          cycle: dueA,
          partnerCycle: sb ? dueB : undefined,
          bytesPerSecond: bytesPerSecondOf(cfg.rateMBps),
          signal,
          onProgress: (progress) => events.emit('scrub-progress', { path: progress.root, progress }),
        },
        { clock: ctx.clock, log: ctx.log },
      );
      events.emit('scrub-done', { summary });
      const log = summary.openDamage > 0 ? ctx.log.error.bind(ctx.log) : ctx.log.info.bind(ctx.log);
      log(
        {
          checked: summary.checked,
          bytes: summary.bytes,
          bad: summary.bad.length,
          repaired: summary.repaired.length,
          unrepaired: summary.unrepaired.map((u) => `${u.path} (${u.reason})`),
          openDamage: summary.openDamage,
          aborted: summary.aborted,
        },
        summary.openDamage > 0 ? 'scrub: damaged files remain unrepaired' : 'scrub finished',
      );
    } catch (e) {
      const err = isOutpostError(e) ? e : new OutpostError('INTERNAL', String(e), { cause: e });
      events.emit('scrub-failed', { code: err.code, message: err.message, hint: err.hint });
      ctx.log.error({ code: err.code, hint: err.hint }, `scrub failed: ${err.message}`);
    }
  };
  /** A scrub check at the end of the queue (one queued stands for the next). */
  const queueScrub = (onlyRepairs = false): void => {
    void jobs.enqueue(
      { kind: 'scrub' },
      (signal) =>
        scrubPass(onlyRepairs, signal).catch((err: unknown) => ctx.log.warn({ err }, 'scrub check failed')),
      { once: true },
    );
  };
  /** Damage remembered from earlier runs is shown from the start (BACKUP flashes red). */
  const reportDamage = async (d: Drive): Promise<void> => {
    const s = await scrubStatusOf(d.layout.catalog).catch(() => undefined);
    if (s?.damaged) events.emit('scrub-damage', { files: s.damaged });
  };
  // Empty volumes: offered in the web app to become a library drive.
  const blank = new Map<string, Vol>();
  /** Devices the station mounts itself; undefined when it only watches mounts made by others. */
  let manager: DeviceManager | undefined;
  const unmountHooks: ((path: string) => Promise<void>)[] = [];
  /** How the last ingest of each card the station mounted ended. */
  const cardOutcome = new Map<string, CardOutcome>();
  /** Unmounted cards still in their reader, by device: taking them out empties the CARD slot. */
  const releasedCards = new Map<string, string[]>();
  let lastMirrorOk = false;
  const managedAt = (path: string): ManagedVolume | undefined =>
    manager?.volumes().find((v) => v.mountPoint === path && v.state === 'mounted');
  /** Run in the serial queue (after the ingest, mirror or scrub in progress) and wait for it. */
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => jobs.run({ kind: 'housekeeping' }, fn);
  /** A card's ingest at the end of the queue. */
  const queueIngest = (m: Vol): void => {
    void jobs.enqueue({ kind: 'ingest', key: m.mountPoint }, (signal) => ingestVolume(m, signal));
  };
  /** A mirror pass, then drive B unmounted if the station mounted it (one queued stands for more). */
  const queueMirror = (): void => {
    void jobs.enqueue({ kind: 'mirror', key: partner?.layout.root }, mirrorPass, { once: true });
    void jobs.enqueue({ kind: 'release' }, releasePartnerAfterMirror, { once: true });
  };

  const attachLibrary = async (path: string): Promise<void> => {
    drive = await openDrive(path);
    events.emit('library-attached', { path, label: drive.marker.label, id: drive.marker.id });
    ctx.log.info({ path, label: drive.marker.label }, 'library drive attached');
    const attached = drive;
    void jobs.enqueue({ kind: 'relocate', key: path }, () => finishRelocations(attached, ctx.log));
    void jobs.enqueue({ kind: 'housekeeping' }, () => reportDamage(attached));
    for (const m of waiting.values()) queueIngest(m);
    waiting.clear();
  };

  /** One mirror pass drive A ⇄ partner, in the same queue as ingest (both take the drive locks). */
  const mirrorPass = async (signal: AbortSignal): Promise<void> => {
    const a = drive;
    const b = partner;
    if (!a || !b || !ctx.config.mirror.auto || draining) return;
    const path = b.layout.root;
    try {
      const summary = await mirrorDrives(
        a,
        b,
        {
          node: ctx.node,
          maxDeleteShare: ctx.config.mirror.maxDeleteShare,
          minFreeBytes: ctx.config.mirror.minFreeBytes,
          signal,
          onProgress: (progress) => events.emit('mirror-progress', { path, progress }),
        },
        { clock: ctx.clock, log: ctx.log },
      );
      events.emit('mirror-done', { path, summary });
      lastMirrorOk = !summary.aborted;
      ctx.log.info({ path, ...summary, warnings: summary.warnings.length }, 'mirror finished');
    } catch (e) {
      lastMirrorOk = false;
      const err = isOutpostError(e) ? e : new OutpostError('INTERNAL', String(e), { cause: e });
      events.emit('mirror-failed', { path, code: err.code, message: err.message, hint: err.hint });
      ctx.log.error({ path, code: err.code, hint: err.hint }, `mirror failed: ${err.message}`);
    }
  };

  const attachPartner = async (path: string): Promise<void> => {
    const d = await openDrive(path);
    const wanted = ctx.config.mirror.partner;
    if (wanted && d.marker.id !== wanted) {
      events.emit('card-ignored', {
        mountPoint: path,
        reason: `library drive ${d.marker.id} is not the configured mirror partner`,
      });
      return;
    }
    partner = d;
    lastMirrorOk = false;
    events.emit('partner-attached', { path, label: d.marker.label, id: d.marker.id });
    ctx.log.info({ path, label: d.marker.label }, 'second library drive attached: mirroring');
    void jobs.enqueue({ kind: 'mirror', key: path }, mirrorPass, { once: true });
    // Damage a scrub found while this drive was away is repaired now.
    queueScrub(true);
    // A drive B the station mounted is unmounted once it holds everything ("Drive B: after the mirror").
    void jobs.enqueue({ kind: 'release' }, releasePartnerAfterMirror, { once: true });
  };

  /** sync + unmount drive B; it stays the partner (and mounted) when something still uses it. */
  const releasePartner = async (b: Drive, v: ManagedVolume): Promise<EjectResult> => {
    const path = b.layout.root;
    const base = { slot: 'B' as const, mountPoint: path, device: v.medium.name, label: b.marker.label };
    events.emit('device-unmounting', base);
    for (const fn of unmountHooks)
      await fn(path).catch((err: unknown) => ctx.log.warn({ err }, 'before unmount'));
    const r = await manager!.release(path);
    if (!r.ok) {
      events.emit('device-eject-failed', { ...base, detail: r.detail });
      throw new OutpostError(
        'DEVICE_BUSY',
        `drive B "${b.marker.label}" is still in use (${r.detail}): not safe to remove`,
        {
          details: { detail: r.detail },
        },
      );
    }
    if (partner === b) partner = undefined;
    events.emit('partner-detached', { path });
    events.emit('device-ejected', base);
    return {
      target: 'B',
      device: v.medium.dev,
      mountPoint: path,
      label: b.marker.label,
      state: 'safe-to-remove',
      message: `drive B "${b.marker.label}" is unmounted; you can remove it`,
    };
  };

  const releasePartnerAfterMirror = async (): Promise<void> => {
    const b = partner;
    const v = b && managedAt(b.layout.root);
    // Cards still queued bring new items: the mirror after them unmounts it.
    if (!b || !v || !lastMirrorOk || jobs.queued('ingest') > 0 || !drive || opts.signal.aborted) return;
    await releasePartner(b, v).catch((e: unknown) =>
      ctx.log.warn(
        { hint: isOutpostError(e) ? e.hint : undefined },
        e instanceof Error ? e.message : String(e),
      ),
    );
  };

  /** A card the station mounted: unmount it once its ingest is over (kept mounted when the drive was the problem). */
  const afterCard = async (vol: Vol, outcome: CardOutcome): Promise<void> => {
    const v = vol.managed;
    if (!v || v.state !== 'mounted') return;
    cardOutcome.set(vol.mountPoint, outcome);
    if (outcome === 'removed') return;
    if (outcome === 'drive') {
      // Copied again as soon as a (working) library drive is attached.
      waiting.set(vol.mountPoint, vol);
      if (!drive) events.emit('card-waiting', { mountPoint: vol.mountPoint });
      return;
    }
    await ejectCard(vol.mountPoint, v).catch((e: unknown) =>
      ctx.log.warn(
        { hint: isOutpostError(e) ? e.hint : undefined },
        e instanceof Error ? e.message : String(e),
      ),
    );
  };

  const ejectCard = async (mountPoint: string, v: ManagedVolume): Promise<EjectResult> => {
    const outcome = cardOutcome.get(mountPoint);
    const base = { slot: 'card' as const, mountPoint, device: v.medium.name, label: v.label };
    events.emit('device-unmounting', base);
    const r = await manager!.release(mountPoint);
    if (!r.ok) {
      events.emit('device-eject-failed', { ...base, detail: r.detail });
      throw new OutpostError('DEVICE_BUSY', `the card is still in use (${r.detail}): not safe to remove`, {
        details: { detail: r.detail },
      });
    }
    waiting.delete(mountPoint);
    cardOutcome.delete(mountPoint);
    releasedCards.set(v.medium.name, [...(releasedCards.get(v.medium.name) ?? []), mountPoint]);
    const copied = outcome === 'done' || outcome === 'card-error';
    events.emit('device-ejected', { ...base, copied });
    return {
      target: 'card',
      device: v.medium.dev,
      mountPoint,
      label: v.label,
      state: 'safe-to-remove',
      message: copied
        ? 'the card is unmounted; you can remove it'
        : 'the card is unmounted (not copied); you can remove it',
    };
  };

  const ingestVolume = async (m: Vol, signal: AbortSignal): Promise<void> => {
    const mountPoint = m.mountPoint;
    // Ejected (or pulled) while it waited for its turn.
    if (m.managed && m.managed.state !== 'mounted') return;
    if (draining) return;
    if (drive && ctx.clockWatch && !(await clockTrustedFor(ctx.clockWatch, drive.layout.root, ctx.log)))
      return holdForClock(m);
    if (!drive) {
      waiting.set(mountPoint, m);
      events.emit('card-ignored', { mountPoint, reason: 'no library drive attached: waiting for one' });
      events.emit('card-waiting', { mountPoint });
      ctx.log.warn(
        { mountPoint },
        'card inserted but no library drive is attached: plug one in and ingest starts',
      );
      return;
    }
    let outcome: CardOutcome = 'drive';
    try {
      // A card the station mounted: its filesystem UUID is known (also through FUSE, where the
      // mount table names no device).
      const card: CardIdentity = m.managed?.uuid
        ? cardIdentityOf(m.managed)
        : await fingerprintCard(mountPoint, {
            runner: ctx.runner,
            readMountInfo: opts.readMountInfo ?? nodeReadMountInfo,
          });
      const summary = await ingestCard(
        {
          cardRoot: mountPoint,
          card,
          drive,
          settings: ctx.config.ingest,
          health: ctx.config.drives.health,
          timeZone: ctx.timeZone,
          node: ctx.node,
          signal,
          stopAfterFile: stopAfterFile.signal,
          onProgress: (progress) => events.emit('ingest-progress', { mountPoint, progress }),
        },
        { analyzer: ctx.analyzer, clock: ctx.clock, log: ctx.log },
      );
      events.emit('ingest-done', { mountPoint, summary });
      const code = summary.error?.code;
      outcome =
        code === undefined
          ? summary.warnings.some((w) => w.code === 'UNREADABLE')
            ? 'card-error'
            : 'done'
          : code === 'CARD_REMOVED'
            ? 'removed'
            : code === 'CARD_READ_ERROR'
              ? 'card-error'
              : 'drive';
      if (opts.signal.aborted && code === undefined && summary.notCopied > 0) outcome = 'drive';
      // New items on drive A: the partner catches up right after.
      if (partner && summary.copied > 0) queueMirror();
      if (summary.copied > 0) queueVideoCopies();
      ctx.log.info({ mountPoint, ...summary, warnings: summary.warnings.length }, 'ingest finished');
    } catch (e) {
      const err = isOutpostError(e) ? e : new OutpostError('INTERNAL', String(e), { cause: e });
      events.emit('ingest-failed', { mountPoint, code: err.code, message: err.message, hint: err.hint });
      ctx.log.error({ mountPoint, code: err.code, hint: err.hint }, err.message);
      outcome =
        err.code === 'CARD_REMOVED' || err.code === 'CARD_NOT_FOUND'
          ? 'removed'
          : err.code === 'CARD_READ_ERROR'
            ? 'card-error'
            : 'drive';
    }
    if (!opts.signal.aborted) await afterCard(m, outcome);
  };

  /** The clock looks wrong: the card waits (CARD flashes red, the status page says why). */
  const holdForClock = (m: Vol): void => {
    const first = !clockHeld.has(m.mountPoint);
    clockHeld.set(m.mountPoint, m);
    const s = ctx.clockWatch!.status();
    const message = `not copied yet: ${s.message ?? "the station's clock looks wrong"}`;
    events.emit('ingest-failed', {
      mountPoint: m.mountPoint,
      code: 'CLOCK_SUSPECT',
      message,
      hint: s.action ?? ERROR_CATALOGUE.CLOCK_SUSPECT.hint,
    });
    if (first) ctx.log.warn({ mountPoint: m.mountPoint, code: 'CLOCK_SUSPECT', hint: s.action }, message);
  };
  ctx.clockWatch?.on('change', (s) => {
    if (s.state !== 'trusted' || clockHeld.size === 0) return;
    ctx.log.info({ cards: clockHeld.size }, 'the clock is right: copying the cards that waited');
    for (const m of clockHeld.values()) queueIngest(m);
    clockHeld.clear();
  });

  const drain = async (graceMs: number): Promise<void> => {
    draining = true;
    stopAfterFile.abort();
    stopScrub();
    // A mirror copy cut off is crash-safe (tmp, then rename) and done again next time.
    jobs.abortRunning({ kind: 'mirror' });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([jobs.idle(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  };

  const onAdded = async (m: Vol): Promise<void> => {
    const isLibrary = await access(join(m.mountPoint, DRIVE_MARKER)).then(
      () => true,
      () => false,
    );
    if (isLibrary && m.managed?.readOnly) {
      const reason = `library drive ${m.managed.dev} (${m.managed.fsType}) could only be mounted read-only: not used`;
      ctx.log.error(
        {
          mountPoint: m.mountPoint,
          hint: 'Repair it on a computer (for NTFS: shut Windows down fully, or ntfsfix).',
        },
        reason,
      );
      events.emit('card-ignored', { mountPoint: m.mountPoint, reason });
      return;
    }
    if (isLibrary) {
      if (!drive && !opts.library) await attachLibrary(m.mountPoint);
      else if (drive && drive.layout.root !== m.mountPoint && !partner) await attachPartner(m.mountPoint);
      return;
    }
    if (!(await hasMedia(m.mountPoint))) {
      if (await isBlankVolume(m.mountPoint)) blank.set(m.mountPoint, m);
      events.emit('card-ignored', { mountPoint: m.mountPoint, reason: 'no media on this volume' });
      return;
    }
    events.emit('card-inserted', { mountPoint: m.mountPoint });
    // Ingest first: a running scrub stops between reads and continues at its next check.
    stopScrub();
    queueIngest(m);
  };

  const onRemoved = (m: Vol): void => {
    blank.delete(m.mountPoint);
    if (partner && partner.layout.root === m.mountPoint) {
      jobs.abortRunning({ kind: 'mirror', key: m.mountPoint });
      stopScrub();
      partner = undefined;
      events.emit('partner-detached', { path: m.mountPoint });
      ctx.log.info({ path: m.mountPoint }, 'second library drive removed');
      return;
    }
    if (drive && drive.layout.root === m.mountPoint) {
      stopScrub();
      events.emit('library-detached', { path: m.mountPoint });
      ctx.log.warn({ path: m.mountPoint }, 'library drive removed');
      drive = undefined;
      return;
    }
    // The ingest notices by itself (reads fail, device changes) and reports CARD_REMOVED.
    waiting.delete(m.mountPoint);
    clockHeld.delete(m.mountPoint);
    events.emit('card-removed', { mountPoint: m.mountPoint });
  };

  /** Where the work in progress was when a device went away, for the lights. */
  const during = (path: string): string | undefined => {
    const busy = copying();
    if (partner && path === partner.layout.root) return busy?.key === path ? 'the mirror' : undefined;
    if (drive && path === drive.layout.root) {
      if (!busy) return undefined;
      return busy.kind === 'ingest' ? 'an ingest' : 'the mirror';
    }
    return busy?.key === path ? 'copying' : undefined;
  };

  const startManager = (): DeviceManager | undefined => {
    const cfg = ctx.config.station.devices;
    if (!cfg.manage) return undefined;
    const host = opts.deviceHost ?? nodeDeviceHost(ctx.runner);
    if (!host.canMount()) {
      ctx.log.warn(
        { hint: 'run the station as root (the service does), or set station.devices.manage: false' },
        'not root: the station does not mount devices itself, it only watches mounts under station.watchRoots',
      );
      return undefined;
    }
    const erases = ctx.config.ingest.cleanup.policy === 'verified';
    return startDeviceManager({
      host,
      filter: { includeLoop: cfg.includeLoop, loopFilesUnder: cfg.loopFilesUnder },
      mountRoot: cfg.mountRoot,
      intervalMs: ctx.config.station.pollIntervalMs,
      signal: opts.signal,
      log: ctx.log,
      powerOff: cfg.powerOff,
      classify: async (mp) => {
        const marker = await access(join(mp, DRIVE_MARKER)).then(
          () => true,
          () => false,
        );
        const media = !marker && (await hasMedia(mp));
        return roleOf({ marker, media, blank: !marker && !media && (await isBlankVolume(mp)) });
      },
      needsWrite: (role) => needsWrite(role, erases),
      onMounted: async (v) => {
        events.emit('device-mounted', {
          role: v.role,
          mountPoint: v.mountPoint,
          device: v.medium.name,
          fsType: v.fsType,
          driver: v.driver,
          readOnly: v.readOnly,
          label: v.label,
        });
        await onAdded({ mountPoint: v.mountPoint, managed: v });
      },
      onPulled: (v) => {
        const path = v.mountPoint;
        const slot: DeviceSlot | 'other' =
          drive?.layout.root === path
            ? 'A'
            : partner?.layout.root === path
              ? 'B'
              : v.role === 'card'
                ? 'card'
                : 'other';
        const label = slot === 'A' ? drive?.marker.label : slot === 'B' ? partner?.marker.label : v.label;
        const what = during(path);
        onRemoved({ mountPoint: path, managed: v });
        cardOutcome.delete(path);
        events.emit('device-pulled', { slot, mountPoint: path, device: v.medium.name, label, during: what });
        // Its place stays read-only until the work that used it has stopped (manager.ts: placeholder).
        void jobs.enqueue({ kind: 'housekeeping', key: path }, async () => manager?.clearPlaceholder(path));
      },
      onReleased: (v) => {
        blank.delete(v.mountPoint);
      },
      onMediumGone: (m) => {
        for (const mountPoint of releasedCards.get(m.name) ?? []) events.emit('card-removed', { mountPoint });
        releasedCards.delete(m.name);
        events.emit('device-gone', { device: m.name });
      },
      onProblem: (p) =>
        events.emit('device-problem', { device: p.dev, fsType: p.fsType, message: p.message }),
      beforeStop: () => jobs.idle(),
    });
  };

  const done = (async () => {
    if (opts.library) await attachLibrary(opts.library);
    manager = startManager();
    const watcher = createMountWatcher({
      readMountInfo: opts.readMountInfo ?? nodeReadMountInfo,
      roots: ctx.config.station.watchRoots,
      intervalMs: ctx.config.station.pollIntervalMs,
      signal: opts.signal,
      onAdded,
      onRemoved,
      onError: (err) => ctx.log.warn({ err }, 'mount watcher'),
    });
    // Scheduled scrubs: checked a minute after start, then every `scrub.checkMinutes`.
    // Videos left without a streaming copy (a pass cut short) are picked up on the same beat.
    const first = setTimeout(() => {
      queueVideoCopies();
      queueScrub();
    }, FIRST_SCRUB_CHECK_MS);
    const every = setInterval(() => {
      queueVideoCopies();
      queueScrub();
    }, ctx.config.scrub.checkMinutes * 60_000);
    try {
      await watcher.done;
    } finally {
      clearTimeout(first);
      clearInterval(every);
    }
    await jobs.idle();
    await manager?.done;
  })();
  /**
   * Make an empty volume the station offered a library drive (web app: Drives), then attach it:
   * as drive A when there is none, else as drive A's mirror partner.
   */
  const initBlank = async (mountPoint: string, label: string): Promise<Drive> => {
    const m = blank.get(mountPoint);
    if (!m)
      throw new OutpostError('INVALID_INPUT', `${mountPoint} is not an empty volume the station offers`, {
        hint: 'GET /api/drives lists the empty volumes; plug the drive in again if it is missing.',
      });
    if (!(await isBlankVolume(mountPoint)))
      throw new OutpostError('DRIVE_NOT_EMPTY', `${mountPoint} is not empty any more`, {
        hint: 'Only an empty drive is initialised from the web app; use `outpost init-drive` on the station otherwise.',
      });
    const d = await initDrive(mountPoint, { label, now: ctx.clock.now() });
    blank.delete(mountPoint);
    ctx.log.info({ mountPoint, label, id: d.marker.id }, 'empty drive initialised as a library drive');
    await onAdded(m);
    return d;
  };

  const needManager = (): DeviceManager => {
    if (!manager)
      throw new OutpostError(
        'DEVICES_NOT_MANAGED',
        'the station does not mount devices itself, so it cannot eject them',
      );
    return manager;
  };

  const eject = async (target: DeviceSlot): Promise<EjectResult> => {
    needManager();
    if (target === 'card') {
      const cards = (manager?.volumes() ?? []).filter((v) => v.role === 'card' && v.state === 'mounted');
      if (cards.length === 0) throw new OutpostError('NO_SUCH_DEVICE', 'no card mounted by the station');
      const busy = copying();
      if (busy?.kind === 'ingest' && cards.some((v) => v.mountPoint === busy.key))
        throw new OutpostError('DEVICE_BUSY', 'the card is being copied: wait until CARD flashes green', {
          hint: 'Or pull it now and insert it again later: copying resumes where it stopped.',
        });
      let last: EjectResult | undefined;
      // A card queued or waiting for a drive is skipped once unmounted (ingestVolume checks).
      for (const v of cards) last = await ejectCard(v.mountPoint, v);
      return last!;
    }
    const d = target === 'A' ? drive : partner;
    if (!d) throw new OutpostError('NO_SUCH_DEVICE', `no drive ${target} attached`);
    const path = d.layout.root;
    const v = managedAt(path);
    if (!v)
      throw new OutpostError(
        'DEVICES_NOT_MANAGED',
        `drive ${target} (${path}) was not mounted by the station`,
        {
          hint: 'Unmount it the way it was mounted (your desktop, or `umount`).',
        },
      );
    const busy = copying();
    if (target === 'A' ? busy !== undefined || jobs.queued('ingest') > 0 : busy?.key === path)
      throw new OutpostError(
        'DEVICE_BUSY',
        target === 'A'
          ? 'the station is copying a card or mirroring onto drive A: eject it when that is done'
          : 'drive B is being mirrored: eject it when BACKUP flashes green',
      );
    stopScrub();
    if (target === 'B') return exclusive(() => releasePartner(d, v));
    return exclusive(async () => {
      if (drive !== d) throw new OutpostError('NO_SUCH_DEVICE', 'drive A went away');
      const label = d.marker.label;
      const base = { slot: 'A' as const, mountPoint: path, device: v.medium.name, label };
      events.emit('device-unmounting', base);
      drive = undefined;
      events.emit('library-detached', { path });
      for (const fn of unmountHooks)
        await fn(path).catch((err: unknown) => ctx.log.warn({ err }, 'before unmount'));
      const r = await manager!.release(path);
      if (!r.ok) {
        events.emit('device-eject-failed', { ...base, detail: r.detail });
        // Still mounted: back to work until the next eject.
        if (r.volume.state === 'mounted')
          await attachLibrary(path).catch((err: unknown) => ctx.log.error({ err }, 'library drive'));
        throw new OutpostError(
          'DEVICE_BUSY',
          `drive A "${label}" is still in use (${r.detail}): not safe to remove`,
          {
            details: { detail: r.detail },
          },
        );
      }
      events.emit('device-ejected', base);
      ctx.log.info({ path, label }, 'drive A unmounted: safe to remove');
      return {
        target: 'A' as const,
        device: v.medium.dev,
        mountPoint: path,
        label,
        state: 'safe-to-remove' as const,
        message: `drive A "${label}" is unmounted; you can remove it`,
      };
    });
  };

  const format = async (device: string, fs: FormatFs, label: string): Promise<Drive> => {
    const m = needManager();
    const vols = await m.format(device, fs, label, isBlankVolume);
    const v = vols.find((x) => x.role === 'blank' && !x.readOnly);
    if (!v)
      throw new OutpostError('MOUNT_FAILED', `${device} was formatted but could not be mounted for writing`, {
        hint: 'Unplug it and plug it in again; the web app then offers it as an empty drive.',
      });
    return initBlank(v.mountPoint, label);
  };

  return {
    events,
    done,
    get managed() {
      return manager !== undefined;
    },
    devices: () => (manager ? { media: manager.media(), empty: manager.empty() } : null),
    eject,
    format,
    beforeUnmount: (fn) => void unmountHooks.push(fn),
    drain,
    blankVolumes: () => [...blank.keys()],
    initBlank,
    drives: () => ({ a: drive, b: partner }),
  };
}

/** The identity ingest files a card under, from what blkid read (the same id as fingerprintCard's fs-uuid). */
function cardIdentityOf(v: ManagedVolume): CardIdentity {
  const fsUuid = v.uuid!.toLowerCase();
  return { id: `uuid:${fsUuid}`, kind: 'fs-uuid', fsUuid, label: v.label, mountPoint: v.mountPoint };
}

/** Names a fresh file system carries that do not make it "not empty". */
const FRESH_FS_ENTRIES = new Set([
  'lost+found',
  'System Volume Information',
  '$RECYCLE.BIN',
  '.Trashes',
  '.fseventsd',
]);

/** A volume with nothing on it but what formatting leaves. */
export async function isBlankVolume(dir: string): Promise<boolean> {
  const entries = await readdir(dir).catch(() => undefined);
  return !!entries && entries.every((e) => FRESH_FS_ENTRIES.has(e) || e.startsWith('.Trash-'));
}
