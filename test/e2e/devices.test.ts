/**
 * Issue 11 §2 "The station owns its devices", for real: the `outpost station` process (root)
 * with `station.devices: { includeLoop: true, loopFilesUnder, mountRoot }`, loop devices standing
 * in for USB devices, and real filesystems: FAT32 (mkfs.vfat + mtools, mounted through fusefat
 * here), ext4 (kernel), exFAT (exfat-fuse) and NTFS (ntfs-3g).
 *
 * One station runs through the whole story: an exFAT library drive A; a FAT32 card attached →
 * mounted read-only → ingested → unmounted → CARD flashing green; a card kept busy → no green, a
 * clear message, ejected once free; an empty reader that gets its card (media change); an NTFS
 * drive made the mirror drive B in the web app → mirrored → unmounted → DRIVE B and BACKUP
 * flashing green only then; formatting refused for a drive with files, done for an empty one;
 * a card pulled mid-ingest → CARD flashing red, lazy unmount cleaned, resumed when re-attached;
 * `outpost eject A` busy, then done. Afterwards the drives are checked with fsck --hash, scrub
 * and rebuild on their own mounts.
 *
 * Every loop device attached here is detached in `after()`, mounts are undone by the kit.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { json, outpost, spawnOutpost } from '../kit/cli.js';
import { corpusFiles, sha256File } from '../kit/fixtures.js';
import { CANNOT_MOUNT_MESSAGE, canMount, makeTempDir, registerMountCleanup } from '../kit/mounts.js';

registerMountCleanup();

const MB = 1024 * 1024;

interface Look {
  look: string;
  reason: string;
}
type Lights = Record<'CARD' | 'DRIVE_A' | 'DRIVE_B' | 'BACKUP' | 'UPLINK', Look>;

const sh = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** Loop devices this file attached (detached in after(), by name: never anyone else's). */
const attached = new Set<string>();
function attach(image: string): string {
  const dev = sh('losetup', ['-fP', '--show', image]);
  attached.add(dev);
  return dev;
}
function detach(dev: string): void {
  try {
    sh('losetup', ['-d', dev]);
  } catch {
    /* already gone */
  }
}
function loopsOf(image: string): string[] {
  return sh('losetup', ['-j', image])
    .split('\n')
    .map((l) => l.split(':')[0]!.trim())
    .filter((d) => d.startsWith('/dev/'));
}

/** What a process has open below a directory (for a failure message). */
function openBy(pid: number, dir: string): string {
  const out: string[] = [];
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.startsWith(dir)) out.push(`fd ${fd} → ${target}`);
      } catch {
        /* closed meanwhile */
      }
    }
  } catch {
    return '(process gone)';
  }
  return out.join(', ') || '(nothing)';
}

function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter(Boolean);
}

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  log?: () => string,
): Promise<T> {
  // Monotonic: other tests on this machine may set the wall clock.
  const t0 = performance.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() - t0 > timeoutMs)
      assert.fail(
        `timed out waiting for ${what}${log ? `\n--- station log (end) ---\n${log().slice(-6000)}` : ''}`,
      );
    await sleep(100);
  }
}

/** An ext4 image filled from a folder (no mount needed). */
function ext4Image(path: string, sizeMB: number, label: string, uuid: string, fromDir: string): void {
  writeFileSync(path, '');
  sh('truncate', ['-s', `${sizeMB}M`, path]);
  sh('mkfs.ext4', ['-q', '-F', '-U', uuid, '-L', label, '-d', fromDir, path]);
}

/** A FAT32 card the way a camera makes one, filled with mtools (the kernel here has no vfat). */
function fatCard(path: string, label: string, serial: string, files: [string, string][]): void {
  writeFileSync(path, '');
  sh('truncate', ['-s', '64M', path]);
  sh('mkfs.vfat', ['-F', '32', '-n', label, '-i', serial, path]);
  sh('mmd', ['-i', path, '::/DCIM', '::/DCIM/100CANON']);
  for (const [src, name] of files) sh('mcopy', ['-i', path, src, `::/DCIM/100CANON/${name}`]);
}

async function firstEditor(log: () => string): Promise<{ base: string; cookie: string }> {
  await waitFor('the web app', () => /web app and API listening/.test(log()), 30_000, log);
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

interface DrivesView {
  a: { label: string; path: string } | null;
  b: { label: string; path: string } | null;
  blank: { mountPoint: string }[];
  managed: boolean;
  devices: {
    name: string;
    dev: string;
    volumes: { dev: string; fsType?: string; mountPoint?: string; role?: string; state?: string }[];
    format: { ok: boolean; reason?: string };
  }[];
  emptyReaders: string[];
}

describe('the station owns its devices (loop devices as USB stand-ins)', () => {
  let work = '';
  let img = '';
  let mountRoot = '';
  let statusFile = '';
  let env: Record<string, string> = {};
  let station: ChildProcess | undefined;
  let log = '';
  const holders: ChildProcess[] = [];

  before(async () => {
    if (!(await canMount())) assert.fail(CANNOT_MOUNT_MESSAGE);
    for (const tool of [
      'mkfs.vfat',
      'mcopy',
      'mkfs.exfat',
      'mkfs.ntfs',
      'mount.exfat-fuse',
      'mount.ntfs-3g',
      'fusefat',
    ])
      assert.ok(
        ['/sbin', '/usr/sbin', '/usr/bin', '/bin'].some((d) => existsSync(join(d, tool))),
        `${tool} is missing: apt-get install dosfstools mtools exfatprogs exfat-fuse ntfs-3g fusefat`,
      );
    work = await makeTempDir('outpost-devices-');
    img = join(work, 'img');
    mountRoot = join(work, 'mnt');
    mkdirSync(img);
    statusFile = join(work, 'run', 'status.json');
    const cfg = join(work, 'config.yaml');
    writeFileSync(
      cfg,
      [
        'station:',
        `  statusFile: ${statusFile}`,
        '  pollIntervalMs: 250',
        '  devices:',
        '    includeLoop: true',
        `    loopFilesUnder: ${img}`,
        `    mountRoot: ${mountRoot}`,
        'drives:',
        '  health: { minFreeBytes: 4000000, warnUsedFraction: 0.97, fullUsedFraction: 0.99 }',
        'scrub: { enabled: false }',
        '',
      ].join('\n'),
    );
    env = { OUTPOST_CONFIG: cfg };
  });

  after(async () => {
    for (const h of holders) h.kill('SIGKILL');
    if (station && station.exitCode === null) {
      station.kill('SIGTERM');
      await new Promise((r) => station!.once('close', r));
    }
    // The kit unmounts what is left below the temp dir; the loop devices are ours to detach.
    for (const m of mountPoints()
      .filter((p) => p.startsWith(`${work}/`))
      .reverse())
      try {
        sh('umount', ['-l', m]);
      } catch {
        /* gone */
      }
    for (const d of attached) detach(d);
  });

  const lights = (): Lights | undefined => {
    try {
      return (JSON.parse(readFileSync(statusFile, 'utf8')) as { indicators: Lights }).indicators;
    } catch {
      return undefined;
    }
  };
  const light = (k: keyof Lights, look: string, reason?: RegExp) => () => {
    const l = lights()?.[k];
    return l && l.look === look && (!reason || reason.test(l.reason)) ? l : undefined;
  };
  it('ingests cards, mirrors to a second drive, formats, survives pulls and ejects, on FAT32, ext4, exFAT and NTFS', async (t: TestContext) => {
    // --- drive A: exFAT, made a library on our own mount first -------------------------------------
    const aImg = join(img, 'drive-a.img');
    writeFileSync(aImg, '');
    sh('truncate', ['-s', '256M', aImg]);
    sh('mkfs.exfat', ['-L', 'FIELDA', aImg]);
    {
      const dev = attach(aImg);
      const pre = join(work, 'pre-a');
      mkdirSync(pre);
      sh('mount', ['-t', 'exfat-fuse', dev, pre]);
      const r = await outpost(['init-drive', pre, '--label', 'Field-A'], { env });
      sh('umount', [pre]);
      detach(dev);
      attached.delete(dev);
      assert.equal(r.code, 0, r.stderr);
    }

    station = spawnOutpost(
      ['station', '--port', '0', '--log-level', 'info', '--watch', join(work, 'watched')],
      env,
    );
    station.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    const stationLog = () => log;
    await waitFor('the station', () => /station started/.test(log), 20_000, stationLog);

    let aDev = attach(aImg);
    await waitFor('drive A attached', () => /library drive attached/.test(log), 20_000, stationLog);
    let aMount = join(mountRoot, aDev.replace('/dev/', ''));
    assert.match(log, /"fsType":"exfat","driver":"exfat-fuse"[^\n]*"role":"library","readOnly":false/);
    const { base, cookie } = await firstEditor(stationLog);
    const api = async <T>(
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; body: T }> => {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { cookie, 'x-outpost-csrf': '1', ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: r.status, body: (await r.json()) as T };
    };
    await waitFor('DRIVE A green', light('DRIVE_A', 'green', /Field-A/), 10_000, stationLog);

    // --- a FAT32 card: read-only, ingested, unmounted, then CARD flashes green --------------------
    const photos = corpusFiles().slice(0, 5);
    const fatImg = join(img, 'card-fat.img');
    fatCard(
      fatImg,
      'EOS_DIGITAL',
      '1234ABCD',
      photos.map((p, i) => [p, `IMG_${1000 + i}.JPG`]),
    );
    const t0 = performance.now();
    const fatDev = attach(fatImg);
    const fatMount = join(mountRoot, fatDev.replace('/dev/', ''));
    await waitFor('CARD flashing green', light('CARD', 'green-flash', /5 new files/), 60_000, stationLog);
    const attachToGreen = (performance.now() - t0) / 1000;
    t.diagnostic(`FAT32 card, 5 photos: attach → CARD flashing green in ${attachToGreen.toFixed(1)} s`);
    assert.ok(!mountPoints().includes(fatMount), 'unmounted before the green flash');
    assert.ok(!existsSync(fatMount), 'mount point removed');
    assert.match(
      log,
      new RegExp(
        `"dev":"${fatDev}","fsType":"vfat","driver":"fuse.fusefat","mountPoint":"${fatMount}","role":"card","readOnly":true`,
      ),
    );
    const items = json<{ id: string }[]>(await outpost(['ls', '--library', aMount, '--json'], { env }));
    assert.deepEqual(new Set(items.map((x) => x.id)), new Set(photos.map(sha256File)));
    const cards = json<{ id: string; label: string }[]>(
      await outpost(['cards', 'list', '--library', aMount, '--json'], { env }),
    );
    assert.deepEqual(
      cards.map((c) => c.id),
      ['uuid:1234-abcd'],
      'the card is known by its FAT serial (the same id a desktop-mounted card gets)',
    );
    // Taken out of the reader: the CARD light goes off.
    detach(fatDev);
    await waitFor('CARD off', light('CARD', 'off'), 10_000, stationLog);

    // --- an ext4 card something keeps busy: no green flash, who holds it is named ----------------
    const busyDir = join(work, 'busy-card', 'DCIM', '100CANON');
    mkdirSync(busyDir, { recursive: true });
    corpusFiles()
      .slice(5, 9)
      .forEach((p, i) => copyFileSync(p, join(busyDir, `IMG_${2000 + i}.JPG`)));
    // More files, so the ingest lasts long enough for the holder to step in before the auto-eject.
    for (let i = 0; i < 30; i++) writeFileSync(join(busyDir, `MVI_${2100 + i}.MOV`), randomBytes(300_000));
    const busyImg = join(img, 'card-busy.img');
    ext4Image(busyImg, 32, 'BUSY', '0b5e7a11-0000-4000-8000-00000000b057', join(work, 'busy-card'));
    // The holder waits for the mount itself (a test polling every 100 ms could be late: the ingest
    // and the automatic eject after it take well under a second), then stays in it.
    const busyMount = join(mountRoot, sh('losetup', ['-f']).replace('/dev/', ''));
    const holder = spawn(
      'bash',
      ['-c', 'until mountpoint -q "$1"; do sleep 0.005; done; cd "$1" && exec sleep 300', '_', busyMount],
      { stdio: 'ignore' },
    );
    holders.push(holder);
    const busyDev = attach(busyImg);
    assert.equal(join(mountRoot, busyDev.replace('/dev/', '')), busyMount, 'the loop device foreseen');
    await waitFor('the busy card mounted', () => mountPoints().includes(busyMount), 10_000, stationLog);
    const red = await waitFor(
      'CARD flashing red (busy)',
      light('CARD', 'red-flash', /still in use/),
      60_000,
      stationLog,
    );
    assert.match(red.reason, new RegExp(`sleep \\(pid ${holder.pid}\\)`));
    assert.match(red.reason, /not safe to remove/);
    assert.ok(mountPoints().includes(busyMount), 'still mounted');
    await sleep(1500);
    assert.equal(lights()!.CARD.look, 'red-flash', 'nothing claims it is safe');
    const stillBusy = await outpost(['eject', 'card', '--json'], { env });
    assert.equal(stillBusy.code, 4, stillBusy.stdout + stillBusy.stderr);
    assert.equal(json<{ error: { code: string } }>(stillBusy).error.code, 'DEVICE_BUSY');
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('close', r));
    const ejected = await outpost(['eject', 'card', '--json'], { env });
    assert.equal(ejected.code, 0, ejected.stderr);
    const ej = json<{ target: string; state: string; mountPoint: string; device: string }>(ejected);
    assert.deepEqual(
      [ej.target, ej.state, ej.mountPoint, ej.device],
      ['card', 'safe-to-remove', busyMount, busyDev],
    );
    assert.ok(!mountPoints().includes(busyMount));
    await waitFor('CARD flashing green after the eject', light('CARD', 'green-flash'), 10_000, stationLog);
    detach(busyDev);

    // --- a reader with no card, then a card in it (media change: size 0 → > 0) ---------------------
    const readerImg = join(img, 'reader.img');
    writeFileSync(readerImg, '');
    const readerDev = attach(readerImg);
    const drives = async () => (await api<DrivesView>('GET', '/api/drives')).body;
    await waitFor(
      'the empty reader',
      async () => (await drives()).emptyReaders.includes(readerDev),
      10_000,
      stationLog,
    );
    const mcDir = join(work, 'mc-card', 'DCIM');
    mkdirSync(mcDir, { recursive: true });
    corpusFiles()
      .slice(9, 11)
      .forEach((p, i) => copyFileSync(p, join(mcDir, `IMG_${3000 + i}.JPG`)));
    const mcTmp = join(work, 'mc.img');
    ext4Image(mcTmp, 16, 'MEDIACHG', '0b5e7a11-0000-4000-8000-0000000000c3', join(work, 'mc-card'));
    copyFileSync(mcTmp, readerImg);
    const t1 = performance.now();
    sh('losetup', ['-c', readerDev]);
    await waitFor(
      'the inserted card copied',
      light('CARD', 'green-flash', /2 new files/),
      60_000,
      stationLog,
    );
    t.diagnostic(
      `media change: card inserted → CARD flashing green in ${((performance.now() - t1) / 1000).toFixed(1)} s`,
    );
    // The card pulled out of the reader: the reader stays, the card is gone.
    writeFileSync(readerImg, '');
    sh('losetup', ['-c', readerDev]);
    await waitFor('CARD off again', light('CARD', 'off'), 10_000, stationLog);

    // --- drive B: NTFS, empty → made the mirror drive in the web app → mirrored → unmounted ----------
    const bImg = join(img, 'drive-b.img');
    writeFileSync(bImg, '');
    sh('truncate', ['-s', '256M', bImg]);
    sh('mkfs.ntfs', ['-Q', '-F', '-L', 'DRIVEB', bImg]);
    const bDev = attach(bImg);
    const bMount = join(mountRoot, bDev.replace('/dev/', ''));
    const d = await waitFor(
      'drive B offered as an empty drive',
      async () => {
        const x = await drives();
        return x.blank.some((v) => v.mountPoint === bMount) && x;
      },
      15_000,
      stationLog,
    );
    assert.deepEqual(
      d.blank.map((v) => v.mountPoint),
      [bMount],
    );
    assert.match(log, /"fsType":"ntfs","driver":"ntfs-3g"[^\n]*"role":"blank","readOnly":false/);
    const made = await api<{ label: string }>('POST', '/api/drives/init', {
      mountPoint: bMount,
      label: 'Field-B',
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    // BACKUP and DRIVE B flash green only once drive B is unmounted.
    let sawGreenWhileMounted = false;
    await waitFor(
      'DRIVE B and BACKUP flashing green',
      () => {
        const l = lights();
        const green = l?.DRIVE_B.look === 'green-flash' || l?.BACKUP.look === 'green-flash';
        if (green && mountPoints().includes(bMount)) sawGreenWhileMounted = true;
        return l?.DRIVE_B.look === 'green-flash' && l.BACKUP.look === 'green-flash';
      },
      60_000,
      stationLog,
    );
    assert.equal(sawGreenWhileMounted, false, 'no green flash while drive B was still mounted');
    assert.ok(
      !mountPoints().includes(bMount) && !existsSync(bMount),
      'drive B unmounted, mount point removed',
    );
    assert.match(lights()!.DRIVE_B.reason, /drive B "Field-B" is unmounted; you can remove it/);
    assert.match(log, /mirror finished/);

    // --- formatting: never a drive with files; an empty one, after a clear confirmation -------------
    const filesDir = join(work, 'files-drive');
    mkdirSync(filesDir);
    writeFileSync(join(filesDir, 'budget.ods'), 'not media, but someone’s work');
    const filesImg = join(img, 'files.img');
    ext4Image(filesImg, 32, 'SOMEONES', '0b5e7a11-0000-4000-8000-00000000f11e', filesDir);
    const filesDev = attach(filesImg);
    const blankImg = join(img, 'unformatted.img');
    writeFileSync(blankImg, '');
    sh('truncate', ['-s', '128M', blankImg]);
    const blankDev = attach(blankImg);
    const devOf = async (dev: string) => (await drives()).devices.find((x) => x.dev === dev);
    await waitFor(
      'both new drives listed',
      async () => (await devOf(filesDev))?.volumes[0]?.role && (await devOf(blankDev))?.format.ok,
      15_000,
      stationLog,
    );
    const withFiles = (await devOf(filesDev))!;
    assert.equal(withFiles.format.ok, false);
    assert.match(withFiles.format.reason!, /holds files/);
    assert.equal(withFiles.volumes[0]!.role, 'other');
    assert.deepEqual((await devOf(blankDev))!.format, { ok: true });
    const refused = await api<{ error: { code: string; message: string } }>('POST', '/api/drives/format', {
      device: filesDev.replace('/dev/', ''),
      fs: 'ext4',
      label: 'X',
      confirm: true,
    });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'DRIVE_NOT_EMPTY');
    assert.equal(
      readFileSync(join(mountRoot, filesDev.replace('/dev/', ''), 'budget.ods'), 'utf8'),
      'not media, but someone’s work',
    );
    const noConfirm = await api('POST', '/api/drives/format', {
      device: blankDev.replace('/dev/', ''),
      fs: 'exfat',
      label: 'X',
    });
    assert.equal(noConfirm.status, 400);
    const formatted = await api<{ label: string; path: string }>('POST', '/api/drives/format', {
      device: blankDev.replace('/dev/', ''),
      fs: 'exfat',
      label: 'Spare',
      confirm: true,
    });
    assert.equal(formatted.status, 201, JSON.stringify(formatted.body));
    assert.equal(sh('blkid', ['-p', '-o', 'value', '-s', 'TYPE', blankDev]), 'exfat');
    // It became the new mirror drive: mirrored, then unmounted like drive B.
    await waitFor(
      'the spare mirrored and unmounted',
      () =>
        light('DRIVE_B', 'green-flash', /drive B "Spare" is unmounted/)() &&
        !mountPoints().includes(formatted.body.path),
      60_000,
      stationLog,
    );
    detach(filesDev);
    detach(blankDev);

    // --- a card pulled mid-ingest: CARD flashes red, lazy unmount cleaned, resumed on re-attach -----
    const pullDir = join(work, 'pull-card', 'DCIM', '100CANON');
    mkdirSync(pullDir, { recursive: true });
    const pullPhotos = corpusFiles().slice(11, 13);
    pullPhotos.forEach((p, i) => copyFileSync(p, join(pullDir, `IMG_${4000 + i}.JPG`)));
    // Many files rather than a few big ones: ingest must still be busy when the card is pulled,
    // and per-file work (place, fsync, catalogue) takes longer than bytes at memory speed.
    const big = Array.from({ length: 40 }, (_, i) => {
      const p = join(pullDir, `MVI_${5000 + i}.MOV`);
      writeFileSync(p, randomBytes(Math.round(1.2 * MB)));
      return p;
    });
    const pullImg = join(img, 'card-pull.img');
    ext4Image(pullImg, 96, 'PULLME', '0b5e7a11-0000-4000-8000-0000000000f0', join(work, 'pull-card'));
    const libraryFiles = () => {
      const out: string[] = [];
      const walk = (dir: string) => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(dir, e.name));
          else if (!e.name.endsWith('.xmp')) out.push(e.name);
        }
      };
      if (existsSync(join(aMount, 'library'))) walk(join(aMount, 'library'));
      return out;
    };
    const before = libraryFiles().length;
    const pullDev = attach(pullImg);
    const pullMount = join(mountRoot, pullDev.replace('/dev/', ''));
    await waitFor(
      'the first file of the card in the library',
      () => libraryFiles().length > before,
      60_000,
      stationLog,
    );
    // Pulled: `losetup -d` on a mounted loop device marks it for removal (what a USB pull looks like to the station).
    sh('losetup', ['-d', pullDev]);
    const pulledLight = await waitFor(
      'CARD flashing red: removed early',
      light('CARD', 'red-flash', /removed before copying finished/),
      30_000,
      stationLog,
    );
    assert.match(pulledLight.reason, /insert it again to resume/);
    await waitFor(
      'the lazy unmount cleaned up',
      () => !mountPoints().includes(pullMount) && !existsSync(pullMount),
      10_000,
      stationLog,
    );
    await waitFor('the old loop device gone', () => loopsOf(pullImg).length === 0, 30_000, stationLog);
    const partial = libraryFiles().length - before;
    assert.ok(partial < pullPhotos.length + big.length, `pulled before the end (${partial} copied)`);
    attach(pullImg);
    await waitFor('the card copied after re-attaching', light('CARD', 'green-flash'), 90_000, stationLog);
    assert.equal(libraryFiles().length - before, pullPhotos.length + big.length, 'everything, once');
    const resumed = [
      ...log.matchAll(
        /"card":\{"id":"uuid:0b5e7a11-0000-4000-8000-0000000000f0"[^\n]*"copied":(\d+),"skipped":(\d+)/g,
      ),
    ].at(-1);
    assert.ok(resumed, 'a resumed ingest in the log');
    assert.ok(Number(resumed[2]) >= 1, `files copied before the pull are not read again: ${resumed[0]}`);
    t.diagnostic(
      `pulled after ${partial} files; the resumed run skipped ${resumed[2]}, copied ${resumed[1]}`,
    );
    detach(loopsOf(pullImg)[0]!);

    // --- drive A ejected on request: busy first, then flushed and unmounted ---------------------------
    const holdA = spawn('sleep', ['300'], { cwd: join(aMount, 'library'), stdio: 'ignore' });
    holders.push(holdA);
    await sleep(200);
    const busyA = await outpost(['eject', 'A'], { env });
    assert.equal(busyA.code, 4, busyA.stdout + busyA.stderr);
    assert.match(
      busyA.stderr,
      new RegExp(`DEVICE_BUSY.*still in use \\(used by sleep \\(pid ${holdA.pid}\\)\\): not safe to remove`),
    );
    await waitFor(
      'DRIVE A flashing red (busy)',
      light('DRIVE_A', 'red-flash', /still in use/),
      10_000,
      stationLog,
    );
    assert.ok(mountPoints().includes(aMount), 'drive A still mounted');
    await waitFor(
      'drive A back in use',
      () => (log.match(/library drive attached/g) ?? []).length >= 2,
      10_000,
      stationLog,
    );
    holdA.kill('SIGKILL');
    await new Promise((r) => holdA.once('close', r));
    const ejectA = await outpost(['eject', 'A', '--json'], { env });
    assert.equal(
      ejectA.code,
      0,
      `${ejectA.stderr}\nopen on drive A: ${openBy(station.pid!, aMount)}\n${log.slice(-3000)}`,
    );
    assert.equal(json<{ state: string }>(ejectA).state, 'safe-to-remove');
    assert.ok(!mountPoints().includes(aMount));
    await waitFor(
      'DRIVE A flashing green',
      light('DRIVE_A', 'green-flash', /unmounted; you can remove it/),
      10_000,
      stationLog,
    );
    assert.match(log, /web app and API stopped: no library drive/);

    // Plugged in again: mounted and attached again (an ejected drive stays unmounted until then).
    detach(aDev);
    await waitFor('drive A’s loop device gone', () => loopsOf(aImg).length === 0, 30_000, stationLog);
    {
      const n = (log.match(/library drive attached/g) ?? []).length;
      aDev = attach(aImg);
      aMount = join(mountRoot, aDev.replace('/dev/', ''));
      await waitFor(
        'drive A attached again',
        () => (log.match(/library drive attached/g) ?? []).length > n,
        20_000,
        stationLog,
      );
    }

    // --- drive A pulled mid-ingest: the card waits, nothing lands beside the drive, A back → resumed -----
    const aPullDir = join(work, 'a-pull-card', 'DCIM', '100CANON');
    mkdirSync(aPullDir, { recursive: true });
    copyFileSync(corpusFiles()[13]!, join(aPullDir, 'IMG_6000.JPG'));
    // Many small files, so the ingest is still busy when the drive is pulled (4 big ones took 0.5 s).
    const aPullFiles = 80;
    for (let i = 0; i < aPullFiles; i++)
      writeFileSync(join(aPullDir, `MVI_${6001 + i}.MOV`), randomBytes(Math.round(0.6 * MB)));
    const aPullImg = join(img, 'card-a-pull.img');
    ext4Image(aPullImg, 96, 'APULL', '0b5e7a11-0000-4000-8000-0000000000f1', join(work, 'a-pull-card'));
    const before2 = libraryFiles().length;
    const attachedBefore = (log.match(/library drive attached/g) ?? []).length;
    attach(aPullImg);
    await waitFor(
      'a first file of the card on drive A',
      () => libraryFiles().length > before2,
      60_000,
      stationLog,
    );
    const oldAMount = aMount;
    sh('losetup', ['-d', aDev]);
    await waitFor(
      'DRIVE A flashing red: unplugged during an ingest',
      light('DRIVE_A', 'red-flash', /unplugged without eject during an ingest/),
      30_000,
      stationLog,
    );
    await waitFor(
      'CARD: waiting for a drive',
      light('CARD', 'red-flash', /no library drive/),
      30_000,
      stationLog,
    );
    // Nothing was written into the bare mount directory (onto the system disk) meanwhile.
    await waitFor(
      'drive A’s place cleaned up',
      () => !mountPoints().includes(oldAMount) && !existsSync(oldAMount),
      30_000,
      stationLog,
    );
    await waitFor('drive A’s old loop device gone', () => loopsOf(aImg).length === 0, 30_000, stationLog);
    aDev = attach(aImg);
    aMount = join(mountRoot, aDev.replace('/dev/', ''));
    await waitFor(
      'drive A back',
      () => (log.match(/library drive attached/g) ?? []).length > attachedBefore,
      20_000,
      stationLog,
    );
    await waitFor('the card copied once drive A is back', light('CARD', 'green-flash'), 90_000, stationLog);
    assert.equal(libraryFiles().length - before2, aPullFiles + 1, 'every file of the card, once');
    assert.equal(lights()!.DRIVE_A.look, 'green');

    station.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => station!.once('close', (c) => r(c)));
    assert.equal(code, 0, log.slice(-4000));
    assert.deepEqual(
      mountPoints().filter((p) => p.startsWith(`${mountRoot}/`)),
      [],
      'the station leaves nothing mounted',
    );

    // --- the drives on their own: fsck --hash, scrub, rebuild on exFAT and NTFS ------------------------
    for (const [image, type] of [
      [aImg, 'exfat-fuse'],
      [bImg, 'ntfs-3g'],
    ] as const) {
      for (const dv of loopsOf(image)) detach(dv);
      await waitFor(`${type}: loop devices gone`, () => loopsOf(image).length === 0, 30_000);
      const dev = attach(image);
      const mp = join(work, `check-${type}`);
      mkdirSync(mp, { recursive: true });
      sh('mount', ['-t', type, dev, mp]);
      try {
        const fsck = await outpost(['fsck', '--library', mp, '--hash', '--json'], { env });
        assert.equal(fsck.code, 0, `${type} fsck: ${fsck.stdout}${fsck.stderr}`);
        const scrub = await outpost(['scrub', mp, '--json', '--no-progress', '--restart'], { env });
        assert.equal(scrub.code, 0, `${type} scrub: ${scrub.stdout}${scrub.stderr}`);
        const rebuilt = await outpost(['rebuild', '--library', mp, '--json'], { env });
        assert.equal(rebuilt.code, 0, `${type} rebuild: ${rebuilt.stdout}${rebuilt.stderr}`);
        const ids = new Set(
          json<{ id: string }[]>(await outpost(['ls', '--library', mp, '--json'], { env })).map((x) => x.id),
        );
        assert.ok(ids.size >= photos.length + 4 + 2, `${type}: ${ids.size} items`);
        for (const p of photos) assert.ok(ids.has(sha256File(p)), `${type} holds ${p}`);
      } finally {
        sh('umount', [mp]);
        detach(dev);
      }
    }
  });
});
