import { errnoCode, isOutpostError } from '../core/errors.js';

/**
 * Errors that say something about the machine, not the file: a full or failing drive, a
 * missing tool, a cancelled run. These propagate; everything else about a file becomes a
 * per-file warning.
 */
const ENVIRONMENT_ERRNOS = new Set([
  'ENOSPC',
  'EDQUOT',
  'EIO',
  'EROFS',
  'EACCES',
  'EPERM',
  'EMFILE',
  'ENFILE',
  'ENOMEM',
  'ENXIO',
  'ENODEV',
  'ESTALE',
]);

export function isEnvironmentFault(e: unknown): boolean {
  if (isOutpostError(e)) return true;
  if (e instanceof Error && e.name === 'AbortError') return true;
  const code = errnoCode(e);
  return code !== undefined && ENVIRONMENT_ERRNOS.has(code);
}

/**
 * A bug in our code rather than a bad file (libvips reports bad files as plain Errors):
 * these must surface, not be filed as a per-file warning.
 */
export function isProgrammingError(e: unknown): boolean {
  return e instanceof ReferenceError || e instanceof TypeError || e instanceof RangeError;
}

/** The first non-empty line of an error's message (libvips and ffmpeg messages run long). */
export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (
    msg
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? 'unknown error'
  );
}
