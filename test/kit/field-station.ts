import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { spawnOutpost } from './cli.js';
import { freePort } from './ports.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The station's own LAN name (its certificate's): never localhost, a secure context by itself. */
export const STATION_NAME = `${hostname().toLowerCase().split('.')[0]}.local`;

/**
 * A real `outpost station` process over its own HTTPS on fixed ports (a tablet's service worker
 * and storage belong to the origin, port included: a restarted station must come back on the
 * same one), for the offline-tablet test and bench:offline. Started and stopped at will.
 */
export class FieldStation {
  log = '';
  ca = '';
  private proc: ChildProcess | undefined;

  private constructor(
    readonly work: string,
    readonly root: string,
    readonly httpsPort: number,
    readonly plainPort: number,
    private readonly cfg: string,
  ) {}

  static async create(work: string, root: string): Promise<FieldStation> {
    await mkdir(join(work, 'empty'), { recursive: true });
    const httpsPort = await freePort();
    const plainPort = await freePort();
    const cfg = join(work, 'config.yaml');
    await writeFile(
      cfg,
      [
        'station:',
        `  statusFile: ${join(work, 'run', 'status.json')}`,
        `  clock:\n    stateFile: ${join(work, 'state', 'clock.json')}`,
        '  devices:\n    manage: false',
        'server:',
        '  host: 127.0.0.1',
        `  https: { enabled: true, port: ${httpsPort}, dir: ${join(work, 'tls')} }`,
        '',
      ].join('\n'),
    );
    return new FieldStation(work, root, httpsPort, plainPort, cfg);
  }

  url(path: string, port = this.httpsPort): string {
    return `https://${STATION_NAME}:${port}${path}`;
  }

  /** Start and wait until it serves HTTPS; the first start fetches the CA from /trust. */
  async start(): Promise<void> {
    this.log = '';
    const p = spawnOutpost(
      [
        'station',
        '--library',
        this.root,
        '--watch',
        join(this.work, 'empty'),
        '--port',
        String(this.plainPort),
      ],
      { OUTPOST_CONFIG: this.cfg },
    );
    this.proc = p;
    p.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    p.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    for (let i = 0; i < 240 && !/plain HTTP sends people to HTTPS/.test(this.log); i++) await sleep(250);
    assert.match(this.log, /plain HTTP sends people to HTTPS/, this.log);
    this.ca ||= new X509Certificate(await this.plainGet('/trust/ca.crt')).toString();
  }

  async stop(): Promise<void> {
    const s = this.proc;
    this.proc = undefined;
    if (!s || s.exitCode !== null) return;
    const exited = new Promise<[number | null, string | null]>((r) =>
      s.once('exit', (c, sig) => r([c, sig])),
    );
    s.kill('SIGTERM');
    const t = setTimeout(() => s.kill('SIGKILL'), 10_000);
    const [code, signal] = await exited;
    clearTimeout(t);
    // A station that needs SIGKILL has left something open: fail loudly.
    assert.deepEqual([code, signal], [0, null], 'the station exits cleanly on SIGTERM');
  }

  plainGet(path: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: this.plainPort, path, headers: { host: STATION_NAME } },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (b: Buffer) => parts.push(b));
          res.on('end', () => resolve(Buffer.concat(parts)));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** The API over HTTPS with a session cookie (`body` a string is sent as it is). */
  api<T>(
    method: string,
    path: string,
    session: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: this.httpsPort,
          path,
          method,
          servername: STATION_NAME,
          ca: this.ca,
          headers: {
            host: `${STATION_NAME}:${this.httpsPort}`,
            cookie: `outpost_session=${session}`,
            'x-outpost-csrf': '1',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (b: Buffer) => parts.push(b));
          res.on('end', () => {
            const text = Buffer.concat(parts).toString();
            resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T });
          });
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    });
  }
}
