import type { Command } from 'commander';
import { listItems } from '../../library/catalog/items.js';
import type { ItemRow } from '../../library/catalog/schema.js';
import { emit, table } from '../output.js';
import { run } from '../run.js';
import { buildContext, withLibraryCatalog } from '../context.js';

/** The public record of an item (`ls --json`, and later the API). */
export function itemRecord(r: ItemRow): Record<string, unknown> {
  return {
    id: r.id,
    path: r.path,
    type: r.type,
    size: r.size,
    capturedAt: r.captured_at,
    capturedFrom: r.captured_source,
    monitor: r.monitor,
    originalName: r.original_name,
    camera: [r.make, r.model].filter(Boolean).join(' ') || null,
    width: r.width,
    height: r.height,
    durationS: r.duration_s,
    gps: r.lat !== null && r.lon !== null ? { lat: r.lat, lon: r.lon, alt: r.alt } : null,
    phash: r.phash,
    derivatives: {
      thumb: !!r.has_thumb,
      preview: !!r.has_preview,
      poster: !!r.has_poster,
      video: !!r.has_video,
    },
    importedAt: r.imported_at,
    warnings: JSON.parse(r.warnings) as unknown[],
  };
}

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('list the items in a library')
    .option('--library <drive>', 'library drive')
    .option('--monitor <name>', 'only this monitor')
    .option('--type <type>', 'photo, video or audio')
    .option('--json', 'JSON array of item records')
    .action((o: { library?: string; monitor?: string; type?: string; json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        return withLibraryCatalog(ctx, o.library, async (cat) => {
          const rows = await listItems(cat, { monitor: o.monitor, type: o.type });
          emit(
            !!o.json,
            rows.map(itemRecord),
            () =>
              table([
                ['ID', 'TYPE', 'CAPTURED', 'MONITOR', 'PATH', 'WARN'],
                ...rows.map((r) => [
                  r.id.slice(0, 12),
                  r.type,
                  r.captured_at ?? `(${r.sort_time})`,
                  r.monitor,
                  r.path,
                  String((JSON.parse(r.warnings) as unknown[]).length || ''),
                ]),
              ]) + `\n${rows.length} items`,
          );
        });
      }),
    );
}
