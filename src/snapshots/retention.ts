/**
 * Snapshot retention (docs/snapshots.md, Retention): per camera, JPEGs older than `keepDays`
 * go, and more go (oldest first) while the camera is over `maxGB`; one still per hour may stay
 * longer. Nothing goes before it is safe: its day is over, the day's timelapse exists and was
 * verified, and, with an uplink, HQ confirmed the timelapse (and the JPEG itself when JPEGs are
 * sent too). The plan is pure; `applyRetention` removes originals the way the uplink's offload
 * does (the row says `offloaded` first; the thumbnail stays, so the day strip still shows it).
 */
import { unlink } from 'node:fs/promises';
import { localFromInstant } from '../core/capture-time.js';
import { errnoCode } from '../core/errors.js';
import type { Catalog } from '../library/catalog/open.js';
import { offloadRecording } from '../library/catalog/recordings.js';
import { libraryFile } from '../library/layout.js';

export interface RetentionSnapshot {
  id: string;
  day: string;
  receivedMs: number;
  size: number;
  /** The JPEG's own original is at the uplink's target. */
  uploaded: boolean;
}

export interface RetentionInput {
  camera: string;
  timeZone: string;
  /** The camera's today (YYYY-MM-DD, its zone): never touched. */
  today: string;
  snapshots: RetentionSnapshot[];
  /** Days whose timelapse is made, verified and (with an uplink) confirmed at HQ. */
  safeDays: ReadonlySet<string>;
  /** JPEGs go off-site too (`snapshots.upload: all` with an uplink): each must be confirmed itself. */
  requireUploaded: boolean;
  keepDays: number;
  maxBytes: number | undefined;
  /** Days an hourly still outlives the rest (Infinity: until the budget needs the room; 0: none). */
  keepHourlyDays: number;
}

export interface RetentionPlan {
  delete: { id: string; size: number; reason: 'age' | 'budget' }[];
  freedBytes: number;
  /** Bytes over the budget that are not safe to delete yet (kept). */
  blockedBytes: number;
  warnings: string[];
}

/** Whole days from `a` to `b` (YYYY-MM-DD, calendar days; DST does not matter). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

export function planRetention(i: RetentionInput): RetentionPlan {
  const plan: RetentionPlan = { delete: [], freedBytes: 0, blockedBytes: 0, warnings: [] };
  const sorted = [...i.snapshots].sort((a, b) => a.receivedMs - b.receivedMs || (a.id < b.id ? -1 : 1));
  // The first snapshot of each local hour is that hour's still.
  const hourly = new Set<string>();
  const hours = new Set<string>();
  for (const s of sorted) {
    const h = localFromInstant(s.receivedMs, i.timeZone).slice(0, 13);
    if (hours.has(h)) continue;
    hours.add(h);
    hourly.add(s.id);
  }
  const safe = (s: RetentionSnapshot): boolean =>
    s.day < i.today && i.safeDays.has(s.day) && (!i.requireUploaded || s.uploaded);
  const chosen = new Set<string>();
  const take = (s: RetentionSnapshot, reason: 'age' | 'budget'): void => {
    chosen.add(s.id);
    plan.delete.push({ id: s.id, size: s.size, reason });
    plan.freedBytes += s.size;
  };
  // 1. Age.
  let unsafeOld = 0;
  for (const s of sorted) {
    const age = daysBetween(s.day, i.today);
    const limit = hourly.has(s.id) && i.keepHourlyDays > 0 ? i.keepDays + i.keepHourlyDays : i.keepDays;
    if (age <= limit) continue;
    if (safe(s)) take(s, 'age');
    else unsafeOld++;
  }
  if (unsafeOld)
    plan.warnings.push(
      `camera ${i.camera}: ${unsafeOld} snapshots are past keepDays but kept: their day's timelapse is not made, verified${i.requireUploaded ? ' or sent' : ' and sent'} yet`,
    );
  // 2. Budget: oldest safe first, the hourly stills last.
  if (i.maxBytes !== undefined) {
    const total = sorted.reduce((n, s) => n + s.size, 0);
    let over = total - plan.freedBytes - i.maxBytes;
    for (const pass of [false, true]) {
      for (const s of sorted) {
        if (over <= 0) break;
        if (chosen.has(s.id) || hourly.has(s.id) !== pass || !safe(s)) continue;
        take(s, 'budget');
        over -= s.size;
      }
    }
    if (over > 0) {
      plan.blockedBytes = over;
      plan.warnings.push(
        `camera ${i.camera} is ${Math.round(over / 1e6)} MB over its snapshot budget, but the rest is not safe yet (today's, or its day's timelapse is not made, verified or sent): kept`,
      );
    }
  }
  return plan;
}

/**
 * Remove the planned originals: the row says `offloaded` first, then the files go (the same
 * crash-safe order as the recorder's budget). Returns how many went.
 */
export async function applyRetention(cat: Catalog, root: string, plan: RetentionPlan): Promise<number> {
  let removed = 0;
  for (const d of plan.delete) {
    const paths = await offloadRecording(cat, d.id);
    if (!paths) continue;
    for (const p of paths)
      await unlink(libraryFile(root, p)).catch((e: unknown) => {
        if (errnoCode(e) !== 'ENOENT') throw e;
      });
    removed++;
  }
  return removed;
}
