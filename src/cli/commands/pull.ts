import type { Command } from 'commander';
import { OutpostError } from '../../core/errors.js';
import { normalPrefix } from '../../core/bucket-layout.js';
import { openCatalog } from '../../library/catalog/open.js';
import { openDrive } from '../../library/drive.js';
import { buildContext, requireLibrary } from '../context.js';
import { emit, formatBytes } from '../output.js';
import { progressBar } from '../progress.js';
import { run } from '../run.js';

export function registerPull(program: Command): void {
  program
    .command('pull')
    .description(
      'rebuild a library from the bucket in uplink.target (S3 or Azure): originals, thumbnails, previews and attributes',
    )
    .option(
      '--library <drive>',
      'library drive to fill (an initialised drive; `outpost init-drive` makes one)',
    )
    .option('--json', 'JSON summary at the end')
    .option('--no-progress', 'no progress bar')
    .action((o: { library?: string; json?: boolean; progress?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const t = ctx.config.uplink.target;
        if (t.kind === 'hq')
          throw new OutpostError('CONFIG_INVALID', '`outpost pull` reads a bucket, and uplink.target is HQ', {
            hint: 'Give a config file whose uplink.target is the bucket (kind: s3 or azure) with --config.',
          });
        const drive = await openDrive(requireLibrary(o.library, ctx));
        const catalog = await openCatalog(drive.layout.catalog);
        const { bucketTarget } = await import('../../uplink/targets/bucket-targets.js');
        const { pullBucket } = await import('../../uplink/pull.js');
        const target = bucketTarget(t, 60_000);
        const abort = new AbortController();
        const stop = (): void => abort.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const bar = progressBar(!o.json && o.progress !== false);
        try {
          const s = await pullBucket({
            backend: target.store,
            prefix: normalPrefix(t.prefix),
            cat: catalog,
            layout: drive.layout,
            node: ctx.node,
            signal: abort.signal,
            onProgress: (p) =>
              bar.update({
                phase: 'pull',
                filesDone: p.done,
                filesTotal: p.of,
                bytesDone: p.bytes,
                bytesTotal: p.bytesTotal,
                current: p.item?.slice(0, 12),
              }),
          });
          bar.stop();
          emit(!!o.json, { ...s, interrupted: abort.signal.aborted }, () =>
            [
              `${s.pulled} item(s) pulled (${formatBytes(s.bytes)}), ${s.present} already here, ${s.attributes} attribute value(s) merged, of ${s.items} in ${target.name}`,
              ...s.failed.slice(0, 20).map((f) => `  ${f.item.slice(0, 12)}… ${f.code}: ${f.message}`),
              ...(s.failed.length
                ? [`${s.failed.length} item(s) not pulled: run it again to retry them`]
                : []),
            ].join('\n'),
          );
          if (s.failed.length) process.exitCode = 3;
        } finally {
          bar.stop();
          target.close();
          await catalog.close();
        }
      }),
    );
}
