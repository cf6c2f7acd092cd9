/**
 * RTSP 1.0 (RFC 2326) framing on one TCP connection: requests (text, like HTTP/1.1) and
 * interleaved binary frames (`$`, channel, 16-bit length, payload) mixed on the same byte stream.
 * Pure: bytes in, messages out; chunk boundaries may fall anywhere. Memory is bounded: a request
 * head longer than `maxHeadBytes` or a body longer than `maxBodyBytes` is an error (the caller
 * answers and closes), never an ever-growing buffer.
 */

/** One parsed request. Header names are lower-cased; a repeated header keeps its last value. */
export interface RtspRequest {
  method: string;
  url: string;
  version: string;
  headers: Map<string, string>;
  body: Buffer;
}

/** One interleaved frame (`$` framing, RFC 2326 §10.12). */
export interface InterleavedFrame {
  channel: number;
  payload: Buffer;
}

export type RtspMessage =
  { kind: 'request'; request: RtspRequest } | { kind: 'frame'; frame: InterleavedFrame };

/** Why the stream cannot be read further; `status` is the reply to send before closing. */
export class RtspFramingError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RtspFramingError';
  }
}

export interface RtspReaderOptions {
  /** Request line + headers, bytes (default 8 KiB: ffmpeg's and VLC's requests are < 1 KiB). */
  maxHeadBytes?: number;
  /** Body (an ANNOUNCE's SDP), bytes (default 64 KiB; ffmpeg caps its SDP at 16 KiB). */
  maxBodyBytes?: number;
}

const DOLLAR = 0x24;
const HEAD_END = Buffer.from('\r\n\r\n');
const METHOD = /^[A-Z_]{1,32}$/;
/** What the first bytes of a request may be: a method (still arriving, or followed by a space). */
const PREFIX = /^(?:[A-Z_]{1,32} |[A-Z_]{0,32}$)/;

/**
 * Incremental reader. `push(chunk)` returns the complete messages so far; it throws
 * {@link RtspFramingError} on input it cannot frame (after which the reader is unusable).
 */
export class RtspReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly maxHead: number;
  private readonly maxBody: number;

  constructor(opts: RtspReaderOptions = {}) {
    this.maxHead = opts.maxHeadBytes ?? 8 * 1024;
    this.maxBody = opts.maxBodyBytes ?? 64 * 1024;
  }

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): RtspMessage[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: RtspMessage[] = [];
    let off = 0;
    for (;;) {
      const rest = this.buf.length - off;
      if (rest === 0) break;
      if (this.buf[off] === DOLLAR) {
        if (rest < 4) break;
        const len = this.buf.readUInt16BE(off + 2);
        if (rest < 4 + len) break;
        // A copy: the payload outlives this chunk (queued to players' sockets).
        const payload = Buffer.from(this.buf.subarray(off + 4, off + 4 + len));
        out.push({ kind: 'frame', frame: { channel: this.buf[off + 1] ?? 0, payload } });
        off += 4 + len;
        continue;
      }
      // Tolerate stray CRLFs between messages (some clients send one after a body).
      if (this.buf[off] === 0x0d || this.buf[off] === 0x0a) {
        off++;
        continue;
      }
      const end = this.buf.indexOf(HEAD_END, off);
      // Garbage is refused as soon as it cannot be the start of a request line, not after the
      // head bound or the idle timeout.
      if (!PREFIX.test(this.buf.toString('latin1', off, Math.min(this.buf.length, off + 34))))
        throw new RtspFramingError(400, 'not an RTSP request');
      if (end < 0) {
        if (rest > this.maxHead) throw new RtspFramingError(400, `request head over ${this.maxHead} bytes`);
        break;
      }
      if (end - off > this.maxHead)
        throw new RtspFramingError(400, `request head over ${this.maxHead} bytes`);
      const head = parseHead(this.buf.toString('latin1', off, end));
      const lenText = head.headers.get('content-length') ?? '0';
      if (!/^\d{1,9}$/.test(lenText))
        throw new RtspFramingError(400, `bad Content-Length ${lenText.slice(0, 20)}`);
      const bodyLen = Number(lenText);
      if (bodyLen > this.maxBody)
        throw new RtspFramingError(413, `body of ${bodyLen} bytes over ${this.maxBody}`);
      const bodyStart = end + HEAD_END.length;
      if (this.buf.length < bodyStart + bodyLen) break;
      const body = Buffer.from(this.buf.subarray(bodyStart, bodyStart + bodyLen));
      out.push({ kind: 'request', request: { ...head, body } });
      off = bodyStart + bodyLen;
    }
    this.buf = off === 0 ? this.buf : Buffer.from(this.buf.subarray(off));
    return out;
  }
}

/** The request line and headers. Throws {@link RtspFramingError} (400) on anything else. */
export function parseHead(text: string): Omit<RtspRequest, 'body'> {
  const lines = text.split('\r\n');
  const parts = (lines[0] ?? '').split(' ');
  const [method, url, version] = parts;
  if (parts.length !== 3 || !method || !url || !version || !METHOD.test(method))
    throw new RtspFramingError(400, 'malformed request line');
  if (!/^RTSP\/\d\.\d$/.test(version))
    throw new RtspFramingError(400, `not an RTSP request (${version.slice(0, 16)})`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new RtspFramingError(400, 'malformed header line');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { method, url, version, headers };
}

/** Standard reason phrases of the statuses this server sends (RFC 2326 §7.1.1). */
export const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  453: 'Not Enough Bandwidth',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'RTSP Version Not Supported',
};

/**
 * One response. CR and LF in header values are replaced (a value never splits into two headers,
 * whatever a client echoed into it).
 */
export function formatResponse(
  status: number,
  headers: Record<string, string | number>,
  body?: string,
): Buffer {
  const clean = (v: string | number): string => String(v).replace(/[\r\n]+/g, ' ');
  const lines = [`RTSP/1.0 ${status} ${REASONS[status] ?? 'Error'}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${clean(v)}`);
  const b = body === undefined ? Buffer.alloc(0) : Buffer.from(body, 'utf8');
  if (b.length > 0) lines.push(`Content-Length: ${b.length}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), b]);
}

/** The 4-byte `$` header of an interleaved frame (payloads are < 64 KiB: RTP over TCP). */
export function frameHeader(channel: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(4);
  h[0] = DOLLAR;
  h[1] = channel & 0xff;
  h.writeUInt16BE(length, 2);
  return h;
}
