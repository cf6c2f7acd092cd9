/**
 * Watches for filesystems mounted and unmounted below some roots (e.g. `/media`, `/run/media`),
 * which is how a station notices a card being inserted or pulled. `/proc/self/mountinfo` does not
 * support inotify, so it is polled; a poll is one small read, cheap enough every second.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { diffMounts, mountsUnder, parseMountInfo, type MountEntry } from '../core/mountinfo.js';

export interface MountWatcherOptions {
  /** Returns the text of `/proc/self/mountinfo`; use {@link nodeReadMountInfo} in production. */
  readMountInfo: () => Promise<string>;
  /** Report mounts strictly below these canonical absolute paths (no symlinks: mountinfo has none). */
  roots: string[];
  /** Time between the end of one poll and the start of the next. */
  intervalMs: number;
  /** Stops the watcher. */
  signal: AbortSignal;
  /**
   * A mount appeared. Called once for every mount already present at start (a card inserted before
   * the station started must be ingested too). Not awaited, so a long ingest does not delay the
   * detection of the card being pulled; a returned promise that rejects is passed to `onError`.
   */
  onAdded: (entry: MountEntry) => void | Promise<void>;
  /** A mount disappeared (also for a lazy `umount -l`, which detaches it at once). */
  onRemoved: (entry: MountEntry) => void | Promise<void>;
  /** A read of mountinfo or a callback failed; the watcher carries on. Default: `console.warn`. */
  onError?: (err: unknown) => void;
}

export interface MountWatcher {
  /** Resolves after the first successful poll has been reported (or when the watcher stops first). */
  readonly ready: Promise<void>;
  /** Resolves when the watcher has stopped after the abort; never rejects. */
  readonly done: Promise<void>;
  /** The mounts under the roots as of the last successful poll. */
  current(): MountEntry[];
}

/** Reads this process's view of the mount table. */
export async function nodeReadMountInfo(): Promise<string> {
  return readFile('/proc/self/mountinfo', 'utf8');
}

/** Start polling; see {@link MountWatcherOptions}. Stop it with the abort signal. */
export function createMountWatcher(opts: MountWatcherOptions): MountWatcher {
  const { readMountInfo, roots, intervalMs, signal, onAdded, onRemoved } = opts;
  const onError =
    opts.onError ?? ((err: unknown) => console.warn('mount watcher: carrying on after error:', err));
  let known: MountEntry[] = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const safeReport = (err: unknown): void => {
    try {
      onError(err);
    } catch {
      /* a broken error handler must not stop the watcher */
    }
  };
  const call = (fn: (e: MountEntry) => void | Promise<void>, e: MountEntry): void => {
    try {
      const r = fn(e);
      if (r && typeof r.then === 'function') r.then(undefined, safeReport);
    } catch (err) {
      safeReport(err);
    }
  };

  const poll = async (): Promise<void> => {
    let text: string;
    try {
      text = await readMountInfo();
    } catch (err) {
      // Keep the last known state: a failed read says nothing about mounts going away.
      safeReport(err);
      return;
    }
    if (signal.aborted) return;
    const now = mountsUnder(parseMountInfo(text), roots);
    const { added, removed } = diffMounts(known, now);
    known = now;
    // Removals first: if a card was swapped between two polls, the old one is gone before the new one.
    for (const e of removed) call(onRemoved, e);
    for (const e of added) call(onAdded, e);
    markReady();
  };

  const loop = async (): Promise<void> => {
    while (!signal.aborted) {
      await poll();
      try {
        await sleep(intervalMs, undefined, { signal });
      } catch {
        break; // aborted
      }
    }
  };

  const done = loop()
    .catch(safeReport)
    .finally(() => markReady());

  return { ready, done, current: () => [...known] };
}
