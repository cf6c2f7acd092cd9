import type { Command } from 'commander';
import { mirrorDrives } from '../../drives/mirror.js';
import type { MirrorSummary } from '../../drives/mirror-types.js';
import { openDrive } from '../../library/drive.js';
import { buildContext } from '../context.js';
import { emit, formatBytes, warningHints } from '../output.js';
import { progressBar } from '../progress.js';
import { interruptible } from '../interrupt.js';
import { run } from '../run.js';

export function registerMirror(program: Command): void {
  program
    .command('mirror')
    .description('make two library drives identical: copy what each lacks, merge their catalogues')
    .argument('<driveA>', 'a library drive')
    .argument('<driveB>', 'the other library drive')
    .option('--force', 'delete even when more than mirror.maxDeleteShare of a drive would go')
    .option('--json', 'print the summary as JSON')
    .option('--no-progress', 'no progress bar')
    .action(
      (
        driveA: string,
        driveB: string,
        o: { force?: boolean; json?: boolean; progress: boolean },
        cmd: Command,
      ) =>
        run(cmd, !!o.json, async () => {
          const ctx = await buildContext(cmd.optsWithGlobals());
          const [a, b] = [await openDrive(driveA), await openDrive(driveB)];
          const bar = progressBar(o.progress && !o.json);
          const { result: s } = await interruptible(bar, (signal) =>
            mirrorDrives(
              a,
              b,
              {
                node: ctx.node,
                maxDeleteShare: ctx.config.mirror.maxDeleteShare,
                minFreeBytes: ctx.config.mirror.minFreeBytes,
                force: !!o.force,
                signal,
                onProgress: (p) => bar.update(p),
              },
              { clock: ctx.clock, log: ctx.log },
            ),
          );
          emit(!!o.json, s, () => humanSummary(s, driveA, driveB));
          return s.aborted ? 130 : 0;
        }),
    );
}

function humanSummary(s: MirrorSummary, a: string, b: string): string {
  const lines = [
    `${a} → ${b}: ${s.copiedAtoB} items, ${s.opsAtoB} ops`,
    `${b} → ${a}: ${s.copiedBtoA} items, ${s.opsBtoA} ops`,
    `deleted ${s.deleted}, companions ${s.companions}, derivatives ${s.derivatives}, moved ${s.relocated}, sidecars ${s.sidecars}; ${formatBytes(s.bytes)} in ${s.seconds}s` +
      (s.full ? ' (first pass for this pair: compared everything)' : ''),
  ];
  if (s.aborted) lines.push('interrupted: run the mirror again to finish');
  else if (!s.warnings.length) lines.push('the two drives are identical: safe to remove either');
  for (const w of s.warnings) lines.push(`  ${w.item.slice(0, 12)}: [${w.code}] ${w.message}`);
  lines.push(...warningHints(s.warnings.map((w) => w.code)));
  return lines.join('\n');
}
