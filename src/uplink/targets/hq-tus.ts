import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Op } from '../../core/ops.js';
import {
  UploadFailure,
  type BodySource,
  type ChunkResult,
  type ItemFacts,
  type NewUpload,
  type ObjectRef,
  type SyncResult,
  type UploadTarget,
} from './target.js';

export interface HqTargetOptions {
  /** HQ base URL, e.g. `https://hq.example.org` (the API lives under /hq/v1/). */
  url: string;
  /** The station key `outpost hq keys add` printed. */
  key: string;
  /** No byte in either direction for this long: the request is given up as stalled. */
  stallTimeoutMs?: number;
  /** Timeout of the small JSON requests (have, sync, ops, HEAD). */
  requestTimeoutMs?: number;
}

const TUS = { 'tus-resumable': '1.0.0' };
const OFFLINE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** A failure from an HTTP status (and the error body HQ sends, when it is JSON). */
function statusFailure(status: number, body: string, what: string): UploadFailure {
  let detail = body.slice(0, 300);
  try {
    const j = JSON.parse(body) as { error?: { code?: string; message?: string } };
    if (j.error?.message) detail = `${j.error.code ?? ''} ${j.error.message}`.trim();
  } catch {
    // not JSON: keep the text
  }
  const msg = `${what}: HTTP ${status}${detail ? ` (${detail})` : ''}`;
  if (status === 401 || status === 403) return new UploadFailure('auth', msg, status);
  if (status === 404 || status === 410) return new UploadFailure('gone', msg, status);
  if (status === 409) return new UploadFailure('conflict', msg, status);
  if (status === 460) return new UploadFailure('checksum', msg, status);
  if (status === 423 || status === 429 || status >= 500) return new UploadFailure('server', msg, status);
  return new UploadFailure('rejected', msg, status);
}

function networkFailure(e: unknown, what: string): UploadFailure {
  if (e instanceof UploadFailure) return e;
  const err = e as NodeJS.ErrnoException;
  if (err?.name === 'AbortError') return new UploadFailure('offline', `${what}: aborted`);
  // Whatever else broke the exchange (refused, reset, TLS, DNS), the cure is the same: wait for
  // the link and ask HQ where the upload stands. The known codes just make a better message.
  const code = err?.code ?? '';
  const why = OFFLINE_CODES.has(code) ? `${code} (no connection to HQ)` : code || err?.message || String(e);
  return new UploadFailure('offline', `${what}: ${why}`);
}

async function readBody(res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    // Answers are small; never buffer a hostile or broken server's endless body.
    if (n < 1 << 20) parts.push(c);
    n += c.length;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** HQ over HTTP(S): tus 1.0 uploads plus the JSON endpoints of docs/uplink-protocol.md. */
export class HqTusTarget implements UploadTarget {
  readonly name = 'hq';
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly stallMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: HqTargetOptions) {
    this.base = new URL(opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:')
      throw new TypeError(`HQ URL must be http:// or https://, got ${opts.url}`);
    // Keep-alive: a chunk after a chunk needs no new TCP (and TLS) handshake on a slow link.
    this.agent =
      this.base.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, maxSockets: 4 })
        : new HttpAgent({ keepAlive: true, maxSockets: 4 });
    this.stallMs = opts.stallTimeoutMs ?? 60_000;
    this.timeoutMs = opts.requestTimeoutMs ?? 60_000;
  }

  close(): void {
    this.agent.destroy();
  }

  private resolve(path: string): URL {
    const u = new URL(path, this.base);
    // Never send the key anywhere but HQ (a Location header could point elsewhere).
    if (u.origin !== this.base.origin)
      throw new UploadFailure('rejected', `HQ answered with a foreign URL ${u.href}`);
    return u;
  }

  /**
   * One request. With `body`, the slices are streamed (chunked encoding, backpressure
   * honoured) and the time from the last byte to the response is measured.
   */
  private send(
    method: string,
    url: URL,
    headers: Record<string, string>,
    opts: { body?: BodySource; json?: unknown; signal?: AbortSignal; idleMs?: number },
  ): Promise<{ res: IncomingMessage; text: string; sent: number; drainMs: number }> {
    const what = `${method} ${url.pathname}`;
    return new Promise((resolve, reject) => {
      const payload = opts.json === undefined ? undefined : Buffer.from(JSON.stringify(opts.json));
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
        method,
        agent: this.agent,
        headers: {
          authorization: `Bearer ${this.opts.key}`,
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
            : {}),
          ...headers,
        },
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      let sent = 0;
      let endedAt = 0;
      let settled = false;
      const fail = (e: unknown): void => {
        if (settled) return;
        settled = true;
        req.destroy();
        reject(networkFailure(e, what));
      };
      req.setTimeout(opts.idleMs ?? this.timeoutMs, () =>
        fail(
          new UploadFailure(
            'stalled',
            `${what}: nothing moved for ${Math.round((opts.idleMs ?? this.timeoutMs) / 1000)} s`,
          ),
        ),
      );
      req.on('error', fail);
      req.on('response', (res) => {
        const drainMs = endedAt ? Date.now() - endedAt : 0;
        readBody(res).then((text) => {
          if (settled) return;
          settled = true;
          resolve({ res, text, sent, drainMs });
        }, fail);
      });
      if (payload) {
        endedAt = Date.now();
        req.end(payload);
      } else if (!opts.body) {
        endedAt = Date.now();
        req.end();
      } else {
        void (async () => {
          try {
            for await (const slice of opts.body!) {
              if (settled) return;
              sent += slice.length;
              if (!req.write(slice))
                await new Promise<void>((r, j) => {
                  const onDrain = (): void => {
                    req.off('close', onClose);
                    r();
                  };
                  const onClose = (): void => {
                    req.off('drain', onDrain);
                    j(new UploadFailure('offline', `${what}: connection closed`));
                  };
                  req.once('drain', onDrain);
                  req.once('close', onClose);
                });
            }
            endedAt = Date.now();
            req.end();
          } catch (e) {
            fail(e);
          }
        })();
      }
    });
  }

  private async json<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const { res, text } = await this.send(
      method,
      this.resolve(path),
      {},
      {
        ...(body === undefined ? {} : { json: body }),
        ...(signal ? { signal } : {}),
      },
    );
    if ((res.statusCode ?? 0) >= 300) throw statusFailure(res.statusCode ?? 0, text, `${method} ${path}`);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new UploadFailure('server', `${method} ${path}: HQ answered with something that is not JSON`);
    }
  }

  async have(objects: ObjectRef[], signal?: AbortSignal): Promise<boolean[]> {
    if (objects.length === 0) return [];
    const r = await this.json<{ have: boolean[] }>('POST', 'hq/v1/have', { objects }, signal);
    if (!Array.isArray(r.have) || r.have.length !== objects.length)
      throw new UploadFailure('server', 'POST /hq/v1/have: the answer does not match the question');
    return r.have;
  }

  async sync(body: { items: ItemFacts[]; ops: Op[] }, signal?: AbortSignal): Promise<SyncResult> {
    return this.json<SyncResult>('POST', 'hq/v1/sync', body, signal);
  }

  async pullOps(since: number, signal?: AbortSignal): Promise<{ ops: Op[]; cursor: number; node?: string }> {
    return this.json<{ ops: Op[]; cursor: number; node?: string }>(
      'GET',
      `hq/v1/ops?since=${since}&limit=1000`,
      undefined,
      signal,
    );
  }

  async create(u: NewUpload, body: BodySource, signal?: AbortSignal): Promise<{ url: string } & ChunkResult> {
    const meta = [
      `item ${b64(u.item)}`,
      `rendition ${b64(u.rendition)}`,
      `sha256 ${b64(u.sha256)}`,
      `name ${b64(u.name)}`,
    ].join(',');
    const r = await this.send(
      'POST',
      this.resolve('hq/v1/uploads/'),
      {
        ...TUS,
        'upload-length': String(u.size),
        'upload-metadata': meta,
        'content-type': 'application/offset+octet-stream',
      },
      { body, idleMs: this.stallMs, ...(signal ? { signal } : {}) },
    );
    const status = r.res.statusCode ?? 0;
    if (status !== 201) throw statusFailure(status, r.text, 'POST /hq/v1/uploads/');
    const location = r.res.headers.location;
    if (!location) throw new UploadFailure('server', 'POST /hq/v1/uploads/: no Location in the answer');
    const url = this.resolve(location).href;
    const offset = Number(r.res.headers['upload-offset'] ?? 0);
    return { url, offset: Number.isFinite(offset) ? offset : 0, sent: r.sent, drainMs: r.drainMs };
  }

  async offset(url: string, signal?: AbortSignal): Promise<number> {
    const r = await this.send('HEAD', this.resolve(url), TUS, signal ? { signal } : {});
    const status = r.res.statusCode ?? 0;
    if (status !== 200 && status !== 204)
      throw statusFailure(status, r.text, `HEAD ${new URL(url).pathname}`);
    const offset = Number(r.res.headers['upload-offset']);
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new UploadFailure('server', `HEAD ${url}: no valid Upload-Offset in the answer`);
    return offset;
  }

  async append(url: string, offset: number, body: BodySource, signal?: AbortSignal): Promise<ChunkResult> {
    const r = await this.send(
      'PATCH',
      this.resolve(url),
      { ...TUS, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
      { body, idleMs: this.stallMs, ...(signal ? { signal } : {}) },
    );
    const status = r.res.statusCode ?? 0;
    if (status !== 204 && status !== 200)
      throw statusFailure(status, r.text, `PATCH ${new URL(url).pathname}`);
    const next = Number(r.res.headers['upload-offset']);
    if (!Number.isSafeInteger(next) || next < offset)
      throw new UploadFailure('server', `PATCH ${url}: no valid Upload-Offset in the answer`);
    return { offset: next, sent: r.sent, drainMs: r.drainMs };
  }
}
