import type { Command } from 'commander';
import { initDrive } from '../../library/drive.js';
import { buildContext } from '../context.js';
import { emit } from '../output.js';
import { run } from '../run.js';

export function registerInitDrive(program: Command): void {
  program
    .command('init-drive')
    .description('make a directory (usually a mounted drive) an Outpost library drive')
    .argument('<dir>', 'directory to initialise')
    .option('--label <label>', 'human label for the drive', 'outpost')
    .option('--json', 'print the drive marker as JSON')
    .action((dir: string, o: { label: string; json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const drive = await initDrive(dir, { label: o.label, now: ctx.clock.now() });
        emit(
          !!o.json,
          drive.marker,
          () => `library drive "${drive.marker.label}" (${drive.marker.id}) ready at ${dir}`,
        );
      }),
    );
}
