import type { Command } from 'commander';
import { buildTimeMs } from '../../adapters/build-time.js';
import { OutpostError } from '../../core/errors.js';
import { ClockWatch } from '../../devices/clock-watch.js';
import { clockTrustedFor } from '../../station/clock.js';
import { nodeReadMountInfo } from '../../station/mount-watcher.js';
import { fingerprintCard } from '../../ingest/fingerprint.js';
import { ingestCard } from '../../ingest/ingest.js';
import type { IngestSummary } from '../../ingest/types.js';
import { openDrive } from '../../library/drive.js';
import { buildContext, requireLibrary } from '../context.js';
import { emit, formatBytes, warningHints } from '../output.js';
import { ingestProgressBar } from '../progress.js';
import { interruptible } from '../interrupt.js';
import { run } from '../run.js';

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('copy every new photo, video and audio file from a card into the library')
    .argument('<card-dir>', 'mounted card (or any folder of camera files)')
    .option('--library <drive>', 'library drive (default: `library` in the config)')
    .option(
      '--monitor <name>',
      'file the items under this monitor (default: the card’s assigned monitor); an unassigned card is assigned to it, a card assigned to another monitor is refused (see --reassign)',
    )
    .option(
      '--reassign',
      'with --monitor: reassign a card that belongs to another monitor (its items move too)',
    )
    .option('--json', 'print the summary as JSON')
    .option('--no-progress', 'no progress bar')
    .option('--trust-clock', "file under today's date even when the clock looks wrong (you checked it)")
    .action(
      (
        cardDir: string,
        o: {
          library?: string;
          monitor?: string;
          reassign?: boolean;
          json?: boolean;
          progress: boolean;
          trustClock?: boolean;
        },
        cmd: Command,
      ) =>
        run(cmd, !!o.json, async () => {
          const ctx = await buildContext(cmd.optsWithGlobals());
          const drive = await openDrive(requireLibrary(o.library, ctx));
          // The download folder is today's date: not from a clock known to be wrong (README, "The clock").
          if (!o.trustClock) {
            const watch = new ClockWatch({
              clock: ctx.clock,
              setter: ctx.clockSetter,
              buildMs: buildTimeMs(),
              stateFile: ctx.config.station.clock.stateFile,
              log: ctx.log,
            });
            try {
              await watch.start();
              if (!(await clockTrustedFor(watch, drive.layout.root, ctx.log))) {
                const s = watch.status();
                throw new OutpostError('CLOCK_SUSPECT', s.message ?? "the machine's clock looks wrong", {
                  hint: 'Set it (`sudo date -s "YYYY-MM-DD HH:MM"`, or from a tablet in the web app) and run again; or pass --trust-clock if it is right.',
                });
              }
            } finally {
              await watch.close();
            }
          }
          const card = await fingerprintCard(cardDir, {
            runner: ctx.runner,
            readMountInfo: nodeReadMountInfo,
          });
          const bar = ingestProgressBar(o.progress && !o.json);
          const { result: summary, interrupted } = await interruptible(bar, (signal) =>
            ingestCard(
              {
                cardRoot: cardDir,
                card,
                drive,
                monitor: o.monitor,
                reassign: !!o.reassign,
                settings: ctx.config.ingest,
                health: ctx.config.drives.health,
                timeZone: ctx.timeZone,
                node: ctx.node,
                signal,
                onProgress: (p) => bar.update(p),
              },
              { analyzer: ctx.analyzer, clock: ctx.clock, log: ctx.log },
            ),
          );
          emit(!!o.json, summary, () => humanSummary(summary));
          if (summary.error) {
            process.stderr.write(
              `error [${summary.error.code}]: ${summary.error.message}\n  what to do: ${summary.error.hint}\n`,
            );
            return 3;
          }
          return interrupted ? 130 : 0;
        }),
    );
}

function humanSummary(s: IngestSummary): string {
  const lines = [
    `card ${s.card.label ? `"${s.card.label}" ` : ''}${s.card.id} → monitor ${s.monitor}`,
    `copied ${s.copied} (${formatBytes(s.bytes)}), already imported ${s.skipped}, duplicates ${s.duplicates}` +
      (s.tombstoned ? `, deleted before ${s.tombstoned}` : '') +
      (s.erased ? `, erased from card ${s.erased}` : '') +
      ` in ${s.seconds}s`,
  ];
  if (s.notCopied) lines.push(`NOT copied: ${s.notCopied} files`);
  if (s.warnings.length) {
    lines.push(`${s.warnings.length} warning(s) (originals are kept):`);
    for (const w of s.warnings) lines.push(`  ${w.path}: [${w.code}] ${w.message}`);
    lines.push(...warningHints(s.warnings.map((w) => w.code)));
  }
  return lines.join('\n');
}
