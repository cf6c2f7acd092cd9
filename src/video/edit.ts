/**
 * An edit of video items (docs/video.md, "Editor"): pieces kept from one clip or several (in and
 * out points, in the order given), the sound kept or dropped, a rotation flag, and a preset:
 * `original` cuts exactly and copies everything else (smart cut), `1080p` and `720p` re-encode
 * to H.264 at that height. The result is a new item; the sources are never changed, and the edit
 * list is kept in its facts so it can be opened and changed again.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OutpostError } from '../core/errors.js';
import { getItem } from '../library/catalog/items.js';
import type { Catalog } from '../library/catalog/open.js';
import type { ItemRow } from '../library/catalog/schema.js';
import type { DriveLayout } from '../library/layout.js';
import { driveSource, type OpenedFiles, type VideoSource } from './source.js';
import type { H264EncoderChoice } from './encoder.js';
import { joinPieces, type JoinResult } from './join.js';
import { placeVideo, type PlaceVideoDeps } from './place.js';
import { readTracks, type Tracks } from './tracks.js';

export const EDIT_PRESETS = ['original', '1080p', '720p'] as const;
export type EditPreset = (typeof EDIT_PRESETS)[number];

export interface EditSpec {
  pieces: { item: string; inS: number; outS: number }[];
  preset: EditPreset;
  /** false: the result has no sound. */
  audio: boolean;
  rotate: 0 | 90 | 180 | 270;
}

export interface EditDeps extends PlaceVideoDeps {
  lowPriority: boolean;
  /** A full re-encode's encoder (config `video.encoder`; default auto). */
  encoder?: H264EncoderChoice | undefined;
  /** Where the clips are read from; default: the drive the result is placed on. */
  source?: VideoSource | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: { step: number; steps: number; phase: string }) => void) | undefined;
}

export interface EditResult {
  item: ItemRow;
  created: boolean;
  join: JoinResult;
}

const HEIGHT: Record<EditPreset, number | undefined> = { original: undefined, '1080p': 1080, '720p': 720 };

interface Source {
  row: ItemRow;
  path: string;
  tracks: Tracks;
}

/** The items an edit list names: videos of this library (or HQ), each once. */
async function rowsOf(cat: Catalog, spec: EditSpec): Promise<Map<string, ItemRow>> {
  if (spec.pieces.length === 0) throw new OutpostError('INVALID_INPUT', 'an edit keeps at least one piece');
  const out = new Map<string, ItemRow>();
  for (const [i, p] of spec.pieces.entries()) {
    if (out.has(p.item)) continue;
    const row = await getItem(cat, p.item);
    if (!row || row.deleted || row.state !== 'stored')
      throw new OutpostError(
        'ITEM_NOT_FOUND',
        `piece ${i + 1}: no video ${p.item.slice(0, 12)} on this drive`,
      );
    if (row.type !== 'video')
      throw new OutpostError(
        'INVALID_INPUT',
        `piece ${i + 1}: ${row.original_name} is a ${row.type}, not a video`,
      );
    out.set(p.item, row);
  }
  return out;
}

/** Check an edit list against its opened files: pieces inside them. */
async function sourcesOf(
  rows: Map<string, ItemRow>,
  files: OpenedFiles,
  spec: EditSpec,
): Promise<Map<string, Source>> {
  const out = new Map<string, Source>();
  for (const [i, p] of spec.pieces.entries()) {
    let s = out.get(p.item);
    if (!s) {
      const row = rows.get(p.item)!;
      const got = files.pathOf(row.id);
      const unreadable = (why: string): OutpostError =>
        new OutpostError('VIDEO_UNREADABLE', `${row.original_name}: ${why}`);
      if ('problem' in got) throw unreadable(got.problem);
      const tracks = await readTracks(got.path).catch((e: unknown) => {
        throw unreadable(e instanceof Error ? e.message : String(e));
      });
      s = { row, path: got.path, tracks };
      out.set(p.item, s);
    }
    if (!(p.inS >= 0 && p.outS > p.inS && p.inS < s.tracks.videoS))
      throw new OutpostError(
        'INVALID_INPUT',
        `piece ${i + 1}: ${p.inS.toFixed(2)}–${p.outS.toFixed(2)} s is not inside ${s.row.original_name} (0–${s.tracks.videoS.toFixed(2)} s)`,
      );
  }
  return out;
}

export async function makeEdit(
  cat: Catalog,
  layout: DriveLayout,
  spec: EditSpec,
  d: EditDeps,
): Promise<EditResult> {
  const source = d.source ?? driveSource(cat, layout.root);
  const rows = await rowsOf(source.catalog, spec);
  const files = await source.open([...rows.values()], d.signal);
  try {
    return await editOpened(cat, layout, spec, d, await sourcesOf(rows, files, spec));
  } finally {
    await files.release();
  }
}

async function editOpened(
  cat: Catalog,
  layout: DriveLayout,
  spec: EditSpec,
  d: EditDeps,
  sources: Map<string, Source>,
): Promise<EditResult> {
  const first = sources.get(spec.pieces[0]!.item)!;
  if (spec.preset === 'original')
    for (const s of sources.values()) {
      const t = s.tracks;
      if (
        t.codec !== first.tracks.codec ||
        t.width !== first.tracks.width ||
        t.height !== first.tracks.height
      )
        throw new OutpostError(
          'VIDEO_MISMATCH',
          `${s.row.original_name} is ${t.codec} ${t.width}×${t.height}, ${first.row.original_name} ${first.tracks.codec} ${first.tracks.width}×${first.tracks.height}: they cannot be joined without re-encoding`,
          { hint: 'Choose the 1080p or 720p preset: everything is re-encoded to the same size.' },
        );
    }
  const out = join(layout.tmpDir, `edit-${process.pid}-${Date.now()}.mp4`);
  const height = HEIGHT[spec.preset];
  const result = await joinPieces(
    {
      pieces: spec.pieces.map((p) => {
        const s = sources.get(p.item)!;
        return {
          path: s.path,
          inS: p.inS,
          outS: Math.min(p.outS, s.tracks.videoS),
          videoS: s.tracks.videoS,
          audioS: s.tracks.audioS,
        };
      }),
      mode: 'smart',
      ...(height ? { reencode: { height, reason: `the ${spec.preset} preset` } } : {}),
      audio: spec.audio,
      rotate: spec.rotate,
      chapters: (cuts) => {
        let t = 0;
        return cuts.map((c, i) => {
          const s = sources.get(spec.pieces[i]!.item)!;
          const ch = {
            title: `${s.row.original_name} ${c.inS.toFixed(1)}–${c.outS.toFixed(1)} s`,
            startS: t,
            endS: t + c.outS - c.inS,
          };
          t = ch.endS;
          return ch;
        });
      },
      out,
    },
    {
      runner: d.runner,
      tmpDir: layout.tmpDir,
      lowPriority: d.lowPriority,
      encoder: d.encoder,
      signal: d.signal,
      onProgress: d.onProgress,
    },
  );
  try {
    const firstCapture = first.row.captured_at ? Date.parse(first.row.captured_at) : NaN;
    const startMs =
      (Number.isFinite(firstCapture) ? firstCapture : d.clock.now().getTime()) + spec.pieces[0]!.inS * 1000;
    const placed = await placeVideo(cat, layout, out, {
      monitor: first.row.monitor,
      startMs,
      card: `edit:${first.row.monitor}`,
      stem: `${first.row.monitor}-edit`,
      key: 'edit',
      facts: {
        pieces: spec.pieces,
        preset: spec.preset,
        audio: spec.audio,
        rotate: spec.rotate,
        sources: [...sources.keys()],
        mode: result.mode,
        ...(result.reason ? { reason: result.reason } : {}),
        reencodedPerCut: result.reencodedPerCut,
      },
      deps: d,
    });
    return { ...placed, join: result };
  } finally {
    await rm(out, { force: true });
  }
}

/** `00:01:12.4-00:02:03`, `72.4-123`, `1:12.4-2:03` → seconds (a script's `--cut`). */
export function parseCut(v: string): { inS: number; outS: number } {
  const m = /^([\d:.]+)-([\d:.]+)$/.exec(v.trim());
  const secs = (t: string): number => {
    const parts = t.split(':').map(Number);
    if (parts.length > 3 || parts.some((n) => !Number.isFinite(n) || n < 0)) return NaN;
    return parts.reduce((acc, n) => acc * 60 + n, 0);
  };
  const inS = m ? secs(m[1]!) : NaN;
  const outS = m ? secs(m[2]!) : NaN;
  if (!(outS > inS))
    throw new OutpostError(
      'USAGE',
      `--cut ${v}: give a piece as START-END, e.g. 00:01:12.4-00:02:03 (END after START)`,
    );
  return { inS, outS };
}
