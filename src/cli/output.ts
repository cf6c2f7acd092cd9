import { toOutpostError } from '../core/errors.js';
import { hintOf, type Code } from '../core/warnings.js';

/** Print data: JSON for scripts, or a human rendering. */
export function emit(json: boolean, data: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : human() + '\n');
}

/** Report an error the way the user asked for, and return the exit code. */
export function reportError(e: unknown, json: boolean): number {
  const err = toOutpostError(e);
  if (json) process.stdout.write(JSON.stringify({ error: err.toJSON() }, null, 2) + '\n');
  process.stderr.write(`error [${err.code}]: ${err.message}\n  what to do: ${err.hint}\n`);
  if (err.code === 'INTERNAL' && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return err.exitCode;
}

/** After a list of warnings: what to do about each kind of them, once per code. */
export function warningHints(codes: Iterable<Code>): string[] {
  return [...new Set(codes)].map((c) => `  what to do [${c}]: ${hintOf(c)}`);
}

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Simple fixed-width table. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
