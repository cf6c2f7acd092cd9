import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { haveBody, opsQuery, syncBody } from '../../../src/hq/sync-schema.js';
import {
  expectedHash,
  shaOfUploadId,
  UPLOAD_ID_RE,
  uploadIdFor,
  validateUploadMeta,
} from '../../../src/hq/upload-metadata.js';

const H = 'a'.repeat(64);
const G = 'b'.repeat(64);

describe('upload metadata', () => {
  it('accepts an original whose sha256 is its id, and derivatives with their own hash', () => {
    assert.deepEqual(validateUploadMeta({ item: H, rendition: 'original', sha256: H, name: 'IMG 1.JPG' }), {
      ok: true,
      meta: { item: H, rendition: 'original', sha256: H, name: 'IMG 1.JPG' },
    });
    const thumb = validateUploadMeta({ item: H, rendition: 'thumb', sha256: G, extra: 'ignored' });
    assert.ok(thumb.ok);
    assert.equal(expectedHash(thumb.meta), G);
    assert.ok(validateUploadMeta({ item: H, rendition: 'preview', sha256: G }).ok);
  });

  it('lists every problem', () => {
    const r = validateUploadMeta({ item: 'X', rendition: 'raw', sha256: 'short', station: 'bravo' });
    assert.ok(!r.ok);
    assert.equal(r.problems.length, 4);
    const mismatch = validateUploadMeta({ item: H, rendition: 'original', sha256: G });
    assert.ok(!mismatch.ok && /must equal the item id/.test(mismatch.problems[0]!));
    for (const m of [
      undefined,
      {},
      { item: H.toUpperCase(), rendition: 'thumb', sha256: G },
      { item: H, rendition: null, sha256: G },
    ])
      assert.ok(!validateUploadMeta(m as Record<string, string | null>).ok);
    assert.ok(!validateUploadMeta({ item: H, rendition: 'thumb', sha256: G, name: 'a\u0000b' }).ok);
    assert.ok(!validateUploadMeta({ item: H, rendition: 'thumb', sha256: G, name: 'n'.repeat(256) }).ok);
  });

  it('upload ids are <sha256>-<32 hex> or 32 hex, nothing else', () => {
    const R = '0123456789abcdef0123456789abcdef';
    assert.ok(UPLOAD_ID_RE.test(R));
    const id = uploadIdFor(H, R);
    assert.equal(id, `${H}-${R}`);
    assert.ok(UPLOAD_ID_RE.test(id));
    assert.equal(shaOfUploadId(id), H);
    assert.equal(shaOfUploadId(R), undefined);
    // No hash (metadata that will be refused): the random part alone.
    assert.equal(uploadIdFor(undefined, R), R);
    assert.equal(uploadIdFor('not-a-hash', R), R);
    for (const bad of [
      `${H}-`,
      `${H}${R}`,
      `${H.toUpperCase()}-${R}`,
      `${H}-${R}/..`,
      '..',
      '%2e%2e',
      '0123456789abcdef0123456789abcde',
      '0123456789ABCDEF0123456789abcdef',
      'a/b',
    ])
      assert.ok(!UPLOAD_ID_RE.test(bad), bad);
  });
});

describe('sync bodies', () => {
  it('defaults and limits', () => {
    assert.deepEqual(syncBody.parse({}), { items: [], ops: [] });
    assert.ok(!syncBody.safeParse({ items: [], ops: [], extra: 1 }).success);
    assert.ok(
      !haveBody.safeParse({ objects: Array(5001).fill({ item: H, rendition: 'thumb', sha256: H }) }).success,
    );
    assert.deepEqual(opsQuery.parse({}), { since: 0, limit: 1000 });
    assert.ok(!opsQuery.safeParse({ since: '-1' }).success);
    assert.ok(!opsQuery.safeParse({ limit: '5001' }).success);
  });

  it('ops need a real HLC stamp', () => {
    const op = { entity: 'item', id: H, field: 'rating', value: 3, origin: 'a', hlc: '000000001-0000-a' };
    assert.ok(syncBody.safeParse({ ops: [op] }).success);
    assert.ok(!syncBody.safeParse({ ops: [{ ...op, hlc: 'yesterday' }] }).success);
    assert.ok(!syncBody.safeParse({ ops: [{ ...op, entity: 'user' }] }).success);
  });
});
