import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { OutpostError } from '../../core/errors.js';
import { run } from '../run.js';

/** The systemd unit setup-station.sh installs (packaging/systemd/outpost.service). */
export const SERVICE_UNIT = 'outpost';

export type ServiceAction =
  { action: 'status' } | { action: 'logs'; follow: boolean; lines: number; since?: string | undefined };

/** The systemctl / journalctl command line for an action. */
export function serviceCommand(a: ServiceAction): { cmd: string; args: string[] } {
  if (a.action === 'status')
    return { cmd: 'systemctl', args: ['status', SERVICE_UNIT, '--no-pager', '--lines=20'] };
  return {
    cmd: 'journalctl',
    args: [
      '--unit',
      SERVICE_UNIT,
      '--lines',
      String(a.lines),
      ...(a.since ? ['--since', a.since] : []),
      ...(a.follow ? ['--follow'] : ['--no-pager']),
    ],
  };
}

/** Run it on this terminal; its exit code becomes ours (systemctl status: 3 when stopped). */
function passThrough({ cmd, args }: { cmd: string; args: string[] }): Promise<number> {
  if (!existsSync('/run/systemd/system'))
    throw new OutpostError(
      'SYSTEMD_NOT_RUNNING',
      'systemd is not running on this machine: there is no outpost service to show',
    );
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit' });
    // Ctrl-C stops `logs --follow`: journalctl gets it too (same terminal); we wait for it.
    const ignore = (): void => undefined;
    process.on('SIGINT', ignore);
    child.on('error', (e) => {
      process.off('SIGINT', ignore);
      reject(new OutpostError('TOOL_MISSING', `${cmd} could not run: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}

export function registerService(program: Command): void {
  const service = program
    .command('service')
    .description('the station service (systemd unit outpost): its state and its log');
  service
    .command('status')
    .description('is the service running, since when, and its last log lines (systemctl status outpost)')
    .action((_o: unknown, cmd: Command) =>
      run(cmd, false, () => passThrough(serviceCommand({ action: 'status' }))),
    );
  service
    .command('logs')
    .description("the service's log from the journal (journalctl -u outpost)")
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --lines <n>', 'how many recent lines', '100')
    .option('--since <time>', 'from this time, e.g. "1 hour ago" or "2026-12-01 08:00"')
    .action((o: { follow?: boolean; lines: string; since?: string }, cmd: Command) =>
      run(cmd, false, () => {
        const lines = Number(o.lines);
        if (!Number.isInteger(lines) || lines < 0)
          throw new OutpostError('USAGE', `--lines must be a whole number, not "${o.lines}"`);
        return passThrough(serviceCommand({ action: 'logs', follow: !!o.follow, lines, since: o.since }));
      }),
    );
}
