import type { Command } from 'commander';
import { nodeStreamSpawner } from '../../adapters/spawn-stream.js';
import { snapshotCameraSettings } from '../../config/snapshots.js';
import { OutpostError, toOutpostError } from '../../core/errors.js';
import { snapshotDirs } from '../../snapshots/recover.js';
import { TimelapseJobs, type TimelapseResult } from '../../snapshots/timelapse-jobs.js';
import { buildContext, withLibraryCatalog } from '../context.js';
import { emit } from '../output.js';
import { progressBar } from '../progress.js';
import { run } from '../run.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Every day from `from` to `to`, both included (calendar days). */
export function daysFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T12:00:00Z`); t <= Date.parse(`${to}T12:00:00Z`); t += 86_400_000)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

export function registerTimelapse(program: Command): void {
  program
    .command('timelapse')
    .description(
      "make an IP camera's timelapse of a day (or of each day of a range) from its snapshots on the library drive; the station makes them by itself every night",
    )
    .argument('<camera>', 'the snapshot camera')
    .requiredOption('--date <day>', 'the day, YYYY-MM-DD (in the camera’s time zone)')
    .option('--to <day>', 'the last day of a range (each day gets its own timelapse)')
    .option('--library <drive>', 'library drive')
    .option('--json', 'JSON: one record per day')
    .option('--no-progress', 'no progress bar')
    .action(
      (
        camera: string,
        o: { date: string; to?: string; library?: string; json?: boolean; progress?: boolean },
        cmd: Command,
      ) =>
        run(cmd, !!o.json, async () => {
          for (const [k, v] of [
            ['--date', o.date],
            ['--to', o.to],
          ] as const)
            if (v !== undefined && (!DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))))
              throw new OutpostError('USAGE', `${k} ${v}: not a day (YYYY-MM-DD)`);
          const days = daysFrom(o.date, o.to ?? o.date);
          if (days.length === 0) throw new OutpostError('USAGE', `--to ${o.to} is before --date ${o.date}`);
          if (days.length > 366) throw new OutpostError('USAGE', 'at most 366 days at once');
          const ctx = await buildContext(cmd.optsWithGlobals());
          const cfg = ctx.config.snapshots;
          const cam = snapshotCameraSettings(cfg, camera, cfg.timeZone ?? ctx.timeZone);
          return withLibraryCatalog(ctx, o.library, async (cat, drive) => {
            const bar = progressBar(!o.json && o.progress !== false);
            const jobs = new TimelapseJobs({
              cat,
              layout: drive.layout,
              workDir: snapshotDirs(drive.layout).work,
              clock: ctx.clock,
              log: ctx.log,
              runner: ctx.runner,
              spawner: nodeStreamSpawner,
              analyzer: ctx.analyzer,
              cameraZone: () => cam.timeZone,
              cameraInterval: () => cam.intervalS,
              settings: cfg.timelapse,
              thumbnailSize: ctx.config.ingest.thumbnailSize,
              previewSize: ctx.config.ingest.previewSize,
              lowPriority: false,
              onProgress: (p) =>
                bar.update({
                  phase: p.day,
                  filesDone: p.frame,
                  filesTotal: p.frames,
                  bytesDone: p.frame,
                  bytesTotal: p.frames,
                }),
            });
            const results: (
              TimelapseResult | { camera: string; day: string; error: { code: string; message: string } }
            )[] = [];
            let failed = 0;
            try {
              for (const day of days) {
                try {
                  results.push(await jobs.make(camera, day));
                } catch (e) {
                  const err = toOutpostError(e);
                  failed++;
                  results.push({ camera, day, error: { code: err.code, message: err.message } });
                  if (days.length === 1) throw e;
                }
              }
            } finally {
              bar.stop();
              await jobs.close();
            }
            emit(!!o.json, results, () =>
              results
                .map((r) =>
                  'error' in r
                    ? `${r.day}: not made: ${r.error.message}`
                    : `${r.day}: ${r.frames} frames (${r.durationS.toFixed(1)} s) from ${r.snapshots} snapshots, ${r.gaps.length} gaps → item ${r.id.slice(0, 12)}${r.created ? '' : ' (same video as before)'}`,
                )
                .join('\n'),
            );
            return failed ? 1 : 0;
          });
        }),
    );
}
