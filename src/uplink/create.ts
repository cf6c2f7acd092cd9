import type { Logger } from '../adapters/logger.js';
import { sleep } from '../adapters/sleep.js';
import { OutpostError } from '../core/errors.js';
import { parseStationKey } from '../core/station-key.js';
import type { Timetable } from '../core/timetable.js';
import type { Catalog } from '../library/catalog/open.js';
import type { SnapshotUploadPolicy } from '../library/catalog/uplink-journal.js';
import { UplinkRunner, type UplinkStatus } from './runner.js';
import type { UplinkTargetConfig } from './targets/target-name.js';
import { HqTusTarget } from './targets/hq-tus.js';
import type { UploadTarget } from './targets/target.js';

import { linkHint } from './throttle/wireless.js';
import { readWireless } from './throttle/wireless-read.js';

/** What the uplink reads of the `uplink:` config, as the config parsed it (the station passes it in). */
export interface UplinkSettings {
  /** Where the media goes (config `uplink.target`): HQ, an S3 bucket or an Azure container. */
  target: UplinkTargetConfig;
  hq: { url?: string | undefined; key?: string | undefined };
  /** The bandwidth timetable (`bwlimit`, parsed once at start-up); undefined: no limit. */
  bwlimit?: Timetable | undefined;
  adaptive: boolean;
  videoShare: number;
  chunkSeconds: number;
  stallTimeoutSeconds: number;
  deleteAfterUpload: 'never' | 'recordings' | 'all';
  deleteRequiresMirror: boolean;
}

export interface UplinkContext {
  config: { uplink: UplinkSettings; snapshots?: { upload: SnapshotUploadPolicy } | undefined };
  node: string;
  timeZone: string;
  log: Logger;
}

/**
 * The uplink as configured (`uplink:` in the config file) over one library's catalogue.
 * Refuses a key made for another station: HQ would refuse every op this node records.
 */
export async function createUplink(
  ctx: UplinkContext,
  catalog: Catalog,
  driveRoot: string,
  onStatus?: (s: UplinkStatus) => void,
): Promise<{ runner: UplinkRunner; close(): void }> {
  const u = ctx.config.uplink;
  const made = await makeTarget(ctx, u);
  const runner = new UplinkRunner(
    {
      catalog,
      driveRoot,
      target: made.target,
      now: () => Date.now(),
      sleep,
      log: ctx.log,
      readLink: async () => {
        const ifaces = await readWireless();
        return ifaces && ifaces.length ? linkHint(ifaces).hint : undefined;
      },
      ...(onStatus ? { onStatus } : {}),
    },
    {
      node: ctx.node,
      ...(u.bwlimit ? { timetable: u.bwlimit } : {}),
      timeZone: ctx.timeZone,
      adaptive: u.adaptive,
      videoShare: u.videoShare,
      chunk: { targetSeconds: u.chunkSeconds },
      stallTimeoutMs: u.stallTimeoutSeconds * 1000,
      deleteAfterUpload: u.deleteAfterUpload,
      deleteRequiresMirror: u.deleteRequiresMirror,
      snapshots: ctx.config.snapshots?.upload ?? 'timelapse',
    },
  );
  return { runner, close: made.close };
}

/** The configured target: a bucket, or HQ (refusing a key made for another station). */
async function makeTarget(
  ctx: UplinkContext,
  u: UplinkSettings,
): Promise<{ target: UploadTarget; close(): void }> {
  if (u.target.kind !== 'hq') {
    // The store's SDK is loaded only by stations that send to a bucket (memory, start-up time).
    const { bucketTarget } = await import('./targets/bucket-targets.js');
    const target = bucketTarget(u.target, u.stallTimeoutSeconds * 1000);
    return { target, close: () => target.close() };
  }
  if (!u.hq.url || !u.hq.key)
    throw new OutpostError('CONFIG_INVALID', 'the uplink needs uplink.hq.url and uplink.hq.key', {
      hint: 'Ask HQ for a key (`outpost hq keys add <station>` there) and put both in the config file.',
    });
  const station = parseStationKey(u.hq.key)?.station;
  if (station !== ctx.node)
    throw new OutpostError(
      'CONFIG_INVALID',
      `the HQ key is for station "${station}", but this node is "${ctx.node}"`,
      {
        hint: `Set \`node: ${station}\` in the config file, or ask HQ for a key for "${ctx.node}".`,
      },
    );
  const target = new HqTusTarget({
    url: u.hq.url,
    key: u.hq.key,
    stallTimeoutMs: u.stallTimeoutSeconds * 1000,
  });
  return { target, close: () => target.close() };
}
