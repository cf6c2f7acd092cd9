import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { json, outpost, spawnOutpost } from '../kit/cli.js';
import { corpusFiles } from '../kit/fixtures.js';
import {
  CANNOT_MOUNT_MESSAGE,
  canMount,
  loopMount,
  makeExt4Image,
  makeTempDir,
  mountTmpfs,
  registerMountCleanup,
} from '../kit/mounts.js';

registerMountCleanup();

const DAY = 86_400_000;
const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

interface Rec {
  id: string;
  path: string;
}

/**
 * A Raspberry Pi with no battery clock and no internet comes back from a power cut a week behind.
 * The real station, on a clock a week behind (the composition root's test hook: tests cannot move
 * the machine's clock), with a library whose newest item is from today: it does not file a card
 * under a date a week ago; the card waits, CARD flashes red and the API says why; once an editor
 * sets the clock from the tablet's time, the card is copied under today.
 */
describe('outpost station with its clock a week behind', () => {
  before(async () => {
    if (!(await canMount())) assert.fail(CANNOT_MOUNT_MESSAGE);
  });

  it('holds the card instead of filing it a week ago, and copies it once the clock is set', async () => {
    const work = await makeTempDir('outpost-station-clock-');
    const cfg = join(work, 'config.yaml');
    writeFileSync(
      cfg,
      'station:\n' +
        `  statusFile: ${join(work, 'run', 'status.json')}\n` +
        `  clock:\n    stateFile: ${join(work, 'state', 'clock.json')}\n` +
        '  devices:\n    manage: false\n' +
        'drives:\n  health:\n    minFreeBytes: 16000000\n    warnUsedFraction: 0.9\n    fullUsedFraction: 0.98\n',
    );
    const env = { OUTPOST_CONFIG: cfg };
    const root = join(work, 'media');
    mkdirSync(root);
    const lib = join(root, 'LIBRARY');
    await mountTmpfs(lib, 256 * 1024 * 1024);
    assert.equal((await outpost(['init-drive', lib, '--label', 'A'], { env })).code, 0);
    // Today: a card ingested on a right clock, so the library's newest item is from today.
    const first = join(work, 'first-card', 'DCIM');
    mkdirSync(first, { recursive: true });
    corpusFiles()
      .slice(0, 2)
      .forEach((p, i) => copyFileSync(p, join(first, `IMG_${100 + i}.JPG`)));
    const ing = await outpost(['ingest', join(work, 'first-card'), '--library', lib, '--no-progress'], {
      env,
    });
    assert.equal(ing.code, 0, ing.stderr);
    const today = dateOf(Date.now());
    const weekAgo = dateOf(Date.now() - 7 * DAY);
    assert.deepEqual(readdirSync(join(lib, 'library', '_unassigned')), [today]);

    // `outpost ingest` on a clock a week behind refuses too (unless told the clock is right).
    const behind = { ...env, OUTPOST_TEST_CLOCK_OFFSET_MS: String(-7 * DAY) };
    const other = join(work, 'other-card', 'DCIM');
    mkdirSync(other, { recursive: true });
    copyFileSync(corpusFiles()[5]!, join(other, 'IMG_300.JPG'));
    const refused = await outpost(['ingest', join(work, 'other-card'), '--library', lib, '--no-progress'], {
      env: behind,
    });
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /CLOCK_SUSPECT/);
    assert.match(refused.stderr, /--trust-clock/);
    assert.deepEqual(readdirSync(join(lib, 'library', '_unassigned')), [today]);

    const station = spawnOutpost(['station', '--watch', root, '--port', '0', '--log-level', 'info'], {
      ...env,
      OUTPOST_TEST_CLOCK_OFFSET_MS: String(-7 * DAY),
    });
    let log = '';
    station.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    try {
      for (let i = 0; i < 60 && !/web app and API listening/.test(log); i++) await sleep(250);
      const base = /"url":"(http:[^"]+)"/.exec(log)![1]!.replace('0.0.0.0', '127.0.0.1');
      const code = /setup code ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(log)![1]!;
      const setup = await fetch(`${base}/api/auth/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
        body: JSON.stringify({ name: 'ana', password: 'correct horse battery staple', setupCode: code }),
      });
      assert.equal(setup.status, 201, await setup.text());
      const cookie = (setup.headers.get('set-cookie') ?? '').split(';')[0]!;
      const api = async <T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
        const r = await fetch(`${base}${path}`, {
          ...init,
          headers: { cookie, 'content-type': 'application/json', 'x-outpost-csrf': '1' },
        });
        return { status: r.status, body: (await r.json()) as T };
      };

      // A card: ext4 image, loop-mounted read-only under the watched root.
      const content = join(work, 'card', 'DCIM');
      mkdirSync(content, { recursive: true });
      const photos = corpusFiles().slice(2, 5);
      photos.forEach((p, i) => copyFileSync(p, join(content, `IMG_${200 + i}.JPG`)));
      const { imagePath } = await makeExt4Image({
        sizeMB: 16,
        uuid: '0b5e7a11-1234-4cde-8f00-00000000c10c',
        label: 'CLOCKCARD',
        fromDir: join(work, 'card'),
      });
      await loopMount(imagePath, join(root, 'CARD'), { readOnly: true });
      for (let i = 0; i < 60 && !/CLOCK_SUSPECT/.test(log); i++) await sleep(250);
      assert.match(log, /CLOCK_SUSPECT/, log.slice(-3000));

      // Nothing filed a week ago (nor anywhere): the card waits.
      await sleep(1500);
      assert.ok(!existsSync(join(lib, 'library', '_unassigned', weekAgo)), 'no folder dated a week ago');
      assert.deepEqual(readdirSync(join(lib, 'library', '_unassigned')), [today]);
      assert.equal(json<Rec[]>(await outpost(['ls', '--library', lib, '--json'], { env })).length, 2);

      // The status says why, and what to do.
      const clock = await api<{
        state: string;
        reason: string;
        now: string;
        message: string;
        canSet: boolean;
      }>('/api/system/clock');
      assert.equal(clock.status, 200);
      assert.equal(clock.body.state, 'suspect');
      assert.match(clock.body.reason, /before-build|behind-evidence/);
      assert.equal(clock.body.now.slice(0, 10), weekAgo);
      assert.equal(clock.body.canSet, true);
      const status = await api<{
        ingest: { error: { code: string; message: string; hint: string } | null } | null;
        indicators: Record<string, { look: string; detail: string }>;
      }>('/api/status');
      assert.equal(status.body.ingest?.error?.code, 'CLOCK_SUSPECT');
      assert.match(status.body.ingest!.error!.message, /clock/);
      assert.match(status.body.ingest!.error!.hint, /tablet/);
      assert.equal(status.body.indicators.CARD!.look, 'flashing-red');
      assert.match(status.body.indicators.CARD!.detail, /clock looks wrong/);

      // An editor sets the station's clock from the tablet's time: the card is copied under today.
      const set = await api<{ state: string }>('/api/system/clock', {
        method: 'POST',
        body: JSON.stringify({ time: new Date().toISOString(), confirm: true }),
      });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.equal(set.body.state, 'trusted');
      let items: Rec[] = [];
      for (let i = 0; i < 120 && items.length < 5; i++) {
        await sleep(500);
        const r = await outpost(['ls', '--library', lib, '--json'], { env });
        if (r.code === 0) items = json<Rec[]>(r);
      }
      assert.equal(items.length, 5, log.slice(-3000));
      assert.ok(
        items.every((x) => x.path.startsWith(`library/_unassigned/${today}/`)),
        JSON.stringify(items),
      );
      assert.ok(!existsSync(join(lib, 'library', '_unassigned', weekAgo)));
    } finally {
      station.kill('SIGTERM');
      const exit = await new Promise<number | null>((r) => station.on('close', (c) => r(c)));
      assert.equal(exit, 0, log.slice(-3000));
    }
  });
});
