import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isOutpostError } from '../../../src/core/errors.js';
import type { ObjectStore } from '../../../src/hq/object-store.js';
import { randomBytesSeeded, sha256 } from '../../kit/hq.js';

/**
 * The one contract every ObjectStore implementation must keep (local disk now; S3 and Azure Blob
 * later run the same suite): put/has/stat/get (whole and ranges)/delete/list, idempotent puts,
 * the source file left alone, bad keys refused.
 */
export function objectStoreContract(
  name: string,
  make: () => Promise<{ store: ObjectStore; cleanup(): Promise<void> }>,
): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    let cleanup: () => Promise<void>;
    let src: string;
    const a = randomBytesSeeded(300_000, 1);
    const b = Buffer.from('small object');
    const empty = Buffer.alloc(0);
    const [ha, hb, he] = [sha256(a), sha256(b), sha256(empty)];

    const read = async (s: Readable): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      for await (const c of s) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    };
    const fileWith = async (bytes: Buffer): Promise<string> => {
      const p = join(src, `f-${Math.random().toString(36).slice(2)}`);
      await writeFile(p, bytes);
      return p;
    };

    before(async () => {
      ({ store, cleanup } = await make());
      src = await mkdtemp(join(tmpdir(), 'outpost-objsrc-'));
    });
    after(async () => {
      await cleanup();
      await rm(src, { recursive: true, force: true });
    });

    it('an absent object: has false, stat undefined, get rejects OBJECT_NOT_FOUND, delete false', async () => {
      assert.equal(await store.has(ha), false);
      assert.equal(await store.stat(ha), undefined);
      await assert.rejects(store.getStream(ha), (e) => isOutpostError(e) && e.code === 'OBJECT_NOT_FOUND');
      assert.equal(await store.delete(ha), false);
    });

    it('put then get returns the same bytes; the source file stays as it was', async () => {
      const p = await fileWith(a);
      await store.putFile(ha, p);
      assert.equal(await store.has(ha), true);
      assert.deepEqual(await store.stat(ha), { size: a.length });
      assert.ok((await read(await store.getStream(ha))).equals(a));
      assert.ok((await readFile(p)).equals(a), 'source untouched');
    });

    it('byte ranges are inclusive', async () => {
      assert.ok((await read(await store.getStream(ha, { start: 0, end: 0 }))).equals(a.subarray(0, 1)));
      assert.ok(
        (await read(await store.getStream(ha, { start: 1000, end: 200_999 }))).equals(
          a.subarray(1000, 201_000),
        ),
      );
      const last = a.length - 1;
      assert.ok((await read(await store.getStream(ha, { start: last, end: last }))).equals(a.subarray(last)));
    });

    it('a second put of the same hash is a no-op; the empty object works', async () => {
      await store.putFile(ha, await fileWith(a));
      await store.putFile(hb, await fileWith(b));
      await store.putFile(he, await fileWith(empty));
      assert.deepEqual(await store.stat(he), { size: 0 });
      assert.equal((await read(await store.getStream(he))).length, 0);
      assert.ok((await read(await store.getStream(hb))).equals(b));
    });

    it('list yields every object once', async () => {
      const seen: string[] = [];
      for await (const h of store.list()) seen.push(h);
      assert.deepEqual(seen.sort(), [ha, hb, he].sort());
    });

    it('delete removes one object and leaves the others', async () => {
      assert.equal(await store.delete(hb), true);
      assert.equal(await store.has(hb), false);
      assert.equal(await store.delete(hb), false);
      assert.equal(await store.has(ha), true);
    });

    it('keys that are not 64 lowercase hex are refused (no paths from keys)', async () => {
      for (const bad of [
        '../' + ha.slice(3),
        ha.toUpperCase(),
        ha.slice(1),
        `${ha}/x`,
        '',
        '..',
        `${ha.slice(0, 63)}\u0000`,
      ]) {
        await assert.rejects(store.has(bad), (e) => isOutpostError(e) && e.code === 'INVALID_INPUT', bad);
        await assert.rejects(
          store.putFile(bad, join(src, 'nothing')),
          (e) => isOutpostError(e) && e.code === 'INVALID_INPUT',
        );
      }
    });
  });
}
