import type { Command } from 'commander';
import { INDICATORS, type Look } from '../../core/indicators.js';
import { OutpostError } from '../../core/errors.js';
import { readStatusFile, type StatusFile } from '../../station/status-file.js';
import { buildContext } from '../context.js';
import { emit, formatBytes } from '../output.js';
import { run } from '../run.js';

/** The station writes every second; older than this, it is not running. */
const STALE_MS = 10_000;

const GLYPH: Record<Look, string> = {
  green: '\x1b[32m●\x1b[0m',
  'green-flash': '\x1b[32;5m◉\x1b[0m',
  red: '\x1b[31m●\x1b[0m',
  'red-flash': '\x1b[31;5m◉\x1b[0m',
  off: '\x1b[2m○\x1b[0m',
};
const WORD: Record<Look, string> = {
  green: 'green',
  'green-flash': 'flashing green',
  red: 'red',
  'red-flash': 'flashing red',
  off: 'off',
};

function human(s: StatusFile, color: boolean): string {
  const lines = INDICATORS.map((k) => {
    const v = s.indicators[k];
    const mark = color ? GLYPH[v.look] : `[${WORD[v.look]}]`;
    return `${mark} ${k.replace('_', ' ').padEnd(8)} ${color ? `${WORD[v.look].padEnd(15)}` : ''}${v.reason}`;
  });
  const u = s.uplink;
  if (u)
    lines.push(
      '',
      `uplink: ${u.state}, ${formatBytes(u.pendingBytes)} left${u.rateBps ? `, ${formatBytes(u.rateBps)}/s` : ''}` +
        (u.lastError ? ` (last error: ${u.lastError.message})` : ''),
    );
  return [
    `station ${s.node} · ${s.library ? `library ${s.library.label}` : 'no library drive'}`,
    ...lines,
  ].join('\n');
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('the status lights of the running station (CARD, DRIVE A, DRIVE B, BACKUP, UPLINK)')
    .option('--json', 'JSON output')
    .option('--watch', 'keep showing it, refreshed every second')
    .action((o: { json?: boolean; watch?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const path = ctx.config.station.statusFile;
        const once = async (): Promise<StatusFile> => {
          const s = await readStatusFile(path);
          const age = s ? Date.now() - Date.parse(s.time) : Infinity;
          if (!s || age > STALE_MS)
            throw new OutpostError(
              'STATION_NOT_RUNNING',
              s
                ? `the station's last status is ${Math.round(age / 1000)} s old`
                : `no station status at ${path}`,
              {
                hint: 'Start it with `outpost station` (or `systemctl start outpost`); check station.statusFile in the config.',
              },
            );
          return s;
        };
        const tty = !o.json && process.stdout.isTTY;
        if (!o.watch) {
          const s = await once();
          emit(!!o.json, s, () => human(s, tty));
          return;
        }
        for (;;) {
          const s = await once();
          if (o.json) process.stdout.write(`${JSON.stringify(s)}\n`);
          else process.stdout.write(`${tty ? '\x1b[2J\x1b[H' : ''}${human(s, tty)}\n`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }),
    );
}
