/**
 * Test kit of the RTSP relay: a raw RTSP client on a socket (requests out; responses and
 * interleaved frames in, counted), a fake publisher that pushes H.264-looking RTP as fast as the
 * socket takes it, and ffmpeg/ffprobe runners.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** A raw RTSP client: one connection, requests in order, frames counted. */
export class RawRtspClient {
  readonly socket: Socket;
  private buf = Buffer.alloc(0);
  private cseq = 0;
  private waiters: ((r: RawResponse) => void)[] = [];
  session?: string;
  frames = 0;
  frameBytes = 0;
  /** The first RTP payload (channel 0) received. */
  firstRtp?: Buffer;
  ended = false;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true;
        resolve();
      }),
    );
  }

  /** A client on a socket already connected. */
  static wrap(socket: Socket): RawRtspClient {
    return new RawRtspClient(socket);
  }

  static open(port: number): Promise<RawRtspClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawRtspClient(s)));
      s.once('error', reject);
    });
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf.length === 0) return;
      if (this.buf[0] === 0x24) {
        if (this.buf.length < 4) return;
        const len = this.buf.readUInt16BE(2);
        if (this.buf.length < 4 + len) return;
        if (this.buf[1] === 0 && !this.firstRtp) this.firstRtp = Buffer.from(this.buf.subarray(4, 4 + len));
        this.frames++;
        this.frameBytes += len;
        this.buf = this.buf.subarray(4 + len);
        continue;
      }
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = this.buf.toString('latin1', 0, end).split('\r\n');
      const headers = new Map<string, string>();
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
      }
      const len = Number(headers.get('content-length') ?? 0);
      if (this.buf.length < end + 4 + len) return;
      const body = this.buf.toString('utf8', end + 4, end + 4 + len);
      this.buf = this.buf.subarray(end + 4 + len);
      const status = Number((lines[0] ?? '').split(' ')[1]);
      this.waiters.shift()?.({ status, headers, body });
    }
  }

  /** Send a request, resolve with its response (or reject when the connection closes first). */
  request(
    method: string,
    url: string,
    headers: Record<string, string> = {},
    body = '',
  ): Promise<RawResponse> {
    const h: Record<string, string> = { CSeq: String(++this.cseq), ...headers };
    if (this.session && !('Session' in h)) h.Session = this.session;
    if (body) h['Content-Length'] = String(Buffer.byteLength(body));
    const text = `${method} ${url} RTSP/1.0\r\n${Object.entries(h)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n${body}`;
    return new Promise((resolve, reject) => {
      this.waiters.push((r) => {
        const s = r.headers.get('session');
        if (s) this.session = s.split(';')[0];
        resolve(r);
      });
      void this.closed.then(() => reject(new Error(`connection closed before the ${method} reply`)));
      this.socket.write(text);
    });
  }

  /** DESCRIBE, SETUP track 0 over TCP, PLAY. */
  async play(port: number, path: string): Promise<void> {
    const url = `rtsp://127.0.0.1:${port}/${path}`;
    const d = await this.request('DESCRIBE', url, { Accept: 'application/sdp' });
    if (d.status !== 200) throw new Error(`DESCRIBE ${d.status}`);
    const s = await this.request('SETUP', `${url}/trackID=0`, {
      Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
    });
    if (s.status !== 200) throw new Error(`SETUP ${s.status}`);
    const p = await this.request('PLAY', url);
    if (p.status !== 200) throw new Error(`PLAY ${p.status}`);
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface ProcResult {
  code: number | null;
  stderr: string;
}

/** Run a program to its end (or kill it after timeoutMs). */
export function run(
  cmd: string,
  args: string[],
  timeoutMs = 30_000,
): Promise<ProcResult & { stdout: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A real ffmpeg publishing testsrc2 320x240 at 10 fps (keyframe every second) to `url`. */
export function startPublisher(url: string): { proc: ChildProcess; exited: Promise<ProcResult> } {
  // prettier-ignore
  const proc = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'warning', '-nostdin',
    '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p',
    '-f', 'rtsp', '-rtsp_transport', 'tcp', url,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<ProcResult>((resolve) => proc.on('close', (code) => resolve({ code, stderr })));
  return { proc, exited };
}

/** Frames in a file, decoded (the test kit's ffprobe). */
export { countFrames } from '../../kit/ffprobe.js';

/** Poll until `check` is true (or fail after timeoutMs). */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The SDP of one H.264 track, as a publisher announces it. */
export const FAKE_SDP =
  'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=fake\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
  'm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:streamid=0\r\n';

/**
 * A publisher that pushes 1400-byte H.264-looking RTP packets (a keyframe start every `gop`)
 * as fast as its socket drains, until stopped. Counts what it managed to send.
 */
export async function startFastPublisher(
  port: number,
  path: string,
  gop = 20,
): Promise<{ sent: () => number; stop: () => Promise<void>; client: RawRtspClient }> {
  const c = await RawRtspClient.open(port);
  const url = `rtsp://127.0.0.1:${port}/${path}`;
  const a = await c.request('ANNOUNCE', url, { 'Content-Type': 'application/sdp' }, FAKE_SDP);
  if (a.status !== 200) throw new Error(`ANNOUNCE ${a.status}`);
  const s = await c.request('SETUP', `${url}/streamid=0`, {
    Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record',
  });
  if (s.status !== 200) throw new Error(`SETUP ${s.status}`);
  const r = await c.request('RECORD', url, { Range: 'npt=0.000-' });
  if (r.status !== 200) throw new Error(`RECORD ${r.status}`);
  let n = 0;
  let stopped = false;
  const packet = (i: number): Buffer => {
    const b = Buffer.alloc(4 + 1400);
    b[0] = 0x24;
    b[1] = 0;
    b.writeUInt16BE(1400, 2);
    b[4] = 0x80;
    b[5] = 96;
    b.writeUInt16BE(i & 0xffff, 6);
    b[16] = i % gop === 0 ? 0x65 : 0x41; // IDR or non-IDR slice
    return b;
  };
  const done = (async () => {
    while (!stopped && !c.ended) {
      // Write until the socket says "enough", then wait for it to drain: the relay's pace.
      while (c.socket.write(packet(n++)) && n % 64 !== 0);
      if (c.socket.writableLength > 0)
        await Promise.race([new Promise((res) => c.socket.once('drain', res)), c.closed]);
      else await new Promise((res) => setImmediate(res));
    }
  })();
  return {
    sent: () => n,
    client: c,
    stop: async () => {
      stopped = true;
      await done;
      c.close();
    },
  };
}
