import type { Command } from 'commander';
import { OutpostError } from '../../core/errors.js';
import { controlRequest, controlSocketPath } from '../../station/control-socket.js';
import type { EjectResult } from '../../station/station.js';
import { buildContext } from '../context.js';
import { emit } from '../output.js';
import { run } from '../run.js';

export function registerEject(program: Command): void {
  program
    .command('eject')
    .argument('[target]', 'A (the library drive, default), B (the mirror drive) or card')
    .description(
      'ask the running station to flush and unmount a drive or the card, so it can be removed ' +
        '(cards and drive B are unmounted by themselves after ingest and mirror)',
    )
    .option('--json', 'JSON output')
    .action((target: string | undefined, o: { json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const t = (target ?? 'A').toLowerCase();
        const slot = t === 'a' ? 'A' : t === 'b' ? 'B' : t === 'card' ? 'card' : undefined;
        if (!slot)
          throw new OutpostError('USAGE', `unknown target "${target}"`, {
            hint: 'Use `outpost eject A`, `B` or `card`.',
          });
        const ctx = await buildContext(cmd.optsWithGlobals());
        const r = (await controlRequest(controlSocketPath(ctx.config.station), {
          op: 'eject',
          target: slot,
        })) as EjectResult;
        emit(!!o.json, r, () => `${r.message} (${r.device}, was at ${r.mountPoint})`);
      }),
    );
}
