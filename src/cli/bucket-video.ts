/**
 * `outpost export --from-bucket`: a camera's recordings read straight from a cloud archive (the
 * S3 or Azure bucket of `uplink.target`), without a library that holds them. The bucket's
 * timeline (`recordings/<camera>/<day>/<start>_<id>.json`, core/bucket-layout.ts) lists a day's
 * segments in time order; each one's item document gives its facts (checked, as `outpost pull`
 * checks them); the originals in the range are downloaded for the job, checked against their
 * content address, and removed after it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  itemDocKey,
  normalPrefix,
  originalKey,
  parseItemDoc,
  parseRecordingKey,
  recordingDayPrefix,
} from '../core/bucket-layout.js';
import { OutpostError } from '../core/errors.js';
import { openCatalog, type Catalog } from '../library/catalog/open.js';
import { initDrive, openDrive, type Drive } from '../library/drive.js';
import type { ItemRow } from '../library/catalog/schema.js';
import { download, rowOf } from '../uplink/pull.js';
import type { BucketBackend } from '../uplink/targets/bucket-backend.js';
import { openEach, type OpenedFiles, type VideoSource } from '../video/source.js';
import { requireLibrary, type Context } from './context.js';

const DAY_MS = 86_400_000;
/** Wall-clock times are some zone's: a day either side covers every zone (UTC−12 to UTC+14). */
const ZONE_SLACK_MS = DAY_MS;

export function bucketVideoSource(o: {
  backend: BucketBackend;
  prefix: string;
  /** The library the result is placed in (the source lists nothing of its own). */
  catalog: Catalog;
  scratchDir: string;
  signal?: AbortSignal;
}): VideoSource {
  return {
    catalog: o.catalog,
    cameras: async () => {
      const names = new Set<string>();
      for await (const obj of o.backend.list(`${o.prefix}recordings/`, o.signal)) {
        const rest = obj.key.slice(`${o.prefix}recordings/`.length);
        const camera = rest.split('/')[0];
        if (camera) names.add(camera);
      }
      return [...names].sort();
    },
    recordings: async (camera, fromLocal, toLocal) => {
      // The window's wall-clock strings read as UTC, widened by a day either side.
      const fromMs = Date.parse(`${fromLocal}Z`) - ZONE_SLACK_MS;
      const toMs = Date.parse(`${toLocal}Z`) + ZONE_SLACK_MS;
      if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) return [];
      const rows: ItemRow[] = [];
      for (let day = Math.floor(fromMs / DAY_MS) * DAY_MS; day <= toMs; day += DAY_MS) {
        const prefix = recordingDayPrefix(o.prefix, camera, new Date(day).toISOString().slice(0, 10));
        for await (const obj of o.backend.list(prefix, o.signal)) {
          const entry = parseRecordingKey(obj.key);
          if (!entry || entry.startMs < fromMs || entry.startMs > toMs) continue;
          const text = await o.backend.getText(itemDocKey(o.prefix, entry.item), o.signal);
          const doc = text === undefined ? undefined : parseItemDoc(text, entry.item);
          if (!doc?.facts) continue;
          // Checked facts (a bucket is never trusted), as a catalogue row would hold them.
          rows.push({ ...rowOf(doc), state: 'stored', deleted: 0 } as unknown as ItemRow);
        }
      }
      return rows.sort((a, b) => (a.sort_time < b.sort_time ? -1 : a.sort_time > b.sort_time ? 1 : 0));
    },
    monitorOf: (camera) => camera,
    open: (rows, signal): Promise<OpenedFiles> =>
      openEach(rows, signal, async (row) => {
        const got = await download(
          o.backend,
          originalKey(o.prefix, row.id),
          o.scratchDir,
          signal,
          () => undefined,
        );
        if (!got) throw new Error('its original is not in the bucket');
        if (got.sha256 !== row.id) {
          await rm(got.path, { force: true });
          throw new Error(`the bucket's copy hashes to ${got.sha256.slice(0, 12)}…, not its name`);
        }
        return { path: got.path, copy: true };
      }),
  };
}

/**
 * An export job over the bucket of `uplink.target`: the result into `--library` when given,
 * else into a scratch library removed after (then `--out` is required: it is the only copy).
 */
export async function withBucketVideo<T>(
  ctx: Context,
  o: { library?: string | undefined; out?: string | undefined },
  fn: (t: { catalog: Catalog; drive: Drive; source: VideoSource; scratch: boolean }) => Promise<T>,
): Promise<T> {
  const t = ctx.config.uplink.target;
  if (t.kind === 'hq')
    throw new OutpostError('CONFIG_INVALID', '--from-bucket reads a bucket, and uplink.target is HQ', {
      hint: 'Give a config file whose uplink.target is the bucket (kind: s3 or azure) with --config.',
    });
  if (!o.library && !o.out)
    throw new OutpostError('USAGE', '--from-bucket without --library keeps no copy: give --out FILE');
  const { bucketTarget } = await import('../uplink/targets/bucket-targets.js');
  const target = bucketTarget(t, 60_000);
  const scratchRoot = o.library ? undefined : await mkdtemp(join(tmpdir(), 'outpost-export-'));
  try {
    const drive = scratchRoot
      ? await initDrive(scratchRoot, { label: 'export', now: ctx.clock.now() })
      : await openDrive(requireLibrary(o.library, ctx));
    const catalog = await openCatalog(drive.layout.catalog);
    try {
      const source = bucketVideoSource({
        backend: target.store,
        prefix: normalPrefix(t.prefix),
        catalog,
        scratchDir: drive.layout.tmpDir,
      });
      return await fn({ catalog, drive, source, scratch: !!scratchRoot });
    } finally {
      await catalog.close();
    }
  } finally {
    target.close();
    if (scratchRoot) await rm(scratchRoot, { recursive: true, force: true });
  }
}
