import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

/**
 * The bytes of a file that is still being written (a fragmented MP4 as ffmpeg makes it), as they
 * come: at its end it waits and reads again, until `done()` says the writer finished. The file
 * handle is the caller's to have opened (so the file may be removed meanwhile) and is closed here.
 */
export function followFile(fh: FileHandle, done: () => boolean, pollMs = 100): Readable {
  let pos = 0;
  let closed = false;
  return new Readable({
    highWaterMark: 256 * 1024,
    read(size) {
      void (async () => {
        const buf = Buffer.allocUnsafe(Math.max(64 * 1024, Math.min(size, 1024 * 1024)));
        for (;;) {
          if (closed) return;
          // Whether the writer was done before this read: then an empty read is the real end.
          const finished = done();
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          if (bytesRead > 0) {
            pos += bytesRead;
            this.push(Buffer.from(buf.subarray(0, bytesRead)));
            return;
          }
          if (finished) {
            this.push(null);
            return;
          }
          await new Promise((r) => setTimeout(r, pollMs));
        }
      })().catch((e: unknown) => this.destroy(e instanceof Error ? e : new Error(String(e))));
    },
    destroy(err, cb) {
      closed = true;
      fh.close().then(
        () => cb(err),
        () => cb(err),
      );
    },
  });
}
