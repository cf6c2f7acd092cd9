import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { derivedKey, itemDocKey, originalKey, parseItemDoc, type ItemDoc } from '../core/bucket-layout.js';
import { isOutpostError } from '../core/errors.js';
import type { Op } from '../core/ops.js';
import { rewriteSidecars } from '../library/attributes.js';
import { getItem, markStored, setDerived, setDerivedFlags } from '../library/catalog/items.js';
import { mergeOps } from '../library/catalog/ops.js';
import type { Catalog } from '../library/catalog/open.js';
import type { NewItem } from '../library/catalog/schema.js';
import { Intake } from '../library/intake/index.js';
import { itemFactsSchema } from '../library/item-facts-schema.js';
import { ITEM_FACT_COLUMNS } from '../library/item-facts.js';
import { derivedRelPath, type DriveLayout } from '../library/layout.js';
import type { BucketBackend } from './targets/bucket-backend.js';

export interface PullProgress {
  done: number;
  of: number;
  bytes: number;
  /** The originals' bytes in the bucket (what a pull into an empty library downloads, about). */
  bytesTotal: number;
  item?: string;
}

export interface PullSummary {
  /** Item documents found in the bucket. */
  items: number;
  /** Items taken into the library now (original, thumbnail and preview). */
  pulled: number;
  /** Items the library held already (only their attributes were merged). */
  present: number;
  bytes: number;
  /** Attribute values that changed the library (ratings, events, tags…). */
  attributes: number;
  failed: { item: string; code: string; message: string }[];
}

export interface PullOptions {
  backend: BucketBackend;
  prefix: string;
  cat: Catalog;
  layout: DriveLayout;
  /** This node's name (the clock that merges the attributes). */
  node: string;
  now?: () => number;
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
}

const ITEM_DOC = /items\/[0-9a-f]{2}\/([0-9a-f]{64})\.json$/;

/** Download `key` into a new file in `dir`, hashing: its path and SHA-256; undefined if absent. */
export async function download(
  backend: BucketBackend,
  key: string,
  dir: string,
  signal: AbortSignal | undefined,
  onBytes: (n: number) => void,
): Promise<{ path: string; sha256: string } | undefined> {
  const body = await backend.getStream(key, signal);
  if (!body) return undefined;
  const path = join(dir, `pull-${randomBytes(8).toString('hex')}.part`);
  const h = createHash('sha256');
  try {
    await pipeline(
      body,
      new Transform({
        transform(chunk: Buffer, _e, done) {
          h.update(chunk);
          onBytes(chunk.length);
          done(null, chunk);
        },
      }),
      createWriteStream(path, { flags: 'wx' }),
      ...(signal ? [{ signal }] : []),
    );
  } catch (e) {
    await rm(path, { force: true });
    throw e;
  }
  return { path, sha256: h.digest('hex') };
}

/** A catalogue row from a bucket's facts (checked first: a bucket's bytes are never trusted). */
export function rowOf(doc: ItemDoc): NewItem {
  const f = itemFactsSchema.parse(doc.facts);
  if (f.id !== doc.id) throw new Error(`the facts name item ${f.id}`);
  const row: Record<string, unknown> = {};
  for (const c of ITEM_FACT_COLUMNS) row[c] = f[c];
  return { ...(row as NewItem), path: f.path, state: 'pending' };
}

/**
 * `outpost pull`: rebuild a library from a bucket a station uploaded to (core/bucket-layout.ts):
 * every item's original (checked against its content address), thumbnail and preview go in
 * through the library intake, and its attributes merge as ops (the newest stamp wins, sidecars
 * follow). Items the library holds already only merge attributes; running it again resumes.
 */
export async function pullBucket(o: PullOptions): Promise<PullSummary> {
  const now = o.now ?? Date.now;
  const summary: PullSummary = { items: 0, pulled: 0, present: 0, bytes: 0, attributes: 0, failed: [] };
  const ids: string[] = [];
  for await (const obj of o.backend.list(`${o.prefix}items/`, o.signal)) {
    const m = ITEM_DOC.exec(obj.key);
    if (m) ids.push(m[1]!);
  }
  summary.items = ids.length;
  let bytesTotal = 0;
  for await (const obj of o.backend.list(`${o.prefix}objects/`, o.signal)) bytesTotal += obj.size;
  const intake = new Intake({ cat: o.cat, layout: o.layout });
  const changed: string[] = [];
  for (const [i, id] of ids.entries()) {
    if (o.signal?.aborted) break;
    o.onProgress?.({ done: i, of: ids.length, bytes: summary.bytes, bytesTotal, item: id });
    try {
      const text = await o.backend.getText(itemDocKey(o.prefix, id), o.signal);
      const doc = text === undefined ? undefined : parseItemDoc(text, id);
      if (!doc?.facts)
        throw Object.assign(new Error('no facts in its item document'), { code: 'BAD_ITEM_DOC' });
      const held = await getItem(o.cat, id);
      if (held && held.state !== 'pending') summary.present++;
      else {
        await pullItem(o, intake, doc, (n) => (summary.bytes += n));
        summary.pulled++;
      }
      const ops: Op[] = Object.entries(doc.attributes).map(([field, a]) => ({
        entity: 'item',
        id,
        field,
        value: a.value,
        hlc: a.hlc,
        origin: a.origin,
      }));
      if (ops.length) {
        // The bucket holds a library's own history (as a drive does for rebuild): fields and values
        // are checked, not the clock they were made under.
        const r = await mergeOps(o.cat, ops, {
          node: o.node,
          nowMs: now(),
          maxAheadMs: Infinity,
          mayMove: () => true,
        });
        summary.attributes += r.applied;
        changed.push(...r.attributesChanged);
      }
    } catch (e) {
      if (o.signal?.aborted) break;
      const code = isOutpostError(e) ? e.code : ((e as { code?: string }).code ?? 'PULL_FAILED');
      summary.failed.push({ item: id, code, message: e instanceof Error ? e.message : String(e) });
    }
  }
  if (changed.length) await rewriteSidecars(o.cat, o.layout.root, [...new Set(changed)]);
  o.onProgress?.({ done: ids.length, of: ids.length, bytes: summary.bytes, bytesTotal });
  return summary;
}

async function pullItem(
  o: PullOptions,
  intake: Intake,
  doc: ItemDoc,
  onBytes: (n: number) => void,
): Promise<void> {
  const row = rowOf(doc);
  const got = await download(o.backend, originalKey(o.prefix, doc.id), o.layout.tmpDir, o.signal, onBytes);
  if (!got) throw Object.assign(new Error('its original is not in the bucket'), { code: 'OBJECT_MISSING' });
  const leftovers = [got.path];
  try {
    if (got.sha256 !== doc.id)
      throw Object.assign(new Error(`the bucket's original hashes to ${got.sha256}, not its name`), {
        code: 'CONTENT_MISMATCH',
      });
    const staged = await intake.stageOnDrive(got.path);
    const made = { thumb: false, preview: false, poster: false };
    await intake.admit(staged, {
      row,
      whilePending: async (item) => {
        for (const r of ['thumb', 'preview'] as const) {
          const d = await download(
            o.backend,
            derivedKey(o.prefix, doc.id, r),
            o.layout.tmpDir,
            o.signal,
            onBytes,
          );
          if (!d) continue;
          leftovers.push(d.path);
          await item.place(await intake.stageOnDrive(d.path), join(o.layout.root, derivedRelPath(doc.id, r)));
          made[r] = true;
        }
      },
      commit: async () => {
        await markStored(o.cat, doc.id);
        // A video's poster frame is not in the bucket (its preview is): the station's derive
        // pass makes it (derived_at stays empty until then).
        if (row.type === 'video') await setDerivedFlags(o.cat, doc.id, made);
        else await setDerived(o.cat, doc.id, { ...made, warnings: [], at: new Date().toISOString() });
      },
    });
  } finally {
    await Promise.all(leftovers.map((p) => rm(p, { force: true })));
  }
}
