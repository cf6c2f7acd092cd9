import type { Command } from 'commander';
import { OutpostError } from '../../core/errors.js';
import { validateMonitor } from '../../core/naming.js';
import { cardRecord, findCard, listCards } from '../../library/catalog/cards.js';
import { assignCardToMonitor } from '../../library/assign-card.js';
import { buildContext, withLibraryCatalog } from '../context.js';
import { emit, table } from '../output.js';
import { run } from '../run.js';

export function registerCards(program: Command): void {
  const cards = program
    .command('cards')
    .description('cards seen by this library and the monitors they belong to');
  cards
    .command('list')
    .description('list known cards')
    .option('--library <drive>', 'library drive')
    .option('--json', 'JSON output')
    .action((o: { library?: string; json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const rows = await withLibraryCatalog(ctx, o.library, (c) => listCards(c));
        emit(!!o.json, rows.map(cardRecord), () =>
          rows.length === 0
            ? 'no cards seen yet'
            : table([
                ['CARD', 'LABEL', 'MONITOR', 'ITEMS', 'LAST SEEN'],
                ...rows.map((r) => [
                  r.id,
                  r.label ?? '',
                  r.monitor ?? '(unassigned)',
                  String(r.items),
                  r.last_seen,
                ]),
              ]),
        );
      }),
    );
  cards
    .command('assign')
    .description(
      'assign a card to a monitor: its future ingests go to library/<monitor>/, and its items already there move too',
    )
    .argument('<card>', 'card id, unique id prefix, or label')
    .argument('<monitor>', 'monitor name (person or camera)')
    .option('--library <drive>', 'library drive')
    .option('--json', 'JSON output')
    .action((cardRef: string, monitorName: string, o: { library?: string; json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const monitor = validateMonitor(monitorName);
        const done = await withLibraryCatalog(ctx, o.library, async (cat, drive) => {
          const found = await findCard(cat, cardRef);
          if (found.length === 0)
            throw new OutpostError('CARD_NOT_FOUND', `no card "${cardRef}" in this library`, {
              hint: 'See `outpost cards list` for known cards; a card is known after its first ingest.',
            });
          if (found.length > 1)
            throw new OutpostError(
              'AMBIGUOUS_ID',
              `"${cardRef}" matches ${found.length} cards: ${found.map((f) => f.id).join(', ')}`,
            );
          return assignCardToMonitor(
            cat,
            drive.layout.root,
            found[0]!.id,
            monitor,
            ctx.node,
            ctx.clock.now().getTime(),
          );
        });
        emit(!!o.json, done, () =>
          [
            `card ${done.card} → monitor ${monitor}: ${done.moved} item(s) moved to library/${monitor}/`,
            ...done.failed.map((f) => `  not moved: ${f.id.slice(0, 16)}: ${f.message}`),
            ...(done.failed.length
              ? ['  (they stay where they were; run the assignment again to retry)']
              : []),
          ].join('\n'),
        );
        if (done.failed.length) process.exitCode = 3;
      }),
    );
}
