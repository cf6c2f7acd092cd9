import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createSHA256, type IHasher } from 'hash-wasm';
import type { BodySource } from './target.js';

/**
 * The running SHA-256 of an upload, carried from part to part and across restarts: hash-wasm's
 * saved state (the midstate: 8 words, the buffered tail and the length) in base64. Object stores
 * verify no SHA-256 of a multipart object, so the station hashes every byte as it goes out and
 * keeps the state of the parts the store confirmed (by MD5): at the end it knows the SHA-256 of
 * exactly what the store holds, without reading the object back over a slow link.
 */
export async function resumeSha256(saved: string | undefined): Promise<IHasher> {
  const h = await createSHA256();
  h.init();
  if (saved) h.load(Buffer.from(saved, 'base64'));
  return h;
}

export const saveSha256 = (h: IHasher): string => Buffer.from(h.save()).toString('base64');

/** A part's bytes on their way out, MD5- and SHA-256-hashed as they pass, with their count. */
export interface PartStream {
  stream: Readable;
  /** Bytes handed to the request so far. */
  sent(): number;
  /** The body ended before `length` bytes (preempted, paused): the request must not complete. */
  short(): boolean;
  /** When the last byte was handed over (0: not yet). */
  endedAt(): number;
  md5(): string;
}

export class ShortBody extends Error {
  constructor(
    readonly sent: number,
    readonly length: number,
  ) {
    super(`the part was cut short at ${sent} of ${length} bytes`);
    this.name = 'ShortBody';
  }
}

/**
 * A body of exactly `length` bytes for a request with a Content-Length: fewer (the runner stopped
 * early) fail the stream, so the store keeps nothing of the part; more are never taken.
 */
export function partStream(body: BodySource, length: number, sha?: IHasher): PartStream {
  const md5: Hash = createHash('md5');
  let sent = 0;
  let short = false;
  let endedAt = 0;
  async function* gen(): AsyncGenerator<Buffer> {
    for await (const slice of body) {
      const take = slice.length > length - sent ? slice.subarray(0, length - sent) : slice;
      if (take.length === 0) break;
      md5.update(take);
      sha?.update(take);
      sent += take.length;
      yield take;
      if (sent >= length) break;
    }
    if (sent < length) {
      short = true;
      throw new ShortBody(sent, length);
    }
    endedAt = Date.now();
  }
  return {
    stream: Readable.from(gen(), { objectMode: false }),
    sent: () => sent,
    short: () => short,
    endedAt: () => endedAt,
    md5: () => md5.digest('hex'),
  };
}
