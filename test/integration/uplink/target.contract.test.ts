import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeHlc, hlcTick } from '../../../src/core/hlc.js';
import { HqTusTarget } from '../../../src/uplink/targets/hq-tus.js';
import { MemoryTarget } from '../../../src/uplink/targets/memory.js';
import {
  UploadFailure,
  type BodySource,
  type NewUpload,
  type ObjectRef,
  type UploadFailureKind,
  type UploadTarget,
} from '../../../src/uplink/targets/target.js';
import { itemFacts, randomBytesSeeded, sha256, startTestHq, type TestHq } from '../../kit/hq.js';
import { startTestAzurite } from '../../kit/azurite.js';
import { azureTarget, s3Target } from '../../kit/buckets.js';
import { startTestSwift, swiftInstalled } from '../../kit/swift.js';

/** One implementation under test: how to make it, and how to tell it an item exists first. */
interface Impl {
  name: string;
  start(): Promise<{ target: UploadTarget; unknownUrl: string; stop(): Promise<void> }>;
  /** The target keeps an op log others' edits can be pulled from (HQ); a bare bucket does not. */
  opLog: boolean;
  /** An upload the target never heard of reads as empty (Azure: blocks under an unused nonce), not gone. */
  unknownIsEmpty?: boolean;
}

const FAKE_SHA = 'ab'.repeat(32);

const NODE = 'station-contract';

const impls: Impl[] = [
  {
    name: 'memory',
    start: () =>
      Promise.resolve({
        target: new MemoryTarget(),
        unknownUrl: 'memory://uploads/999',
        stop: async () => {},
      }),
    opLog: true,
  },
  {
    name: 'hq-tus (real HQ on loopback)',
    start: async () => {
      const hq: TestHq = await startTestHq();
      const target = new HqTusTarget({
        url: hq.url,
        key: hq.key(NODE),
        stallTimeoutMs: 5000,
        requestTimeoutMs: 5000,
      });
      return {
        target,
        unknownUrl: `${hq.url}/hq/v1/uploads/${'0'.repeat(32)}`,
        stop: async () => {
          target.close();
          await hq.close();
        },
      };
    },
    opLog: true,
  },
  {
    name: 'S3 bucket (OpenStack Swift s3api on loopback)',
    start: async () => {
      const swift = await startTestSwift();
      const { target } = await s3Target(swift);
      return {
        target,
        unknownUrl: `s3:outpost/objects/ab/${FAKE_SHA}?upload=nonexistent&size=100&sha256=${FAKE_SHA}`,
        stop: async () => {
          target.close();
          await swift.stop();
        },
      };
    },
    opLog: false,
  },
  {
    name: 'Azure container (Azurite on loopback)',
    start: async () => {
      const azurite = await startTestAzurite();
      const { target } = await azureTarget(azurite);
      return {
        target,
        unknownUrl: `azure:outpost/objects/ab/${FAKE_SHA}?upload=0123456789abcdef&size=100&sha256=${FAKE_SHA}`,
        stop: async () => {
          target.close();
          await azurite.stop();
        },
      };
    },
    opLog: false,
    unknownIsEmpty: true,
  },
];
if (!swiftInstalled())
  throw new Error('OpenStack Swift is not installed: run OUTPOST_DEV=1 bash scripts/system-deps.sh');

async function* slices(b: Buffer, size = 4096): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

const original = (bytes: Buffer, n: number): NewUpload => {
  const h = sha256(bytes);
  return { item: h, rendition: 'original', sha256: h, size: bytes.length, name: `IMG_${n}.JPG` };
};

/** Only the fields of an object reference (HQ refuses extra ones). */
const ref = (u: NewUpload): ObjectRef => ({ item: u.item, rendition: u.rendition, sha256: u.sha256 });

async function failureOf(p: Promise<unknown>): Promise<UploadFailureKind> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof UploadFailure, `an UploadFailure, got ${String(e)}`);
    return e.kind;
  }
  assert.fail('expected a failure');
}

/** The byte and op-sync contract every upload target keeps (HQ over tus, memory; S3 or Azure next). */
for (const impl of impls)
  describe(`upload target contract: ${impl.name}`, { timeout: 60_000 }, () => {
    let t: UploadTarget;
    let unknownUrl: string;
    let stop: () => Promise<void>;
    let seed = 1;
    /** Bytes of a new item whose facts the target holds (HQ takes bytes of known items only). */
    const newItem = async (n: number): Promise<{ bytes: Buffer; up: NewUpload }> => {
      const bytes = randomBytesSeeded(n, seed++);
      const up = original(bytes, seed);
      await t.sync({ items: [itemFacts(up.item, seed) as { id: string }], ops: [] });
      return { bytes, up };
    };

    before(async () => {
      ({ target: t, unknownUrl, stop } = await impl.start());
    });
    after(async () => {
      await stop();
    });

    it('create with the whole body: the object is held, verified', async () => {
      const { bytes, up } = await newItem(50_000);
      assert.deepEqual(await t.have([ref(up)]), [false]);
      const c = await t.create(up, slices(bytes));
      assert.equal(c.offset, bytes.length);
      assert.equal(c.sent, bytes.length);
      assert.ok(c.url.length > 0);
      assert.deepEqual(await t.have([ref(up)]), [true]);
    });

    it('create empty, then append in parts: offset tracks each part', async () => {
      // Parts as small as the target allows (S3: 5 MiB but the last).
      const part = Math.max(10_000, t.parts?.minBytes ?? 0);
      const { bytes, up } = await newItem(part * 3);
      const empty: BodySource = slices(Buffer.alloc(0));
      const c = await t.create(up, empty);
      assert.equal(c.offset, 0);
      assert.equal(await t.offset(c.url), 0);
      const a = await t.append(c.url, 0, slices(bytes.subarray(0, part), 65536), undefined, {
        length: part,
        state: c.state ?? null,
      });
      assert.equal(a.offset, part);
      assert.equal(await t.offset(c.url), part);
      assert.deepEqual(await t.have([ref(up)]), [false], 'not held before the last byte');
      const b = await t.append(c.url, part, slices(bytes.subarray(part), 65536), undefined, {
        length: bytes.length - part,
        state: a.state ?? null,
      });
      assert.equal(b.offset, bytes.length);
      assert.deepEqual(await t.have([ref(up)]), [true]);
    });

    it('append at an offset that is not the target’s: conflict', async () => {
      const { bytes, up } = await newItem(20_000);
      const c = await t.create(up, slices(bytes.subarray(0, 5000)));
      assert.equal(c.offset, 5000);
      assert.equal(await failureOf(t.append(c.url, 4000, slices(bytes.subarray(4000)))), 'conflict');
      assert.equal(await t.offset(c.url), 5000);
    });

    it('bytes that do not hash to the claimed id: checksum, and nothing is held', async () => {
      const { bytes, up } = await newItem(8000);
      const wrong = Buffer.from(bytes);
      wrong[100] = wrong[100]! ^ 0xff;
      assert.equal(await failureOf(t.create(up, slices(wrong))), 'checksum');
      assert.deepEqual(await t.have([ref(up)]), [false]);
    });

    it('an upload the target does not know: gone (or empty, where the store cannot tell)', async () => {
      if (impl.unknownIsEmpty) assert.equal(await t.offset(unknownUrl), 0);
      else assert.equal(await failureOf(t.offset(unknownUrl)), 'gone');
    });

    it('have answers each object in order', async () => {
      const a = await newItem(1000);
      const b = await newItem(1000);
      await t.create(b.up, slices(b.bytes));
      assert.deepEqual(await t.have([ref(a.up), ref(b.up), ref(a.up)]), [false, true, false]);
      assert.deepEqual(await t.have([]), []);
    });

    if (!impl.opLog)
      it('sync takes facts and ops; a bare bucket has no others’ ops to pull', async () => {
        const { up } = await newItem(100);
        const op = {
          entity: 'item' as const,
          id: up.item,
          field: 'rating',
          value: 2,
          hlc: encodeHlc(hlcTick(undefined, Date.now(), NODE)),
          origin: NODE,
        };
        assert.equal(typeof (await t.sync({ items: [], ops: [op] })).cursor, 'number');
        assert.deepEqual((await t.pullOps(7)).ops, []);
        assert.equal((await t.pullOps(7)).cursor, 7);
      });
    else
      it('sync answers a cursor; pullOps pages from a cursor and never goes back', async () => {
        const { up } = await newItem(100);
        const r = await t.sync({
          items: [],
          ops: [
            {
              entity: 'item',
              id: up.item,
              field: 'rating',
              value: 4,
              hlc: encodeHlc(hlcTick(undefined, Date.now(), NODE)),
              origin: NODE,
            },
          ],
        });
        assert.equal(typeof r.cursor, 'number');
        const all = await t.pullOps(0);
        assert.ok(all.ops.some((o) => o.id === up.item && o.field === 'rating' && o.value === 4));
        assert.ok(all.cursor >= r.cursor || all.cursor > 0);
        const rest = await t.pullOps(all.cursor);
        assert.equal(rest.ops.length, 0);
        assert.equal(rest.cursor, all.cursor);
      });
  });
