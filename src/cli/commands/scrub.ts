import type { Command } from 'commander';
import { ERROR_CATALOGUE, OutpostError } from '../../core/errors.js';
import { bytesPerSecondOf } from '../../drives/scrub-plan.js';
import { runScrub } from '../../drives/scrub.js';
import type { ScrubProgress, ScrubSummary } from '../../drives/scrub-types.js';
import { openDrive } from '../../library/drive.js';
import { buildContext } from '../context.js';
import { emit, formatBytes } from '../output.js';
import { progressBar } from '../progress.js';
import { interruptible } from '../interrupt.js';
import { run } from '../run.js';

/** The shared progress bar, fed the scrub's bytes (items as the file count). */
function scrubProgressBar(enabled: boolean): { update(p: ScrubProgress): void; stop(): void } {
  const bar = progressBar(enabled);
  return {
    update: (p) =>
      bar.update({
        phase: 'scrub',
        filesDone: p.itemsDone,
        filesTotal: p.itemsTotal,
        bytesDone: p.bytesDone,
        bytesTotal: p.bytesTotal,
        current: p.current,
      }),
    stop: () => bar.stop(),
  };
}

interface ScrubFlags {
  partner?: string;
  repair?: boolean;
  json?: boolean;
  rate?: string;
  restart?: boolean;
  progress: boolean;
}

export function registerScrub(program: Command): void {
  program
    .command('scrub')
    .description(
      're-hash a library drive (resumable, throttled); with --repair, replace damaged files from the other drive',
    )
    .argument('<drive>', 'the library drive to check')
    .option('--partner <drive>', 'the other library drive (the good copies come from it)')
    .option('--repair', 'repair damaged files from --partner (both copies are hash-checked first)')
    .option('--rate <MB/s>', 'read at most this many MB a second (default: scrub.rateMBps; 0: no limit)')
    .option('--restart', 'start the cycle from the first item instead of where the last run stopped')
    .option('--json', 'print the summary as JSON')
    .option('--no-progress', 'no progress bar')
    .action((drivePath: string, o: ScrubFlags, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        if (o.repair && !o.partner)
          throw new OutpostError('USAGE', '--repair needs --partner <drive> (the good copies come from it)');
        const rate = o.rate === undefined ? ctx.config.scrub.rateMBps : Number(o.rate);
        if (!Number.isFinite(rate) || rate < 0)
          throw new OutpostError('USAGE', `--rate must be a number of MB/s (0: no limit), got "${o.rate}"`);
        const drive = await openDrive(drivePath);
        const partner = o.partner ? await openDrive(o.partner) : undefined;
        const bar = scrubProgressBar(o.progress && !o.json);
        const { result: s } = await interruptible(bar, (signal) =>
          runScrub(
            drive,
            partner,
            {
              repair: !!o.repair,
              bytesPerSecond: bytesPerSecondOf(rate),
              restart: !!o.restart,
              signal,
              onProgress: (p) => bar.update(p),
            },
            { clock: ctx.clock, log: ctx.log },
          ),
        );
        emit(!!o.json, s, () => humanSummary(s, drivePath));
        if (s.unrepaired.length > 0 || s.openDamage > 0) return ERROR_CATALOGUE.SCRUB_DAMAGE.exit;
        return s.aborted ? 130 : 0;
      }),
    );
}

function humanSummary(s: ScrubSummary, drive: string): string {
  const lines = [
    `${drive}: ${s.checked} files, ${formatBytes(s.bytes)} checked in ${s.seconds}s` +
      (s.aborted ? ' (interrupted: run again to continue)' : s.complete ? ' (cycle complete)' : ''),
  ];
  for (const r of s.repaired)
    lines.push(
      `  repaired [${r.code}] ${r.path} from ${r.from}${r.quarantine ? ` (damaged bytes kept in ${r.quarantine})` : ''}`,
    );
  for (const u of s.unrepaired) lines.push(`  NOT REPAIRED [${u.code}] ${u.path}: ${u.detail}; ${u.why}`);
  if (s.openDamage > 0)
    lines.push(
      `${s.openDamage} damaged file(s) remain.`,
      `  what to do: ${ERROR_CATALOGUE.SCRUB_DAMAGE.hint}`,
    );
  else if (!s.bad.length) lines.push('no damage found');
  return lines.join('\n');
}
