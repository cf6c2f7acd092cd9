import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { get, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { insertPendingItem, markStored } from '../../../src/library/catalog/items.js';
import type { Catalog } from '../../../src/library/catalog/open.js';
import { buildItemRow } from '../../../src/library/item-row.js';
import type { MediaFacts } from '../../../src/media/types.js';
import { feedHub } from '../../../src/recorder/live/feed.js';
import type { LiveHub } from '../../../src/recorder/live/hub.js';
import { liveFilter } from '../../../src/recorder/live/overlay.js';

/**
 * A real ffmpeg producing the live output the way the recorder does: MJPEG on fd 4
 * (`pipe:4`, the child's stdio[4]), fed into a hub. `testsrc2` moves, so frames differ.
 */
export function startTestCamera(
  hub: LiveHub,
  opts: { fps?: number; width?: number; timestamp?: boolean } = {},
): { child: ChildProcess; stop(): Promise<void> } {
  const fps = opts.fps ?? 10;
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=640x360:rate=${fps}`,
    '-vf',
    liveFilter({ fps, width: opts.width ?? 320, timestamp: opts.timestamp ?? true }),
    '-c:v',
    'mjpeg',
    '-q:v',
    '7',
    '-f',
    'mjpeg',
    'pipe:4',
  ];
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    if (stderr.length < 10_000) stderr += b.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const feed = feedHub(child.stdio[4] as Readable, hub);
  return {
    child,
    stop: async () => {
      feed.stop();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      if (stderr.trim()) console.error(`ffmpeg: ${stderr.trim()}`);
    },
  };
}

export interface LivePart {
  headers: Record<string, string>;
  jpeg: Buffer;
}

/**
 * Reads a multipart/x-mixed-replace response part by part (each part has a Content-Length,
 * and is followed by its boundary line).
 */
export class MultipartReader {
  readonly parts: LivePart[] = [];
  ended = false;
  /** A framing error (the test fails with it). */
  failure: Error | undefined;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private readonly boundary: Buffer;

  constructor(
    readonly res: IncomingMessage,
    boundary: string,
  ) {
    this.boundary = Buffer.from(`--${boundary}\r\n`);
    res.on('data', (b: Buffer) => {
      this.buf = Buffer.concat([this.buf, b]);
      try {
        this.parse();
      } catch (e) {
        this.failure = e as Error;
        res.destroy();
      }
      this.wake();
    });
    res.on('end', () => {
      this.ended = true;
      this.wake();
    });
    res.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }

  /** Resolves once `n` parts arrived in total (rejects when the stream ends first or on timeout). */
  async waitFor(n: number, timeoutMs = 10_000): Promise<LivePart[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.parts.length < n) {
      if (this.failure) throw this.failure;
      if (this.ended) throw new Error(`stream ended after ${this.parts.length} of ${n} parts`);
      if (Date.now() > deadline)
        throw new Error(`only ${this.parts.length} of ${n} parts in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.parts;
  }

  /** Resolves when the response ends. */
  async waitEnd(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`stream still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  private parse(): void {
    for (;;) {
      if (this.buf.length < this.boundary.length) return;
      if (!this.buf.subarray(0, this.boundary.length).equals(this.boundary))
        throw new Error(
          `expected a boundary, got ${JSON.stringify(this.buf.subarray(0, 40).toString('latin1'))}`,
        );
      const headEnd = this.buf.indexOf('\r\n\r\n', this.boundary.length);
      if (headEnd < 0) return;
      const headers: Record<string, string> = {};
      for (const line of this.buf.subarray(this.boundary.length, headEnd).toString('latin1').split('\r\n')) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const len = Number(headers['content-length']);
      if (!Number.isInteger(len)) throw new Error('part without Content-Length');
      const start = headEnd + 4;
      if (this.buf.length < start + len + 2) return;
      this.parts.push({ headers, jpeg: Buffer.from(this.buf.subarray(start, start + len)) });
      if (this.buf.subarray(start + len, start + len + 2).toString('latin1') !== '\r\n')
        throw new Error('part not followed by CRLF');
      this.buf = this.buf.subarray(start + len + 2);
    }
  }
}

/** GET a URL on loopback and resolve with the response (any status). */
export function httpGet(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, resolve).on('error', reject);
  });
}

export async function readBody(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A recorded video item as the recorder would catalogue it (facts.recording, docs/recorder.md). */
export async function insertRecording(
  cat: Catalog,
  n: number,
  recording: { camera: string; mode: 'motion' | 'continuous'; start: string },
  type: 'video' | 'photo' = 'video',
): Promise<string> {
  const id = createHash('sha256').update(`rec-${n}`).digest('hex');
  const facts: MediaFacts & { recording: Record<string, unknown> } = {
    durationS: 12,
    // As the recorder catalogues a segment: its start is the capture time (segment-item.ts).
    capturedAt: { local: recording.start, source: 'video' },
    recording: {
      ...recording,
      end: recording.start,
      peakScore: 0.4 + n / 100,
      box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 },
    },
  };
  const row = buildItemRow(
    {
      sha256: id,
      type,
      ext: type === 'video' ? 'mp4' : 'jpg',
      size: 1000 + n,
      monitor: recording.camera,
      originalName: `${recording.camera}-${n}.mp4`,
      mtimeMs: Date.parse(`${recording.start}Z`),
      importedAt: '2024-06-01T10:00:00.000Z',
      cardId: `cam:${recording.camera}`,
      probe: { facts, warnings: [] },
      timeZone: 'UTC',
    },
    `library/${recording.camera}/${recording.start.slice(0, 10)}/${id.slice(0, 16)}.mp4`,
  );
  await insertPendingItem(cat, row);
  await markStored(cat, id);
  return id;
}
