import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { json, outpost, spawnOutpost } from '../kit/cli.js';
import { corpusFiles, sha256File } from '../kit/fixtures.js';
import {
  bindMount,
  CANNOT_MOUNT_MESSAGE,
  canMount,
  loopMount,
  makeExt4Image,
  makeTempDir,
  mountTmpfs,
  registerMountCleanup,
} from '../kit/mounts.js';

registerMountCleanup();

interface Rec {
  id: string;
  path: string;
  monitor: string;
  originalName: string;
  derivatives: { video: boolean };
}

/** Wait for the web app, then create the first editor with the setup code the station printed. */
async function firstEditor(log: () => string): Promise<{ base: string; cookie: string }> {
  for (let i = 0; i < 40 && !/web app and API listening/.test(log()); i++) await sleep(250);
  const base = /"url":"(http:[^"]+)"/.exec(log())![1]!.replace('0.0.0.0', '127.0.0.1');
  const code = /setup code ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(log())![1]!;
  const setup = await fetch(`${base}/api/auth/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
    body: JSON.stringify({ name: 'ana', password: 'correct horse battery staple', setupCode: code }),
  });
  assert.equal(setup.status, 201, await setup.text());
  return { base, cookie: (setup.headers.get('set-cookie') ?? '').split(';')[0]! };
}

/** Small tmpfs drives are "full" by the default health thresholds (< 1 GB free). */
let smallDrives: Record<string, string>;
let statusFile = '';

describe('outpost station (real mounts)', () => {
  before(async () => {
    if (!(await canMount())) assert.fail(CANNOT_MOUNT_MESSAGE);
    const cfgDir = await makeTempDir('outpost-station-cfg-');
    const cfg = join(cfgDir, 'config.yaml');
    statusFile = join(cfgDir, 'run', 'status.json');
    writeFileSync(
      cfg,
      `station:\n  statusFile: ${statusFile}\n` +
        'drives:\n  health:\n    minFreeBytes: 16000000\n    warnUsedFraction: 0.9\n    fullUsedFraction: 0.98\n',
    );
    smallDrives = { OUTPOST_CONFIG: cfg };
  });

  it('attaches the library drive it finds and ingests a card inserted later', async () => {
    const work = await makeTempDir('outpost-station-');
    const root = join(work, 'media');
    mkdirSync(root);
    // The library drive: a tmpfs mounted under the watched root, initialised as a library.
    const libMount = join(root, 'LIBRARY');
    await mountTmpfs(libMount, 256 * 1024 * 1024);
    assert.equal((await outpost(['init-drive', libMount, '--label', 'A'])).code, 0);

    const station = spawnOutpost(
      ['station', '--watch', root, '--port', '0', '--log-level', 'info'],
      smallDrives,
    );
    let log = '';
    station.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    try {
      // The web app and API come up once the library drive is attached.
      for (let i = 0; i < 40 && !/web app and API listening/.test(log); i++) await sleep(250);
      const url = /"url":"(http:[^"]+)"/.exec(log)?.[1];
      assert.ok(url, `no server URL in the log:\n${log}`);
      const base = url.replace('0.0.0.0', '127.0.0.1');
      assert.equal((await fetch(`${base}/api/status`)).status, 401, 'login is required');
      // First start: the library has no users yet. The station printed a one-time setup code;
      // only with it may someone on the LAN create the first editor.
      const code = /setup code ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(log)?.[1];
      assert.ok(code, `no setup code on the console:\n${log}`);
      const trySetup = (setupCode?: string) =>
        fetch(`${base}/api/auth/setup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
          body: JSON.stringify({ name: 'ana', password: 'correct horse battery staple', setupCode }),
        });
      assert.equal((await trySetup()).status, 403, 'no code, no first user');
      const setup = await trySetup(code);
      assert.equal(setup.status, 201, await setup.text());
      const cookie = (setup.headers.get('set-cookie') ?? '').split(';')[0]!;
      const status = (await (await fetch(`${base}/api/status`, { headers: { cookie } })).json()) as {
        library: { label: string };
      };
      assert.equal(status.library.label, 'A');
      // The terminal's view of the lights: `outpost status` reads what the station writes.
      await sleep(1500);
      const st = await outpost(['status', '--json'], { env: smallDrives });
      assert.equal(st.code, 0, st.stderr);
      const lights = json<{
        indicators: Record<string, { look: string; reason: string }>;
        library: { label: string };
      }>(st);
      assert.equal(lights.library.label, 'A');
      assert.equal(lights.indicators.DRIVE_A!.look, 'green');
      assert.equal(lights.indicators.CARD!.look, 'off');
      assert.match((await outpost(['status'], { env: smallDrives })).stdout, /DRIVE A/);
      // A card: an ext4 image with a known UUID, like a real SD card.
      const content = join(work, 'card-content');
      const dcim = join(content, 'DCIM', '100CAM');
      mkdirSync(dcim, { recursive: true });
      const photos = corpusFiles().slice(0, 6);
      photos.forEach((p, i) => copyFileSync(p, join(dcim, `IMG_${1000 + i}.JPG`)));
      // A trail camera's clip (MJPEG AVI, which browsers do not play): it gets a streaming copy.
      execFileSync('ffmpeg', [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=320x240:rate=10',
        '-t',
        '2',
        '-c:v',
        'mjpeg',
        join(dcim, 'CLIP0001.AVI'),
      ]);
      const uuid = '0b5e7a11-1234-4cde-8f00-00000000c0de';
      const { imagePath } = await makeExt4Image({ sizeMB: 32, uuid, label: 'CARD1', fromDir: content });
      await sleep(1500); // let the station attach the library first
      assert.match(log, /library drive attached/);
      await loopMount(imagePath, join(root, 'CARD1'), { readOnly: true });

      const want = new Set([...photos, join(dcim, 'CLIP0001.AVI')].map(sha256File));
      let items: Rec[] = [];
      for (let i = 0; i < 120 && items.length < want.size; i++) {
        await sleep(500);
        const r = await outpost(['ls', '--library', libMount, '--json']);
        if (r.code === 0) items = json<Rec[]>(r);
      }
      assert.deepEqual(new Set(items.map((x) => x.id)), want, `station log:\n${log}`);
      assert.ok(items.every((x) => x.monitor === '_unassigned'));
      const cards = json<{ id: string; label: string }[]>(
        await outpost(['cards', 'list', '--library', libMount, '--json']),
      );
      assert.deepEqual(
        cards.map((c) => [c.id, c.label]),
        [[`uuid:${uuid}`, 'CARD1']],
      );
      for (let i = 0; i < 40 && !/ingest finished/.test(log); i++) await sleep(250);
      assert.match(log, /ingest finished/);
      // After the card, in the station's spare time: the clip's small streaming copy.
      for (let i = 0; i < 80 && !/video streaming copies made/.test(log); i++) await sleep(250);
      const clip = json<Rec[]>(await outpost(['ls', '--library', libMount, '--json'])).find(
        (x) => x.originalName === 'CLIP0001.AVI',
      );
      assert.equal(clip?.derivatives.video, true, `station log:\n${log}`);
    } finally {
      station.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => station.on('close', (c) => r(c)));
      assert.equal(code, 0, log);
    }
    // No station: a clear error once its status goes stale.
    await sleep(100);
    writeFileSync(statusFile, JSON.stringify({ time: new Date(Date.now() - 60_000).toISOString() }));
    const gone = await outpost(['status'], { env: smallDrives });
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /STATION_NOT_RUNNING|not running|old/);
  });

  it('a card inserted before any library drive is ingested once a drive is plugged in', async () => {
    const work = await makeTempDir('outpost-station2-');
    const root = join(work, 'media');
    mkdirSync(root);
    const station = spawnOutpost(['station', '--watch', root, '--log-level', 'info'], smallDrives);
    let log = '';
    station.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    try {
      const content = join(work, 'card-content', 'DCIM');
      mkdirSync(content, { recursive: true });
      const photos = corpusFiles().slice(6, 9);
      photos.forEach((p, i) => copyFileSync(p, join(content, `IMG_${2000 + i}.JPG`)));
      const { imagePath } = await makeExt4Image({
        sizeMB: 16,
        uuid: '0b5e7a11-1234-4cde-8f00-0000000000c2',
        label: 'CARD2',
        fromDir: join(work, 'card-content'),
      });
      await sleep(1000);
      await loopMount(imagePath, join(root, 'CARD2'), { readOnly: true });
      for (let i = 0; i < 20 && !/waiting|plug one in/.test(log); i++) await sleep(250);
      assert.match(log, /no library drive is attached/);
      // The drive: a tmpfs initialised elsewhere, then bind-mounted under the watched root.
      const libDir = join(work, 'libfs');
      await mountTmpfs(libDir, 128 * 1024 * 1024);
      assert.equal((await outpost(['init-drive', libDir])).code, 0);
      await bindMount(libDir, join(root, 'LIB'));
      const want = new Set(photos.map(sha256File));
      let items: Rec[] = [];
      for (let i = 0; i < 120 && items.length < want.size; i++) {
        await sleep(500);
        const r = await outpost(['ls', '--library', libDir, '--json']);
        if (r.code === 0) items = json<Rec[]>(r);
      }
      assert.deepEqual(new Set(items.map((x) => x.id)), want, `station log:\n${log}`);
    } finally {
      station.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => station.on('close', (c) => r(c)));
      assert.equal(code, 0, log);
    }
  });

  it('refuses to ingest onto a full drive (default thresholds): CARD and DRIVE A flash red', async () => {
    const work = await makeTempDir('outpost-station3-');
    const root = join(work, 'media');
    mkdirSync(root);
    // A 64 MB drive has less than 1 GB free: "full" by the default drive health thresholds.
    const libMount = join(root, 'SMALL');
    await mountTmpfs(libMount, 64 * 1024 * 1024);
    assert.equal((await outpost(['init-drive', libMount, '--label', 'S'])).code, 0);
    const station = spawnOutpost(['station', '--watch', root, '--port', '0', '--log-level', 'info']);
    let log = '';
    station.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    try {
      const { base, cookie } = await firstEditor(() => log);
      const content = join(work, 'card-content', 'DCIM');
      mkdirSync(content, { recursive: true });
      corpusFiles()
        .slice(0, 2)
        .forEach((p, i) => copyFileSync(p, join(content, `IMG_${3000 + i}.JPG`)));
      const { imagePath } = await makeExt4Image({
        sizeMB: 16,
        uuid: '0b5e7a11-1234-4cde-8f00-0000000000c3',
        label: 'CARD3',
        fromDir: join(work, 'card-content'),
      });
      await loopMount(imagePath, join(root, 'CARD3'), { readOnly: true });
      for (let i = 0; i < 60 && !/ingest finished|ingest failed|DRIVE_FULL/.test(log); i++) await sleep(250);
      assert.match(log, /library drive is full/);
      const items = json<Rec[]>(await outpost(['ls', '--library', libMount, '--json']));
      assert.equal(items.length, 0, 'nothing was copied');
      const status = (await (await fetch(`${base}/api/status`, { headers: { cookie } })).json()) as {
        indicators: Record<string, { look: string; detail: string }>;
      };
      assert.equal(status.indicators.CARD!.look, 'flashing-red', JSON.stringify(status.indicators));
      assert.equal(status.indicators['DRIVE A']!.look, 'flashing-red');
      assert.match(status.indicators['DRIVE A']!.detail, /full/i);
    } finally {
      station.kill('SIGTERM');
      await new Promise((r) => station.on('close', r));
    }
  });

  it('a second library drive is mirrored automatically; BACKUP then says it is safe to remove', async () => {
    const work = await makeTempDir('outpost-station4-');
    const root = join(work, 'media');
    mkdirSync(root);
    const a = join(root, 'DRIVEA');
    await mountTmpfs(a, 128 * 1024 * 1024);
    assert.equal((await outpost(['init-drive', a, '--label', 'A'])).code, 0);
    const station = spawnOutpost(
      ['station', '--watch', root, '--port', '0', '--log-level', 'info'],
      smallDrives,
    );
    let log = '';
    station.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    try {
      const { base, cookie } = await firstEditor(() => log);
      // A card onto drive A first.
      const content = join(work, 'card-content', 'DCIM');
      mkdirSync(content, { recursive: true });
      const photos = corpusFiles().slice(10, 14);
      photos.forEach((p, i) => copyFileSync(p, join(content, `IMG_${4000 + i}.JPG`)));
      const { imagePath } = await makeExt4Image({
        sizeMB: 16,
        uuid: '0b5e7a11-1234-4cde-8f00-0000000000c4',
        label: 'CARD4',
        fromDir: join(work, 'card-content'),
      });
      await loopMount(imagePath, join(root, 'CARD4'), { readOnly: true });
      for (let i = 0; i < 80 && !/ingest finished/.test(log); i++) await sleep(250);
      assert.match(log, /ingest finished/);
      // Then a second, empty drive: the station offers it; an editor makes it a library drive.
      const bDir = join(root, 'DRIVEB');
      await mountTmpfs(bDir, 128 * 1024 * 1024);
      const drives = async () =>
        (await (await fetch(`${base}/api/drives`, { headers: { cookie } })).json()) as {
          a: { label: string } | null;
          b: { label: string } | null;
          blank: { mountPoint: string }[];
        };
      let d = await drives();
      for (let i = 0; i < 40 && !d.blank.some((v) => v.mountPoint === bDir); i++) {
        await sleep(250);
        d = await drives();
      }
      assert.deepEqual(
        d.blank.map((v) => v.mountPoint),
        [bDir],
      );
      assert.equal(d.a?.label, 'A');
      const post = (body: unknown) =>
        fetch(`${base}/api/drives/init`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/json', 'x-outpost-csrf': '1' },
          body: JSON.stringify(body),
        });
      assert.equal((await post({ mountPoint: '/etc', label: 'X' })).status, 400, 'only offered volumes');
      const made = await post({ mountPoint: bDir, label: 'B' });
      assert.equal(made.status, 201, await made.text());
      for (let i = 0; i < 120 && !/mirror finished|mirror failed/.test(log); i++) await sleep(250);
      assert.match(log, /mirror finished/, log.slice(-3000));
      const onA = json<Rec[]>(await outpost(['ls', '--library', a, '--json']));
      const onB = json<Rec[]>(await outpost(['ls', '--library', bDir, '--json']));
      assert.equal(onA.length, photos.length);
      assert.deepEqual(new Set(onB.map((x) => x.id)), new Set(onA.map((x) => x.id)));
      for (const x of onB) assert.equal(sha256File(join(bDir, x.path)), x.id, 'byte-exact on drive B');
      const status = (await (await fetch(`${base}/api/status`, { headers: { cookie } })).json()) as {
        indicators: Record<string, { look: string; detail: string; placeholder: boolean }>;
        mirror: { state: string; partner: { label: string } };
      };
      assert.equal(status.mirror.state, 'done');
      assert.equal(status.mirror.partner.label, 'B');
      assert.equal(status.indicators.BACKUP!.look, 'flashing-green', JSON.stringify(status.indicators));
      assert.equal(status.indicators.BACKUP!.placeholder, false);
      assert.notEqual(status.indicators['DRIVE B']!.look, 'off');
    } finally {
      station.kill('SIGTERM');
      await new Promise((r) => station.on('close', r));
    }
  });
});
