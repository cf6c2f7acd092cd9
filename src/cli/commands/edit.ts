import type { Command } from 'commander';
import { OutpostError } from '../../core/errors.js';
import { resolveItemId } from '../../library/catalog/items.js';
import { libraryFile } from '../../library/layout.js';
import { EDIT_PRESETS, makeEdit, parseCut, type EditPreset } from '../../video/edit.js';
import { readTracks } from '../../video/tracks.js';
import { buildContext, withLibraryCatalog } from '../context.js';
import { emit } from '../output.js';
import { cliVideoJob } from '../video-job.js';
import { run } from '../run.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function registerEdit(program: Command): void {
  program
    .command('edit')
    .description(
      'a new video from pieces of a video item (and whole other clips after it): exact cuts with everything else copied, or re-encoded to a preset; the originals are never changed',
    )
    .argument('<item>', 'the video (id or its first characters)')
    .option('--cut <start-end>', 'a piece to keep, e.g. 00:01:12.4-00:02:03 (repeat, in order)', collect, [])
    .option('--join <item>', 'a whole clip to add after the pieces (repeat)', collect, [])
    .option('--preset <name>', `original (exact, lossless between cuts), 1080p or 720p`, 'original')
    .option('--no-audio', 'drop the sound')
    .option('--rotate <degrees>', 'turn the picture on playback: 90, 180 or 270 (a flag: lossless)', '0')
    .option('--library <drive>', 'library drive')
    .option('--json', 'JSON output')
    .option('--no-progress', 'no progress bar')
    .action(
      (
        ref: string,
        o: {
          cut: string[];
          join: string[];
          preset: string;
          audio: boolean;
          rotate: string;
          library?: string;
          json?: boolean;
          progress?: boolean;
        },
        cmd: Command,
      ) =>
        run(cmd, !!o.json, async () => {
          if (!(EDIT_PRESETS as readonly string[]).includes(o.preset))
            throw new OutpostError('USAGE', `--preset ${o.preset}: one of ${EDIT_PRESETS.join(', ')}`);
          const rotate = Number(o.rotate);
          if (![0, 90, 180, 270].includes(rotate))
            throw new OutpostError('USAGE', `--rotate ${o.rotate}: 0, 90, 180 or 270`);
          const cuts = o.cut.map(parseCut);
          const ctx = await buildContext(cmd.optsWithGlobals());
          return withLibraryCatalog(ctx, o.library, async (cat, drive) => {
            const main = await resolveItemId(cat, ref);
            const whole = async (id: string): Promise<{ item: string; inS: number; outS: number }> => {
              const row = await resolveItemId(cat, id);
              const t = await readTracks(libraryFile(drive.layout.root, row.path)).catch(() => ({
                videoS: 0,
              }));
              return { item: row.id, inS: 0, outS: t.videoS };
            };
            const pieces = [
              ...(cuts.length ? cuts.map((c) => ({ item: main.id, ...c })) : [await whole(main.id)]),
              ...(await Promise.all(o.join.map(whole))),
            ];
            const job = cliVideoJob(ctx, !o.json && o.progress !== false, !!o.json && o.progress !== false);
            try {
              const r = await makeEdit(
                cat,
                drive.layout,
                {
                  pieces,
                  preset: o.preset as EditPreset,
                  audio: o.audio,
                  rotate: rotate as 0 | 90 | 180 | 270,
                },
                job.deps,
              );
              job.done();
              const j = r.join;
              const record = {
                id: r.item.id,
                path: r.item.path,
                file: libraryFile(drive.layout.root, r.item.path),
                created: r.created,
                pieces,
                preset: o.preset,
                audio: o.audio,
                rotate,
                mode: j.mode,
                ...(j.reason ? { reason: j.reason } : {}),
                ...(j.encoder ? { encoder: j.encoder } : {}),
                ...(j.encoderNote ? { encoderNote: j.encoderNote } : {}),
                durationS: j.durationS,
                frames: j.frames,
                audioDurationS: j.audioDurationS,
                reencodedPerCut: j.reencodedPerCut,
                gopFrames: j.gopFrames,
                bytes: j.bytes,
              };
              emit(!!o.json, record, () =>
                [
                  `${pieces.length} piece${pieces.length === 1 ? '' : 's'} → ${j.durationS.toFixed(2)} s, item ${r.item.id.slice(0, 12)}${r.created ? '' : ' (made before)'}`,
                  j.mode === 'smart'
                    ? `  exact cuts: ${j.reencodedPerCut.reduce((a, b) => a + b, 0)} frames re-encoded, the rest copied`
                    : `  re-encoded with ${j.encoder ?? 'libx264'}: ${j.reason ?? ''}${j.encoderNote ? ` (${j.encoderNote})` : ''}`,
                  `  ${record.file}`,
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
