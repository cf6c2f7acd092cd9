import type { Command } from 'commander';
import { ERROR_CATALOGUE, OutpostError } from '../../core/errors.js';
import { openCatalog } from '../../library/catalog/open.js';
import { openDrive } from '../../library/drive.js';
import { TRANSFER_CLASSES } from '../../uplink/classes.js';
import { createUplink } from '../../uplink/create.js';
import { uplinkTargetName } from '../../uplink/targets/target-name.js';
import { Journal } from '../../uplink/journal.js';
import type { UplinkStatus } from '../../uplink/runner.js';
import { buildContext, requireLibrary } from '../context.js';
import { emit, formatBytes, table } from '../output.js';
import { run } from '../run.js';

function statusLine(s: UplinkStatus): string {
  const rate = s.rateBps ? `${formatBytes(s.rateBps)}/s` : '–';
  const eta = s.etaSeconds === null ? '' : ` · ETA ${Math.round(s.etaSeconds / 60)} min`;
  const cur = s.current ? ` · ${s.current.rendition} ${s.current.item.slice(0, 12)} (${s.current.cls})` : '';
  return `${s.state} · ${formatBytes(s.pendingBytes)} left · ${rate}${eta}${cur}`;
}

function queueTable(s: UplinkStatus): string {
  return table([
    ['CLASS', 'TRANSFERS', 'BYTES'],
    ...TRANSFER_CLASSES.filter((c) => s.queue[c].transfers > 0).map((c) => [
      c,
      String(s.queue[c].transfers),
      formatBytes(s.queue[c].bytes),
    ]),
  ]);
}

export function registerUplink(program: Command): void {
  program
    .command('uplink')
    .description('send this library to HQ: ops, thumbnails, rated items, previews, photos, audio, video')
    .option('--library <drive>', 'library drive')
    .option('--once', 'stop when everything queued now has arrived (default: keep running)')
    .option('--json', 'JSON summary at the end')
    .action((o: { library?: string; once?: boolean; json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const drive = await openDrive(requireLibrary(o.library, ctx));
        const catalog = await openCatalog(drive.layout.catalog);
        const abort = new AbortController();
        const stop = (): void => abort.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const tty = !o.json && process.stderr.isTTY;
        let lastLine = 0;
        const up = await createUplink(ctx, catalog, drive.layout.root, (s) => {
          if (tty && Date.now() - lastLine > 500) {
            lastLine = Date.now();
            process.stderr.write(`\r\x1b[K${statusLine(s)}`);
          }
        });
        let final: UplinkStatus;
        try {
          final = await up.runner.run(abort.signal, { once: !!o.once });
        } finally {
          up.close();
          await catalog.close();
          if (tty) process.stderr.write('\r\x1b[K');
        }
        const summary = { ...final, interrupted: abort.signal.aborted };
        emit(!!o.json, summary, () =>
          [
            `sent ${formatBytes(final.sentBytes)} (${final.finished} transfers finished), ${formatBytes(final.pendingBytes)} left`,
            ...(final.pendingBytes ? [queueTable(final)] : []),
            ...(final.lastError ? [`last error: ${final.lastError.message}`] : []),
          ].join('\n'),
        );
        if (o.once && final.pendingBytes > 0 && !abort.signal.aborted) {
          const err =
            final.state === 'auth-failed'
              ? new OutpostError('UPLINK_REFUSED', final.lastError?.message ?? 'HQ refused the station key')
              : new OutpostError(
                  'UPLINK_OFFLINE',
                  `${formatBytes(final.pendingBytes)} not sent: ${final.lastError?.message ?? 'paused by the timetable'}`,
                );
          if (o.json) return ERROR_CATALOGUE[err.code].exit;
          throw err;
        }
      }),
    );

  program
    .command('uplink-status')
    .description('what is queued for HQ, by class, without sending anything')
    .option('--library <drive>', 'library drive')
    .option('--json', 'JSON output')
    .action((o: { library?: string; json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const drive = await openDrive(requireLibrary(o.library, ctx));
        const catalog = await openCatalog(drive.layout.catalog);
        try {
          const target = uplinkTargetName(ctx.config.uplink.target);
          const j = new Journal(catalog, target);
          j.enqueueNew(new Date().toISOString());
          const totals = j.totals();
          const lastError = j.lastError();
          emit(!!o.json, { target, states: totals, lastError }, () =>
            [
              `target: ${target}`,
              table([
                ['STATE', 'TRANSFERS', 'BYTES LEFT'],
                ...totals.map((t) => [t.state, String(t.transfers), formatBytes(Math.max(0, t.bytes))]),
              ]),
              ...(lastError ? [`last error (${lastError.at}): ${lastError.message}`] : []),
            ].join('\n'),
          );
        } finally {
          await catalog.close();
        }
      }),
    );
}
