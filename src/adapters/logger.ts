import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs to stderr (stdout is for command output and --json). */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined }, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
