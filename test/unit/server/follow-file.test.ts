import assert from 'node:assert/strict';
import { appendFile, mkdtemp, open, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { followFile } from '../../../src/server/follow-file.js';

describe('followFile', () => {
  it('sends a growing file as it grows, to its last byte once the writer is done (even after it is removed)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outpost-follow-'));
    const path = join(dir, 'growing.mp4');
    await writeFile(path, 'first;');
    let done = false;
    const stream = followFile(await open(path, 'r'), () => done, 10);
    const got: Buffer[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('data', (b: Buffer) => got.push(b));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 30));
      await appendFile(path, `part${i};`);
    }
    assert.ok(Buffer.concat(got).toString().startsWith('first;part0;'), 'bytes came before the end');
    await appendFile(path, 'last');
    await unlink(path);
    done = true;
    await ended;
    assert.equal(Buffer.concat(got).toString(), 'first;part0;part1;part2;part3;part4;last');
    await rm(dir, { recursive: true, force: true });
  });
});
