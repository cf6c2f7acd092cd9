/**
 * The channel local commands (`outpost eject`) use to ask the running station to do something.
 * A unix socket next to the status file (`/run/outpost/control.sock`), mode 0600: only root (the
 * station's user) can connect, so there is no token to keep. One request per connection, one JSON
 * line each way: `{"op":"eject","target":"A"}` → `{"ok":true,"result":…}` or
 * `{"ok":false,"error":{code,message,hint}}`. Why not the web API: docs/devices.md.
 */
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import type { Logger } from '../adapters/logger.js';
import { ERROR_CATALOGUE, OutpostError, errnoCode, isOutpostError, type ErrorCode } from '../core/errors.js';

export type ControlRequest = { op: 'eject'; target: 'A' | 'B' | 'card' };

const MAX_REQUEST_BYTES = 4096;

/** The socket path: `station.controlSocket`, else `control.sock` beside `station.statusFile`. */
export function controlSocketPath(station: {
  controlSocket?: string | undefined;
  statusFile: string;
}): string {
  return station.controlSocket ?? join(dirname(station.statusFile), 'control.sock');
}

export function parseControlRequest(line: string): ControlRequest {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new OutpostError('INVALID_INPUT', 'control request is not JSON');
  }
  const r = v as Record<string, unknown> | null;
  if (r && r.op === 'eject' && (r.target === 'A' || r.target === 'B' || r.target === 'card'))
    return { op: 'eject', target: r.target };
  throw new OutpostError(
    'INVALID_INPUT',
    'unknown control request (expected {"op":"eject","target":"A|B|card"})',
  );
}

async function someoneListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** Serve control requests until `close()`; a socket another live station holds is left alone. */
export async function startControlSocket(
  path: string,
  handle: (req: ControlRequest) => Promise<unknown>,
  log: Logger,
): Promise<{ close(): Promise<void> }> {
  await mkdir(dirname(path), { recursive: true });
  if (await someoneListens(path))
    throw new OutpostError('INVALID_INPUT', `another station already answers on ${path}`, {
      hint: 'Stop the other station, or give this one its own station.controlSocket (or statusFile).',
    });
  await unlink(path).catch(() => undefined);
  const server: Server = createServer((sock) => {
    let buf = '';
    let done = false;
    const answer = (body: unknown): void => {
      if (done) return;
      done = true;
      sock.end(`${JSON.stringify(body)}\n`);
    };
    sock.setEncoding('utf8');
    sock.on('error', () => undefined);
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_REQUEST_BYTES) {
        answer({ ok: false, error: new OutpostError('INVALID_INPUT', 'control request too long').toJSON() });
        return;
      }
      const nl = buf.indexOf('\n');
      if (nl < 0 || done) return;
      const line = buf.slice(0, nl);
      void (async () => {
        try {
          const req = parseControlRequest(line);
          log.info({ req }, 'control request');
          answer({ ok: true, result: await handle(req) });
        } catch (e) {
          const err = isOutpostError(e) ? e : new OutpostError('INTERNAL', String(e), { cause: e });
          answer({ ok: false, error: err.toJSON() });
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o600);
  return {
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await unlink(path).catch(() => undefined);
    },
  };
}

/** Send one request to the running station and return its result (or throw its error). */
export async function controlRequest(
  path: string,
  req: ControlRequest,
  timeoutMs = 180_000,
): Promise<unknown> {
  const line = await new Promise<string>((resolve, reject) => {
    const c = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      c.destroy();
      reject(
        new OutpostError('INTERNAL', `the station did not answer within ${Math.round(timeoutMs / 1000)} s`),
      );
    }, timeoutMs);
    c.setEncoding('utf8');
    c.on('connect', () => c.write(`${JSON.stringify(req)}\n`));
    c.on('data', (d: string) => (buf += d));
    c.on('end', () => {
      clearTimeout(timer);
      resolve(buf);
    });
    c.on('error', (e) => {
      clearTimeout(timer);
      const code = errnoCode(e);
      reject(
        code === 'ENOENT' || code === 'ECONNREFUSED'
          ? new OutpostError('STATION_NOT_RUNNING', `no station answers on ${path}`, {
              hint: 'Start it with `outpost station` (or `systemctl start outpost`); check station.statusFile / station.controlSocket.',
            })
          : code === 'EACCES'
            ? new OutpostError('USAGE', `not allowed to talk to the station (${path})`, {
                hint: 'Run it as root (sudo outpost eject …).',
              })
            : e,
      );
    });
  });
  let body: {
    ok: boolean;
    result?: unknown;
    error?: { code: string; message: string; hint: string; details?: unknown };
  };
  try {
    body = JSON.parse(line) as typeof body;
  } catch {
    throw new OutpostError(
      'INTERNAL',
      `the station answered something that is not JSON: ${line.slice(0, 200)}`,
    );
  }
  if (body.ok) return body.result;
  const e = body.error;
  const code = (e && e.code in ERROR_CATALOGUE ? e.code : 'INTERNAL') as ErrorCode;
  throw new OutpostError(code, e?.message ?? 'the station refused', {
    ...(e?.hint ? { hint: e.hint } : {}),
    ...(e?.details ? { details: e.details } : {}),
  });
}
