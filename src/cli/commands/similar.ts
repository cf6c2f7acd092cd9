import type { Command } from 'commander';
import { OutpostError } from '../../core/errors.js';
import { resolveItemId } from '../../library/catalog/items.js';
import { similarItems } from '../../library/catalog/similar.js';
import { buildContext, withLibraryCatalog } from '../context.js';
import { emit, table } from '../output.js';
import { run } from '../run.js';

export function registerSimilar(program: Command): void {
  program
    .command('similar')
    .description('list near-duplicates of an item (resized or re-encoded copies) by perceptual hash')
    .argument('<item-id>', 'item id or a unique prefix (≥ 6 hex)')
    .option('--library <drive>', 'library drive')
    .option('--max-distance <bits>', 'largest Hamming distance of the 64-bit hashes', '10')
    .option('--json', 'JSON output')
    .action((ref: string, o: { library?: string; maxDistance: string; json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const max = Number(o.maxDistance);
        if (!Number.isInteger(max) || max < 0 || max > 64)
          throw new OutpostError('USAGE', '--max-distance must be an integer from 0 to 64');
        return withLibraryCatalog(ctx, o.library, async (cat) => {
          const item = await resolveItemId(cat, ref);
          if (!item.phash)
            throw new OutpostError('ITEM_NOT_FOUND', `item ${item.id.slice(0, 12)} has no perceptual hash`, {
              hint: 'Only decodable photos and video posters have one.',
            });
          const hits = await similarItems(cat, item.id, item.phash, max);
          emit(!!o.json, { id: item.id, similar: hits }, () =>
            hits.length === 0
              ? 'no similar items'
              : table([
                  ['DIST', 'ID', 'PATH'],
                  ...hits.map((h) => [String(h.distance), h.id.slice(0, 12), h.path]),
                ]),
          );
        });
      }),
    );
}
