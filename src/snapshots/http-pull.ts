/**
 * Polling a snapshot URL per camera, for cameras whose FTP upload is broken: one JPEG per interval,
 * on the interval's boundaries (a 60 s camera is asked at :00 of each minute, whatever the last
 * request cost), never two requests in flight for one camera. The URL is given, or found over ONVIF
 * (cached; found again after a failure). Answers are checked as far as is cheap here (status,
 * content type, size limit, JPEG start and end markers) and streamed to a temp file while hashing;
 * decoding is the caller's. Failures back off exponentially with full jitter up to a cap, never
 * faster than the interval, and are counted per kind in each camera's status.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OutpostError } from '../core/errors.js';
import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import { sleep as realSleep } from '../adapters/sleep.js';
import { Backoff, type RandomSource } from '../uplink/backoff.js';
import {
  asFailure,
  discard,
  PullFailure,
  PullStopped,
  sendAuthorized,
  type AuthMemo,
  type AuthMode,
  type PullFailureKind,
} from './camera-http.js';
import { resolveSnapshotUri, type SoapTransport } from './onvif.js';

export { PullFailure, type PullFailureKind } from './camera-http.js';

export interface PullCamera {
  camera: string;
  /** The snapshot URL (http or https). Either this or `onvif`. */
  url?: string;
  /** Find the snapshot URL over ONVIF from the device service. */
  onvif?: { url: string; profile?: string };
  user?: string;
  password?: string;
  /** `auto`: what the camera's 401 asks (Digest preferred; Basic only when asked). */
  auth: AuthMode;
  intervalS: number;
  /** Whole request, from connecting to the last byte (each ONVIF call gets as much). */
  timeoutMs: number;
  /** Until connected. Default: the smaller of timeoutMs and 5 s. */
  connectTimeoutMs?: number;
  /** Larger answers are cut off and counted `too-big`. */
  maxBytes: number;
}

export interface PulledSnapshot {
  camera: string;
  /** A complete temp file in tmpDir. */
  file: string;
  bytes: number;
  sha256: string;
  /** When the answer's headers arrived (the picture was taken just before). */
  receivedAt: Date;
  url: string;
}

export type PullOutcome = 'ok' | PullFailureKind;

export interface PullStatus {
  camera: string;
  /** The snapshot URL in use (resolved over ONVIF when configured so); absent until known. */
  url?: string;
  lastOkAt?: Date;
  lastAttemptAt?: Date;
  nextPollAt?: Date;
  lastError?: { kind: PullFailureKind; message: string; at: Date };
  consecutiveFailures: number;
  counts: Record<PullOutcome, number>;
}

export interface PullerOptions {
  cameras: PullCamera[];
  /** Where answers are written; each PulledSnapshot's file is in it. */
  /** Or where they go now: undefined (no library drive) skips the poll. */
  tmpDir: string | (() => string | undefined);
  /** Owns the file once it resolves; when it throws, the puller removes the file. */
  accept(s: PulledSnapshot): Promise<void>;
  clock: Clock;
  /** Waits between polls; tests pass one that moves a fake clock. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source for the backoff (Math.random by default). */
  random?: RandomSource;
  /** Largest wait after failures, ms. Default 10 min (the interval when that is longer). */
  maxBackoffMs?: number;
  log: Logger;
  onStatus?(camera: string, s: PullStatus): void;
}

export interface SnapshotPuller {
  /** Aborts requests in flight, removes their partial files, and resolves when every loop ended. */
  stop(): Promise<void>;
  status(): PullStatus[];
}

const DEFAULT_MAX_BACKOFF_MS = 10 * 60_000;
/** ONVIF replies are a few kB; anything past this is not one. */
const SOAP_MAX_BYTES = 1 << 20;

export function startSnapshotPuller(o: PullerOptions): SnapshotPuller {
  const problems = o.cameras.flatMap(cameraProblems);
  const names = o.cameras.map((c) => c.camera);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) problems.push(`${dup}: listed twice`);
  if (problems.length > 0)
    throw new OutpostError('CONFIG_INVALID', `snapshot pull: ${problems.join('; ')}`, { details: problems });

  const stopper = new AbortController();
  const statuses = new Map<string, PullStatus>();
  const wait = o.sleep ?? realSleep;
  for (const c of o.cameras) statuses.set(c.camera, freshStatus(c));

  const loops = o.cameras.map((cam) =>
    runCamera(cam, statuses.get(cam.camera)!, o, wait, stopper.signal).catch((e: unknown) => {
      // A bug, not a camera failure: keep the other cameras going and say so.
      o.log.error({ err: e, camera: cam.camera }, 'snapshot puller loop ended unexpectedly');
    }),
  );

  return {
    async stop() {
      if (!stopper.signal.aborted) stopper.abort(new PullStopped());
      await Promise.all(loops);
    },
    status() {
      return [...statuses.values()].map(copyStatus);
    },
  };
}

function cameraProblems(c: PullCamera): string[] {
  const p: string[] = [];
  const at = c.camera || '(unnamed camera)';
  if (!c.camera) p.push(`${at}: no name`);
  if ((c.url === undefined) === (c.onvif === undefined)) p.push(`${at}: give url or onvif (one of them)`);
  for (const u of [c.url, c.onvif?.url]) {
    if (u === undefined) continue;
    try {
      const parsed = new URL(u);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') p.push(`${at}: ${u} is not http(s)`);
    } catch {
      p.push(`${at}: ${u} is not a URL`);
    }
  }
  if (!(c.intervalS > 0)) p.push(`${at}: intervalS must be > 0`);
  if (!(c.timeoutMs > 0)) p.push(`${at}: timeoutMs must be > 0`);
  if (!(c.maxBytes > 0)) p.push(`${at}: maxBytes must be > 0`);
  if (c.auth === 'basic' && !c.user) p.push(`${at}: auth basic needs a user`);
  return p;
}

function freshStatus(c: PullCamera): PullStatus {
  return {
    camera: c.camera,
    ...(c.url ? { url: c.url } : {}),
    consecutiveFailures: 0,
    counts: { ok: 0, 'http-error': 0, timeout: 0, garbage: 0, 'too-big': 0, auth: 0 },
  };
}

function copyStatus(s: PullStatus): PullStatus {
  return {
    ...s,
    ...(s.lastError ? { lastError: { ...s.lastError } } : {}),
    counts: { ...s.counts },
  };
}

/** The first boundary of the interval grid at or after `ms`. */
export function boundaryAtOrAfter(ms: number, intervalMs: number): number {
  return Math.ceil(ms / intervalMs) * intervalMs;
}

async function runCamera(
  cam: PullCamera,
  st: PullStatus,
  o: PullerOptions,
  wait: (ms: number, signal: AbortSignal) => Promise<void>,
  stop: AbortSignal,
): Promise<void> {
  const intervalMs = cam.intervalS * 1000;
  const backoff = new Backoff(
    { baseMs: intervalMs, capMs: Math.max(intervalMs, o.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS), factor: 2 },
    o.random ?? Math.random,
  );
  const memo: AuthMemo = {};
  let resolvedUrl: string | undefined = cam.url;
  let slot = boundaryAtOrAfter(o.clock.now().getTime(), intervalMs);

  while (!stop.aborted) {
    st.nextPollAt = new Date(slot);
    o.onStatus?.(cam.camera, copyStatus(st));
    const delay = slot - o.clock.now().getTime();
    if (delay > 0) await wait(delay, stop);
    if (stop.aborted) break;

    const dir = typeof o.tmpDir === 'function' ? o.tmpDir() : o.tmpDir;
    if (dir === undefined) {
      // Nowhere to keep it (no library drive): not a camera failure; the next slot tries again.
      slot = boundaryAtOrAfter(Math.max(slot, o.clock.now().getTime()) + 1, intervalMs);
      continue;
    }
    st.lastAttemptAt = o.clock.now();
    try {
      resolvedUrl ??= await resolveOnvif(cam, o, memo, stop);
      st.url = resolvedUrl;
      const pulled = await pullOnce(cam, resolvedUrl, dir, o, memo, stop);
      st.counts.ok++;
      st.lastOkAt = pulled.receivedAt;
      if (st.consecutiveFailures > 0)
        o.log.info({ camera: cam.camera, after: st.consecutiveFailures }, 'snapshot pull works again');
      st.consecutiveFailures = 0;
      backoff.reset();
      await hand(pulled, o);
      const now = o.clock.now().getTime();
      // The slot after this one; past ones are skipped when the request overran.
      slot = boundaryAtOrAfter(Math.max(slot, now) + 1, intervalMs);
    } catch (e) {
      const f = asFailure(e, stop);
      if (f instanceof PullStopped || stop.aborted) break;
      const failure = f instanceof PullFailure ? f : new PullFailure('http-error', f.message, { cause: f });
      st.counts[failure.kind]++;
      st.consecutiveFailures++;
      st.lastError = { kind: failure.kind, message: failure.message, at: o.clock.now() };
      // An ONVIF camera may have moved its snapshot URL (firmware update, new profile): ask again.
      if (cam.onvif) resolvedUrl = undefined;
      const pause = Math.max(intervalMs, backoff.fail());
      const now = o.clock.now().getTime();
      slot = boundaryAtOrAfter(Math.max(now, slot) + pause, intervalMs);
      o.log.warn(
        {
          camera: cam.camera,
          kind: failure.kind,
          failures: st.consecutiveFailures,
          retryInS: Math.round((slot - now) / 1000),
        },
        `snapshot pull failed: ${failure.message}`,
      );
    }
  }
  st.nextPollAt = undefined;
  o.onStatus?.(cam.camera, copyStatus(st));
}

async function hand(s: PulledSnapshot, o: PullerOptions): Promise<void> {
  try {
    await o.accept(s);
  } catch (e) {
    o.log.error({ err: e, camera: s.camera, file: s.file }, 'snapshot not taken in; dropped');
    await rm(s.file, { force: true });
  }
}

/** A signal aborted by stop or, with a timeout PullFailure, after `ms`; `done()` frees its timer. */
function deadline(stop: AbortSignal, ms: number, what: string): { signal: AbortSignal; done(): void } {
  const ac = new AbortController();
  const onStop = (): void => ac.abort(stop.reason);
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  const timer = setTimeout(() => ac.abort(new PullFailure('timeout', `${what} took over ${ms} ms`)), ms);
  return {
    signal: ac.signal,
    done() {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    },
  };
}

function connectTimeout(cam: PullCamera): number {
  return cam.connectTimeoutMs ?? Math.min(cam.timeoutMs, 5000);
}

async function resolveOnvif(
  cam: PullCamera,
  o: PullerOptions,
  memo: AuthMemo,
  stop: AbortSignal,
): Promise<string> {
  const onvif = cam.onvif!;
  const call: SoapTransport = async (url, action, body) => {
    const d = deadline(stop, cam.timeoutMs, 'ONVIF call');
    try {
      const res = await sendAuthorized(
        {
          method: 'POST',
          url,
          headers: { 'content-type': `application/soap+xml; charset=utf-8; action="${action}"` },
          body: Buffer.from(body, 'utf8'),
          connectTimeoutMs: connectTimeout(cam),
          signal: d.signal,
        },
        cam,
        memo,
      );
      const text = await readText(res, SOAP_MAX_BYTES, d.signal);
      const status = res.statusCode ?? 0;
      // Faults come with 400/500; soapBody tells an auth fault from others.
      if (status >= 200 && status < 300) return text;
      if (/Fault/.test(text)) return text;
      if (status === 403) throw new PullFailure('auth', `ONVIF ${url.pathname}: HTTP 403`);
      throw new PullFailure('http-error', `ONVIF ${url.pathname}: HTTP ${status}`);
    } catch (e) {
      throw asFailure(e, d.signal);
    } finally {
      d.done();
    }
  };
  const uri = await resolveSnapshotUri(call, {
    deviceUrl: onvif.url,
    profile: onvif.profile,
    user: cam.user,
    password: cam.password,
    now: () => o.clock.now(),
  });
  o.log.info({ camera: cam.camera, url: uri }, 'ONVIF snapshot URL found');
  return uri;
}

async function readText(res: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<string> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw new PullFailure('too-big', `reply of ${declared} bytes (limit ${maxBytes})`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > maxBytes) {
        res.destroy();
        throw new PullFailure('too-big', `reply over ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    throw asFailure(e, signal);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const JPEG_TYPES = /^(image\/(jpeg|jpg|pjpeg)|application\/octet-stream)\s*(;|$)/i;

/** One GET of the snapshot URL into a complete temp file. */
async function pullOnce(
  cam: PullCamera,
  url: string,
  tmpDir: string,
  o: PullerOptions,
  memo: AuthMemo,
  stop: AbortSignal,
): Promise<PulledSnapshot> {
  const d = deadline(stop, cam.timeoutMs, 'snapshot request');
  const stem = join(tmpDir, `pull-${safeName(cam.camera)}-${randomBytes(6).toString('hex')}`);
  const part = `${stem}.part`;
  const file = `${stem}.jpg`;
  try {
    const res = await sendAuthorized(
      { method: 'GET', url: new URL(url), connectTimeoutMs: connectTimeout(cam), signal: d.signal },
      cam,
      memo,
    );
    const receivedAt = o.clock.now();
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      discard(res);
      throw new PullFailure(
        status === 403 ? 'auth' : 'http-error',
        `HTTP ${status} ${res.statusMessage ?? ''}`.trim(),
      );
    }
    const type = res.headers['content-type'];
    if (type !== undefined && !JPEG_TYPES.test(type)) {
      discard(res);
      throw new PullFailure('garbage', `content type ${type}, not a JPEG`);
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > cam.maxBytes) {
      res.destroy();
      throw new PullFailure('too-big', `answer of ${declared} bytes (limit ${cam.maxBytes})`);
    }
    const check = new JpegCheck(cam.maxBytes);
    try {
      await pipeline(res, check, createWriteStream(part, { flags: 'wx' }), { signal: d.signal });
    } catch (e) {
      if (e instanceof PullFailure) throw e;
      if (d.signal.aborted) throw asFailure(e, d.signal);
      // The camera closed the connection mid-picture.
      throw new PullFailure('garbage', `answer cut off after ${check.bytes} bytes`, { cause: e });
    }
    check.verifyEnd();
    await rename(part, file);
    return {
      camera: cam.camera,
      file,
      bytes: check.bytes,
      sha256: check.sha256(),
      receivedAt,
      url,
    };
  } catch (e) {
    await rm(part, { force: true });
    await rm(file, { force: true });
    throw asFailure(e, d.signal);
  } finally {
    d.done();
  }
}

function safeName(camera: string): string {
  return camera.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64);
}

/**
 * Passes the body through while hashing it, and fails it as soon as it is not a JPEG (no FF D8 at
 * the start) or grows past the limit; {@link verifyEnd} checks the FF D9 at the end.
 */
class JpegCheck extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private head = Buffer.alloc(0);
  private tail = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes)
      return done(new PullFailure('too-big', `answer over ${this.maxBytes} bytes`));
    if (this.head.length < 2) {
      this.head = Buffer.concat([this.head, chunk]).subarray(0, 2);
      if (this.head.length >= 1 && this.head[0] !== 0xff) return done(notJpeg(this.head));
      if (this.head.length === 2 && this.head[1] !== 0xd8) return done(notJpeg(this.head));
    }
    this.tail = Buffer.concat([this.tail, chunk.subarray(-2)]).subarray(-2);
    this.hash.update(chunk);
    done(null, chunk);
  }

  verifyEnd(): void {
    if (this.bytes < 4) throw new PullFailure('garbage', `answer of ${this.bytes} bytes is no JPEG`);
    if (this.tail[0] !== 0xff || this.tail[1] !== 0xd9)
      throw new PullFailure('garbage', 'JPEG without its end marker (truncated)');
  }

  sha256(): string {
    return this.hash.digest('hex');
  }
}

function notJpeg(head: Buffer): PullFailure {
  const text = head.toString('latin1');
  return new PullFailure('garbage', `answer is not a JPEG (starts ${JSON.stringify(text)})`);
}
