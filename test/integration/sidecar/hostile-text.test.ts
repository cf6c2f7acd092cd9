import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { attributePatchSchema, type AttributePatch, type Attributes } from '../../../src/core/attributes.js';
import { applyAttributes, attributesOf } from '../../../src/library/attributes.js';
import { openCatalog } from '../../../src/library/catalog/open.js';
import type { ItemRow } from '../../../src/library/catalog/schema.js';
import { sidecarRelPath } from '../../../src/library/sidecar/write.js';
import { json, outpost } from '../../kit/cli.js';
import { asList, exiftool, makeLibrary, type TestLibrary } from './helpers.js';
import { sqliteOf } from '../../../src/library/catalog/handle.js';

const NODE = 'station-test';
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

/** 64-character tags (the longest allowed), 100 of them (the most allowed), markup and all. */
const longTags = Array.from({ length: 100 }, (_, i) =>
  `tag ${String(i).padStart(3, '0')} <b>&amp;</b> "q" 'a' — 😀 ${'ж'.repeat(64)}`.slice(0, 62).trimEnd(),
);

/** Hostile but valid text: everything here must come back from the sidecar exactly. */
const PATCHES: AttributePatch[] = [
  {
    event: `He said "hi" & <left> 'right' </x:xmpmeta> ]]>`,
    tags: ['<img src=x onerror=alert(1)>', '&amp;', '"quoted"', "it's", 'a>b', '<!-- x -->', '&#x41;'],
    notes:
      'Line 1\n\tIndented <b>bold</b> & "q" \'s\'\n]]> <!-- not a comment --> &#x41; <?xpacket end="w"?>\n',
    rating: 4,
  },
  {
    event: '😀🦁 Löwe — שלום \u200F\u200E\u202Bembedded\u202C',
    tags: ['🦁', '👩‍👩‍👧', 'עברית', 'العربية', '\u200Fmark', 'e\u0301 combining', 'ﬁ ligature', 'Ω', '中文'],
    notes: 'RTL override: \u202Egpj.exe\u202C\nzero width: a\u200Bb\u2060c\nastral: 𝒳 𝟘 🂡',
    priority: true,
  },
  {
    event: 'x'.repeat(120),
    tags: longTags,
    notes: `  leading and trailing spaces, then a long line  ${'<&>"\' ±'.repeat(1500)}`.slice(0, 10_000),
    location: { lat: -1.2921, lon: 36.8219 },
  },
  { event: 'a  b  c', tags: ['  spaced  ', 'x y'], notes: '\t\ttabs only\t' },
];

describe(
  'hostile but valid text round-trips through sidecars, exiftool and outpost rebuild',
  { timeout: 180_000 },
  () => {
    let dir: string;
    let lib: TestLibrary;
    let root: string;
    const sidecar = (row: ItemRow): string => join(root, sidecarRelPath(row));
    /** What the API would store for each patch (trimmed, deduplicated). */
    const stored: Attributes[] = [];

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'outpost-hostile-sidecar-'));
      lib = await makeLibrary(join(dir, 'drive'), PATCHES.length + 1);
      root = lib.root;
      for (const [i, patch] of PATCHES.entries()) {
        const parsed = attributePatchSchema.parse(patch);
        const [row] = await applyAttributes(lib.cat, root, [lib.items[i]!.id], parsed, {
          node: NODE,
          nowMs: T0 + i,
        });
        stored.push(attributesOf(row!));
      }
    });
    after(async () => {
      await lib.cat.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });

    it('the catalogue keeps them as given (trimmed like any value)', () => {
      assert.equal(stored[0]!.event, PATCHES[0]!.event);
      assert.deepEqual(stored[1]!.tags, PATCHES[1]!.tags);
      assert.deepEqual(stored[2]!.tags, longTags);
      assert.deepEqual(stored[3]!.tags, ['spaced', 'x y']);
      assert.equal(stored[2]!.notes!.length, 10_000);
    });

    it('exiftool reads every value back exactly', () => {
      for (const [i, want] of stored.entries()) {
        const x = exiftool(['-G1', '-XMP:all'], sidecar(lib.items[i]!));
        assert.equal(x['XMP-iptcExt:Event'], want.event, `event of item ${i}`);
        assert.deepEqual(asList(x['XMP-dc:Subject']), want.tags, `tags of item ${i}`);
        assert.equal(x['XMP-dc:Description'], want.notes, `notes of item ${i}`);
      }
    });

    it('the library refuses what a sidecar could not carry back, before anything changes', async () => {
      const id = lib.items[PATCHES.length]!.id;
      for (const patch of [
        { event: 'bell\u0007' },
        { tags: ['\uD800'] },
        { notes: 'nul\u0000' },
      ] as AttributePatch[])
        await assert.rejects(
          applyAttributes(lib.cat, root, [id], patch, { node: NODE, nowMs: T0 + 100 }),
          /INVALID_INPUT|must not contain/,
        );
    });

    it('outpost rebuild from the sidecars alone gives the same attributes', async () => {
      const before = new Map(
        (sqliteOf(lib.cat).prepare('select * from items').all() as ItemRow[]).map((r) => [
          r.id,
          attributesOf(r),
        ]),
      );
      await lib.cat.close();
      // The old catalogue is gone: its op log cannot help, only the sidecars can.
      for (const s of ['', '-wal', '-shm'])
        rmSync(join(root, `.outpost/catalog.sqlite${s}`), { force: true });
      const r = await outpost(['rebuild', '--library', root, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const summary = json<{ items: number; warnings: { code: string }[] }>(r);
      assert.equal(summary.items, before.size);
      assert.ok(
        !summary.warnings.some((w) => w.code === 'SIDECAR_UNREADABLE'),
        JSON.stringify(summary.warnings),
      );
      const cat = await openCatalog(join(root, '.outpost/catalog.sqlite'), { readonly: true });
      try {
        const after = new Map(
          (sqliteOf(cat).prepare('select * from items').all() as ItemRow[]).map((r2) => [
            r2.id,
            attributesOf(r2),
          ]),
        );
        assert.deepEqual(after, before);
      } finally {
        await cat.close();
      }
    });
  },
);
