import { access, opendir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import type { Config } from '../config/schema.js';
import type { MediaAnalyzer } from '../media/types.js';
import { OutpostError, isOutpostError } from '../core/errors.js';
import { SKIP_DIRS, mediaTypeOf } from '../core/media-types.js';
import { mirrorDrives } from '../drives/mirror.js';
import { bytesPerSecondOf, parseEvery, scrubDue } from '../drives/scrub-plan.js';
import { runScrub, scrubStatusOf } from '../drives/scrub.js';
import { fingerprintCard } from '../ingest/fingerprint.js';
import { ingestCard } from '../ingest/ingest.js';
import { initDrive, openDrive, type Drive } from '../library/drive.js';
import { openCatalog } from '../library/catalog/open.js';
import { relocateItems } from '../library/relocate.js';
import { DRIVE_MARKER } from '../library/layout.js';
import { createMountWatcher, nodeReadMountInfo } from './mount-watcher.js';
import type { MountEntry } from './mountinfo.js';
import { StationEvents } from './events.js';

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
}

export interface StationOptions {
  /** Library drive path; when absent the first library drive mounted under the roots is used. */
  library?: string | undefined;
  signal: AbortSignal;
  readMountInfo?: () => Promise<string>;
}

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
  let chain: Promise<void> = Promise.resolve();
  const active = new Map<string, AbortController>();

  // Cards inserted while no library drive is attached wait here and are ingested once one is.
  const waiting = new Map<string, MountEntry>();
  /** The running scrub: a card, or a drive going away, stops it (its cursor keeps the place). */
  let scrubAbort: AbortController | undefined;
  let scrubQueued = false;
  /** Cards queued for ingest: a scrub queued before them gives way. */
  let cardsQueued = 0;

  /**
   * A scrub run in the serial queue, when one is due: drive A's cycle (and the partner's) per
   * `scrub.every`, or, with `onlyRepairs`, just the damage waiting for the partner to come back.
   */
  const scrubPass = async (onlyRepairs: boolean): Promise<void> => {
    const a = drive;
    const b = partner;
    const cfg = ctx.config.scrub;
    if (!a || !cfg.enabled || opts.signal.aborted || cardsQueued > 0) return;
    const now = ctx.clock.now();
    const every = parseEvery(cfg.every)!;
    const sa = await scrubStatusOf(a.layout.catalog);
    const sb = b ? await scrubStatusOf(b.layout.catalog) : undefined;
    const dueA = !onlyRepairs && scrubDue(sa, now, every);
    const dueB = !onlyRepairs && !!sb && scrubDue(sb, now, every);
    const repairs = !!b && cfg.repair && sa.awaitingPartner + (sb?.awaitingPartner ?? 0) > 0;
    if (!dueA && !dueB && !repairs) return;
    const abort = (scrubAbort = new AbortController());
    const stop = (): void => abort.abort();
    opts.signal.addEventListener('abort', stop, { once: true });
    try {
      const summary = await runScrub(
        a,
        b,
        {
          repair: cfg.repair,
          cycle: dueA,
          partnerCycle: sb ? dueB : undefined,
          bytesPerSecond: bytesPerSecondOf(cfg.rateMBps),
          signal: abort.signal,
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
    } finally {
      opts.signal.removeEventListener('abort', stop);
      if (scrubAbort === abort) scrubAbort = undefined;
    }
  };
  const queueScrub = (onlyRepairs = false): void => {
    if (scrubQueued) return;
    scrubQueued = true;
    chain = chain.then(async () => {
      scrubQueued = false;
      await scrubPass(onlyRepairs).catch((err: unknown) => ctx.log.warn({ err }, 'scrub check failed'));
    });
  };
  /** Damage remembered from earlier runs is shown from the start (BACKUP flashes red). */
  const reportDamage = async (d: Drive): Promise<void> => {
    const s = await scrubStatusOf(d.layout.catalog).catch(() => undefined);
    if (s?.damaged) events.emit('scrub-damage', { files: s.damaged });
  };
  // Empty volumes: offered in the web app to become a library drive.
  const blank = new Map<string, MountEntry>();

  const attachLibrary = async (path: string): Promise<void> => {
    drive = await openDrive(path);
    events.emit('library-attached', { path, label: drive.marker.label, id: drive.marker.id });
    ctx.log.info({ path, label: drive.marker.label }, 'library drive attached');
    const attached = drive;
    chain = chain.then(() => finishRelocations(attached, ctx.log));
    chain = chain.then(() => reportDamage(attached));
    for (const m of waiting.values()) chain = chain.then(() => ingestVolume(m));
    waiting.clear();
  };

  /** One mirror pass drive A ⇄ partner, in the same queue as ingest (both take the drive locks). */
  const mirrorPass = async (): Promise<void> => {
    const a = drive;
    const b = partner;
    if (!a || !b || !ctx.config.mirror.auto) return;
    const path = b.layout.root;
    const abort = new AbortController();
    active.set(path, abort);
    opts.signal.addEventListener('abort', () => abort.abort(), { once: true });
    try {
      const summary = await mirrorDrives(
        a,
        b,
        {
          node: ctx.node,
          maxDeleteShare: ctx.config.mirror.maxDeleteShare,
          minFreeBytes: ctx.config.mirror.minFreeBytes,
          signal: abort.signal,
          onProgress: (progress) => events.emit('mirror-progress', { path, progress }),
        },
        { clock: ctx.clock, log: ctx.log },
      );
      events.emit('mirror-done', { path, summary });
      ctx.log.info({ path, ...summary, warnings: summary.warnings.length }, 'mirror finished');
    } catch (e) {
      const err = isOutpostError(e) ? e : new OutpostError('INTERNAL', String(e), { cause: e });
      events.emit('mirror-failed', { path, code: err.code, message: err.message, hint: err.hint });
      ctx.log.error({ path, code: err.code, hint: err.hint }, `mirror failed: ${err.message}`);
    } finally {
      active.delete(path);
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
    events.emit('partner-attached', { path, label: d.marker.label, id: d.marker.id });
    ctx.log.info({ path, label: d.marker.label }, 'second library drive attached: mirroring');
    chain = chain.then(mirrorPass);
    // Damage a scrub found while this drive was away is repaired now.
    queueScrub(true);
  };

  const ingestVolume = async (m: MountEntry): Promise<void> => {
    const mountPoint = m.mountPoint;
    if (!drive) {
      waiting.set(mountPoint, m);
      events.emit('card-ignored', { mountPoint, reason: 'no library drive attached: waiting for one' });
      ctx.log.warn(
        { mountPoint },
        'card inserted but no library drive is attached: plug one in and ingest starts',
      );
      return;
    }
    const abort = new AbortController();
    active.set(mountPoint, abort);
    opts.signal.addEventListener('abort', () => abort.abort(), { once: true });
    try {
      const card = await fingerprintCard(mountPoint, {
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
          signal: abort.signal,
          onProgress: (progress) => events.emit('ingest-progress', { mountPoint, progress }),
        },
        { analyzer: ctx.analyzer, clock: ctx.clock, log: ctx.log },
      );
      events.emit('ingest-done', { mountPoint, summary });
      // New items on drive A: the partner catches up right after.
      if (partner && summary.copied > 0) chain = chain.then(mirrorPass);
      ctx.log.info({ mountPoint, ...summary, warnings: summary.warnings.length }, 'ingest finished');
    } catch (e) {
      const err = isOutpostError(e) ? e : new OutpostError('INTERNAL', String(e), { cause: e });
      events.emit('ingest-failed', { mountPoint, code: err.code, message: err.message, hint: err.hint });
      ctx.log.error({ mountPoint, code: err.code, hint: err.hint }, err.message);
    } finally {
      active.delete(mountPoint);
    }
  };

  const onAdded = async (m: MountEntry): Promise<void> => {
    const isLibrary = await access(join(m.mountPoint, DRIVE_MARKER)).then(
      () => true,
      () => false,
    );
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
    scrubAbort?.abort();
    cardsQueued++;
    chain = chain.then(async () => {
      cardsQueued--;
      await ingestVolume(m);
    });
  };

  const onRemoved = (m: MountEntry): void => {
    blank.delete(m.mountPoint);
    if (partner && partner.layout.root === m.mountPoint) {
      active.get(m.mountPoint)?.abort();
      scrubAbort?.abort();
      partner = undefined;
      events.emit('partner-detached', { path: m.mountPoint });
      ctx.log.info({ path: m.mountPoint }, 'second library drive removed');
      return;
    }
    if (drive && drive.layout.root === m.mountPoint) {
      scrubAbort?.abort();
      events.emit('library-detached', { path: m.mountPoint });
      ctx.log.warn({ path: m.mountPoint }, 'library drive removed');
      drive = undefined;
      return;
    }
    // The ingest notices by itself (reads fail, device changes) and reports CARD_REMOVED.
    waiting.delete(m.mountPoint);
    events.emit('card-removed', { mountPoint: m.mountPoint });
  };

  const done = (async () => {
    if (opts.library) await attachLibrary(opts.library);
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
    const first = setTimeout(() => queueScrub(), FIRST_SCRUB_CHECK_MS);
    const every = setInterval(() => queueScrub(), ctx.config.scrub.checkMinutes * 60_000);
    try {
      await watcher.done;
    } finally {
      clearTimeout(first);
      clearInterval(every);
    }
    await chain;
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

  return {
    events,
    done,
    blankVolumes: () => [...blank.keys()],
    initBlank,
    drives: () => ({ a: drive, b: partner }),
  };
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
