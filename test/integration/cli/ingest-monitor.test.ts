import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { IngestSummary } from '../../../src/ingest/types.js';
import { json, outpost } from '../../kit/cli.js';

interface CardRec {
  id: string;
  monitor: string | null;
  items: number;
}
interface ItemRec {
  id: string;
  path: string;
  monitor: string;
  originalName: string;
}

/** A small JPEG of one colour: each colour is a distinct item. */
async function photo(path: string, r: number): Promise<void> {
  await sharp({ create: { width: 16, height: 16, channels: 3, background: { r, g: 40, b: 90 } } })
    .jpeg()
    .toFile(path);
}

describe('outpost ingest --monitor remembers the card’s monitor', () => {
  let work: string;
  let drive: string;
  let card: string;
  const lib = (): string[] => ['--library', drive, '--json'];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'outpost-ingest-mon-'));
    drive = join(work, 'drive');
    card = join(work, 'card');
    mkdirSync(join(card, 'DCIM', '100CAM'), { recursive: true });
    await photo(join(card, 'DCIM', '100CAM', 'IMG_0001.JPG'), 10);
    const init = await outpost(['init-drive', drive, '--json']);
    assert.equal(init.code, 0, init.stderr);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('assigns an unassigned card: the card list shows it and the next insert files under it', async () => {
    const r = await outpost(['ingest', card, ...lib(), '--monitor', 'Rosa']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json<IngestSummary>(r).monitor, 'Rosa');
    const cards = json<CardRec[]>(await outpost(['cards', 'list', ...lib()]));
    assert.equal(cards.length, 1);
    assert.equal(cards[0]!.monitor, 'Rosa');

    // The next insert, without --monitor, files the new photo under Rosa (not _unassigned).
    await photo(join(card, 'DCIM', '100CAM', 'IMG_0002.JPG'), 200);
    const again = await outpost(['ingest', card, ...lib()]);
    assert.equal(again.code, 0, again.stderr);
    const s = json<IngestSummary>(again);
    assert.equal(s.monitor, 'Rosa');
    assert.equal(s.copied, 1);
    const items = json<ItemRec[]>(await outpost(['ls', ...lib()]));
    assert.equal(items.length, 2);
    for (const it of items) {
      assert.equal(it.monitor, 'Rosa', it.originalName);
      assert.match(it.path, /^library\/Rosa\//, it.path);
    }
  });

  it('refuses another monitor for an assigned card, saying how to reassign; --reassign does it', async () => {
    await photo(join(card, 'DCIM', '100CAM', 'IMG_0003.JPG'), 120);
    const r = await outpost(['ingest', card, ...lib(), '--monitor', 'Ben']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const err = json<{ error: { code: string; message: string; hint: string } }>(r).error;
    assert.equal(err.code, 'CARD_ASSIGNED_ELSEWHERE');
    assert.match(err.message, /Rosa/);
    assert.match(err.hint, /outpost cards assign .* "Ben"/);
    assert.match(err.hint, /--reassign/);
    // Nothing was copied and the card still belongs to Rosa.
    assert.equal(json<ItemRec[]>(await outpost(['ls', ...lib()])).length, 2);
    assert.equal(json<CardRec[]>(await outpost(['cards', 'list', ...lib()]))[0]!.monitor, 'Rosa');

    const re = await outpost(['ingest', card, ...lib(), '--monitor', 'Ben', '--reassign']);
    assert.equal(re.code, 0, re.stderr);
    assert.equal(json<IngestSummary>(re).monitor, 'Ben');
    assert.equal(json<CardRec[]>(await outpost(['cards', 'list', ...lib()]))[0]!.monitor, 'Ben');
    const items = json<ItemRec[]>(await outpost(['ls', ...lib()]));
    assert.equal(items.length, 3);
    for (const it of items) assert.match(it.path, /^library\/Ben\//, it.path);
  });

  it('the help names the rule', async () => {
    const h = await outpost(['ingest', '--help']);
    assert.match(h.stdout, /unassigned card is assigned/);
    assert.match(h.stdout, /--reassign/);
  });
});
