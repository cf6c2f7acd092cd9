import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { json, outpost } from '../../kit/cli.js';

interface Rec {
  id: string;
  path: string;
  capturedAt: string | null;
}

describe('outpost shift-time', () => {
  let work: string;
  let drive: string;
  const ls = async (): Promise<Rec[]> => json<Rec[]>(await outpost(['ls', '--library', drive, '--json']));

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'outpost-cli-shift-'));
    drive = join(work, 'drive');
    const dcim = join(work, 'card', 'DCIM', '100CAM');
    mkdirSync(dcim, { recursive: true });
    const photo = join(dcim, 'IMG_0001.JPG');
    await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 200, g: 40, b: 90 } } })
      .jpeg()
      .toFile(photo);
    // The camera's clock said 2024-05-01 23:30 (exiftool writes the EXIF date).
    execFileSync('exiftool', ['-q', '-overwrite_original', '-DateTimeOriginal=2024:05:01 23:30:00', photo]);
    assert.equal((await outpost(['init-drive', drive, '--json'])).code, 0);
    const ing = await outpost(['ingest', join(work, 'card'), '--library', drive, '--json']);
    assert.equal(ing.code, 0, ing.stderr);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('moves a card’s capture times (dry run first), renames the file, and the opposite offset undoes it', async () => {
    const [orig] = await ls();
    assert.equal(orig!.capturedAt, '2024-05-01T23:30:00');
    const cards = json<{ id: string }[]>(await outpost(['cards', 'list', '--library', drive, '--json']));
    const dry = await outpost([
      'shift-time',
      '--card',
      cards[0]!.id,
      '--by',
      '+1h',
      '--dry-run',
      '--library',
      drive,
      '--json',
    ]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(json<{ items: number }>(dry).items, 1);
    assert.equal((await ls())[0]!.capturedAt, '2024-05-01T23:30:00', 'a dry run changes nothing');

    const r = await outpost([
      'shift-time',
      '--items',
      orig!.id.slice(0, 10),
      '--by=-2d',
      '--library',
      drive,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [moved] = await ls();
    assert.equal(moved!.capturedAt, '2024-04-29T23:30:00');
    assert.match(moved!.path, /\/20240429-233000_[0-9a-f]{16}\.jpg$/);
    const human = await outpost([
      'shift-time',
      '--items',
      orig!.id.slice(0, 10),
      '--by',
      '+2d',
      '--library',
      drive,
    ]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /moved the capture times of 1 items by \+2d/);
    const [back] = await ls();
    assert.equal(back!.capturedAt, orig!.capturedAt);
    assert.equal(back!.path, orig!.path);
  });

  it('says what an offset looks like when it cannot read one', async () => {
    const r = await outpost(['shift-time', '--items', 'abc', '--by', 'tomorrow', '--library', drive]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\+1h30m/);
  });
});
