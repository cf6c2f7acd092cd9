/**
 * Free-space health of a library drive: ok, nearly full (warn) or full (refuse writes).
 * Pure: the station reads statfs and passes the numbers in.
 */

export type DriveHealthLevel = 'ok' | 'nearly-full' | 'full';

export interface DriveSpace {
  /** Bytes an unprivileged writer can still use (statfs `bavail × bsize`, not `bfree`: root's reserve is not ours). */
  freeBytes: number;
  /** Size of the filesystem in bytes (statfs `blocks × bsize`). */
  totalBytes: number;
}

export interface DriveHealthThresholds {
  /** Used fraction at or above which the drive is "nearly full" (red). Default 0.9. */
  warnUsedFraction: number;
  /** Used fraction at or above which the drive is "full" (flashing red, writes refused). Default 0.98. */
  fullUsedFraction: number;
  /** Below this many free bytes the drive is "full" whatever the fraction (small drives). Default 1 GB. */
  minFreeBytes: number;
}

export const DEFAULT_DRIVE_HEALTH: Readonly<DriveHealthThresholds> = Object.freeze({
  warnUsedFraction: 0.9,
  fullUsedFraction: 0.98,
  minFreeBytes: 1_000_000_000,
});

export interface DriveHealth {
  level: DriveHealthLevel;
  /** 0..1, rounded to 4 places so reasons and JSON stay stable. */
  usedFraction: number;
  freeBytes: number;
  totalBytes: number;
  /** Short human sentence for the web app, `outpost status` and logs. */
  reason: string;
}

/** Classify a drive's free space. Full wins over nearly full; the byte floor wins over the fraction. */
export function driveHealth(
  space: DriveSpace,
  thresholds: DriveHealthThresholds = DEFAULT_DRIVE_HEALTH,
): DriveHealth {
  const total = Number.isFinite(space.totalBytes) ? Math.max(0, space.totalBytes) : 0;
  // statfs can momentarily report more free than total on some FUSE/network filesystems; clamp.
  const free = Number.isFinite(space.freeBytes) ? Math.min(Math.max(0, space.freeBytes), total) : 0;
  if (total === 0)
    return {
      level: 'full',
      usedFraction: 1,
      freeBytes: 0,
      totalBytes: 0,
      reason: 'drive reports no usable capacity',
    };
  const used = Math.round(((total - free) / total) * 10_000) / 10_000;
  const summary = `${formatPercent(used)} used, ${formatSize(free)} free`;
  const base = { usedFraction: used, freeBytes: free, totalBytes: total };
  // Compare the unrounded fraction so 97.996 % is not called full by rounding.
  const exact = (total - free) / total;
  if (free < thresholds.minFreeBytes)
    return {
      ...base,
      level: 'full',
      reason: `full: ${summary} (less than ${formatSize(thresholds.minFreeBytes)} left)`,
    };
  if (exact >= thresholds.fullUsedFraction) return { ...base, level: 'full', reason: `full: ${summary}` };
  if (exact >= thresholds.warnUsedFraction)
    return { ...base, level: 'nearly-full', reason: `nearly full: ${summary}` };
  return { ...base, level: 'ok', reason: summary };
}

/** SI units (1 GB = 10⁹ bytes), as drive makers and `df -H` count. */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

function formatPercent(f: number): string {
  const s = (f * 100).toFixed(1);
  return `${s.endsWith('.0') ? s.slice(0, -2) : s} %`;
}
