import type { Command } from 'commander';
import { OutpostError } from '../../core/errors.js';
import { formatOffset, parseOffset } from '../../core/time-shift.js';
import { cardItemIds } from '../../library/catalog/item-edits.js';
import { resolveItemId } from '../../library/catalog/items.js';
import { shiftCaptureTimes } from '../../library/shift-time.js';
import { buildContext, withLibraryCatalog } from '../context.js';
import { emit } from '../output.js';
import { run } from '../run.js';

interface Opts {
  library?: string;
  card?: string;
  items?: string[];
  by: string;
  dryRun?: boolean;
  json?: boolean;
}

export function registerShiftTime(program: Command): void {
  program
    .command('shift-time')
    .description(
      "fix a wrong camera clock: move items' capture times (names and sidecars follow; undo with the opposite offset)",
    )
    .requiredOption('--by <offset>', 'how much to move them: +1h30m, -2d, 90s (allowed with a leading minus)')
    .option('--card <id>', "all of a card's items (`outpost cards list` shows the ids)")
    .option('--items <ids...>', 'items by id or unique prefix (`outpost ls`)')
    .option('--library <drive>', 'library drive')
    .option('--dry-run', 'only say what would change')
    .option('--json', 'JSON summary')
    .action((o: Opts, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const byMs = parseOffset(o.by);
        if (byMs === undefined)
          throw new OutpostError('USAGE', `"${o.by}" is not an offset`, {
            hint: 'Write the offset as days, hours, minutes, seconds: +1h30m, -2d, 90s.',
          });
        if (!o.card && !o.items?.length)
          throw new OutpostError('USAGE', 'no items given', { hint: 'Pass --card <id> or --items <id>….' });
        const ctx = await buildContext(cmd.optsWithGlobals());
        return withLibraryCatalog(ctx, o.library, async (cat, drive) => {
          const ids = [
            ...(o.card ? await cardItemIds(cat, o.card) : []),
            ...(await Promise.all(
              (o.items ?? []).map(async (ref) => (await resolveItemId(cat, ref, 'visible')).id),
            )),
          ];
          const out = await shiftCaptureTimes(cat, drive.layout.root, {
            ids,
            byMs,
            dryRun: !!o.dryRun,
            node: ctx.node,
            nowMs: ctx.clock.now().getTime(),
          });
          emit(!!o.json, { byMs, dryRun: !!o.dryRun, ...out }, () =>
            [
              `${o.dryRun ? 'would move' : 'moved'} the capture times of ${out.items} items by ${formatOffset(byMs)}` +
                (out.example ? ` (${out.example.before} → ${out.example.after})` : ''),
              `${out.moving} files ${o.dryRun ? 'would be' : ''} renamed`.replace('  ', ' '),
              ...(out.undated ? [`${out.undated} without a capture date left as they are`] : []),
              ...out.failed.map((f) => `  not moved yet ${f.id.slice(0, 12)}: ${f.message}`),
              ...(o.dryRun ? [] : [`undo: outpost shift-time --by ${formatOffset(-byMs)} (same items)`]),
            ].join('\n'),
          );
          return out.failed.length ? 1 : 0;
        });
      }),
    );
}
