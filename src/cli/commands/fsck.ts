import type { Command } from 'commander';
import { ERROR_CATALOGUE } from '../../core/errors.js';
import { fsckLibrary } from '../../library/fsck.js';
import { buildContext, withLibraryCatalog } from '../context.js';
import { emit } from '../output.js';
import { run } from '../run.js';

export function registerFsck(program: Command): void {
  program
    .command('fsck')
    .description('check the catalogue against the files on the drive (exit 1 when anything is wrong)')
    .option('--library <drive>', 'library drive')
    .option('--hash', 're-hash every original (slow: reads the whole library)')
    .option('--json', 'JSON report')
    .action((o: { library?: string; hash?: boolean; json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        return withLibraryCatalog(ctx, o.library, async (cat, drive) => {
          const report = await fsckLibrary(cat, drive.layout, { hash: !!o.hash });
          emit(!!o.json, { ok: report.problems.length === 0, ...report }, () => {
            const head = `${report.items} items checked${o.hash ? `, ${report.checkedHashes} hashes verified` : ''}`;
            if (!report.problems.length) return `${head}: library is consistent`;
            return [
              `${head}: ${report.problems.length} problem(s)`,
              ...report.problems.map((p) => `  [${p.code}] ${p.path}: ${p.message}\n      fix: ${p.fix}`),
            ].join('\n');
          });
          return report.problems.length ? ERROR_CATALOGUE.FSCK_PROBLEMS.exit : 0;
        });
      }),
    );
}
