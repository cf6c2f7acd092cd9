import type { Command } from 'commander';
import { openDrive } from '../../library/drive.js';
import { rebuildCatalog } from '../../library/rebuild.js';
import { buildContext, requireLibrary } from '../context.js';
import { emit, warningHints } from '../output.js';
import { run } from '../run.js';

export function registerRebuild(program: Command): void {
  program
    .command('rebuild')
    .description('rebuild the catalogue from the files on the drive (the old one is kept as a backup)')
    .option('--library <drive>', 'library drive')
    .option('--json', 'JSON summary')
    .action((o: { library?: string; json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const drive = await openDrive(requireLibrary(o.library, ctx));
        const s = await rebuildCatalog(
          drive,
          { analyzer: ctx.analyzer, clock: ctx.clock, log: ctx.log },
          {
            timeZone: ctx.timeZone,
            node: ctx.node,
            thumbSize: ctx.config.ingest.thumbnailSize,
            previewSize: ctx.config.ingest.previewSize,
            onProgress: (n) => {
              if (!o.json && process.stderr.isTTY) process.stderr.write(`\rrebuilding: ${n} items`);
            },
          },
        );
        if (!o.json && process.stderr.isTTY) process.stderr.write('\n');
        emit(!!o.json, s, () =>
          [
            `rebuilt catalogue: ${s.items} items, ${s.companions} companion files in ${s.seconds}s`,
            `carried over from the old catalogue: ${s.carriedOver.ops} ops, ${s.carriedOver.cards} cards, ${s.carriedOver.imports} ledger rows`,
            ...(s.backup ? [`old catalogue kept as ${s.backup}`] : []),
            ...s.warnings.map((w) => `  ${w.path}: [${w.code}] ${w.message}`),
            ...warningHints(s.warnings.map((w) => w.code)),
          ].join('\n'),
        );
      }),
    );
}
