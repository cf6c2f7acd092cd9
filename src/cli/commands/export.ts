import { copyFile, link } from 'node:fs/promises';
import type { Command } from 'commander';
import { errnoCode } from '../../core/errors.js';
import { localFromInstant } from '../../core/capture-time.js';
import { parseTimeRange } from '../../core/time-range.js';
import { libraryFile } from '../../library/layout.js';
import { exportRange } from '../../video/export-range.js';
import { buildContext, withLibraryCatalog } from '../context.js';
import { emit } from '../output.js';
import { cliVideoJob } from '../video-job.js';
import { withHqVideo } from '../hq-video.js';
import { withBucketVideo } from '../bucket-video.js';
import type { Catalog } from '../../library/catalog/open.js';
import type { Drive } from '../../library/drive.js';
import type { VideoSource } from '../../video/source.js';
import { run } from '../run.js';

/** A copy of the export where the user asked (a hard link when on the same drive). */
async function writeOut(src: string, dest: string): Promise<void> {
  try {
    await link(src, dest);
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') throw e;
    await copyFile(src, dest);
  }
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      "a time range of a camera's recordings as one MP4 (exact cuts, stream copy between them, a chapter per recorded span and per gap), kept as an item of its own",
    )
    .requiredOption('--camera <name>', 'the camera')
    .requiredOption(
      '--from <time>',
      "start: 2026-11-21T14:02, 14:02:30.5 (today), or with an offset; a time without one is the station's",
    )
    .requiredOption('--to <time>', 'end: the same forms; a bare time is on the day of --from')
    .option('--keyframes', 'pure stream copy: start and end on keyframes (says how much wider)')
    .option('--out <file>', 'also write the video here')
    .option('--library <drive>', 'library drive')
    .option(
      '--from-bucket',
      'read the recordings from the bucket of uplink.target (S3 or Azure); without --library the video goes only to --out',
    )
    .option(
      '--hq <dir>',
      "at HQ: its data directory (recordings from its object store; the camera as station/camera); the result goes into HQ's gallery",
    )
    .option('--json', 'JSON output')
    .option('--no-progress', 'no progress bar')
    .action(
      (
        o: {
          camera: string;
          from: string;
          to: string;
          keyframes?: boolean;
          out?: string;
          library?: string;
          hq?: string;
          fromBucket?: boolean;
          json?: boolean;
          progress?: boolean;
        },
        cmd: Command,
      ) =>
        run(cmd, !!o.json, async () => {
          const ctx = await buildContext(cmd.optsWithGlobals());
          const { fromMs, toMs } = parseTimeRange(o.from, o.to, ctx.timeZone, ctx.clock.now().getTime());
          const where = <T>(
            fn: (cat: Catalog, drive: Drive, source?: VideoSource, scratch?: boolean) => Promise<T>,
          ): Promise<T> =>
            o.hq
              ? withHqVideo(ctx, o.hq, (t) => fn(t.catalog, t.drive, t.source))
              : o.fromBucket
                ? withBucketVideo(ctx, { library: o.library, out: o.out }, (t) =>
                    fn(t.catalog, t.drive, t.source, t.scratch),
                  )
                : withLibraryCatalog(ctx, o.library, (cat, drive) => fn(cat, drive));
          return where(async (cat, drive, source, scratch) => {
            const job = cliVideoJob(ctx, !o.json && o.progress !== false, !!o.json && o.progress !== false);
            try {
              const r = await exportRange(
                cat,
                drive.layout,
                { camera: o.camera, fromMs, toMs, mode: o.keyframes ? 'keyframe' : 'smart' },
                { ...job.deps, ...(source ? { source } : {}) },
              );
              job.done();
              // A scratch library (--from-bucket alone) is removed after: its file is --out.
              const made = libraryFile(drive.layout.root, r.item.path);
              if (o.out) await writeOut(made, o.out);
              const file = scratch && o.out ? o.out : made;
              const j = r.join;
              const record = {
                id: r.item.id,
                path: r.item.path,
                file,
                ...(o.out ? { out: o.out } : {}),
                created: r.created,
                camera: o.camera,
                from: new Date(fromMs).toISOString(),
                to: new Date(toMs).toISOString(),
                mode: j.mode,
                ...(j.reason ? { reason: j.reason } : {}),
                ...(j.encoder ? { encoder: j.encoder } : {}),
                ...(j.encoderNote ? { encoderNote: j.encoderNote } : {}),
                durationS: j.durationS,
                frames: j.frames,
                audioDurationS: j.audioDurationS,
                reencodedPerCut: j.reencodedPerCut,
                gopFrames: j.gopFrames,
                widened: j.widened,
                segments: r.plan.pieces.length,
                gaps: r.plan.gaps.map((g) => ({
                  from: new Date(g.fromMs).toISOString(),
                  to: new Date(g.toMs).toISOString(),
                  reason: g.reason,
                })),
                chapters: j.chapters,
                bytes: j.bytes,
              };
              const local = (ms: number): string => localFromInstant(ms, ctx.timeZone).slice(11);
              emit(!!o.json, record, () =>
                [
                  `${o.camera} ${local(fromMs)}–${local(toMs)}: ${j.durationS.toFixed(1)} s from ${r.plan.pieces.length} recordings → item ${r.item.id.slice(0, 12)}${r.created ? '' : ' (made before)'}`,
                  j.mode === 'smart'
                    ? `  exact cuts: ${j.reencodedPerCut.join(' and ') || 'no'} frames re-encoded, the rest copied`
                    : j.mode === 'keyframe'
                      ? `  stream copy on keyframes: starts ${j.widened.start.toFixed(2)} s early, ends ${j.widened.end.toFixed(2)} s late`
                      : `  re-encoded in full with ${j.encoder ?? 'libx264'}: ${j.reason ?? ''}${j.encoderNote ? ` (${j.encoderNote})` : ''}`,
                  ...r.plan.gaps.map(
                    (g) =>
                      `  ${g.reason === 'unreadable' ? 'unreadable' : 'not recorded'}: ${local(g.fromMs)}–${local(g.toMs)}`,
                  ),
                  `  ${file}${o.out && file !== o.out ? ` (and ${o.out})` : ''}`,
                ].join('\n'),
              );
              return 0;
            } finally {
              job.done();
            }
          });
        }),
    );
}
