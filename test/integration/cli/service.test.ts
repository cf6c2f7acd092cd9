/**
 * Issue 11 §1 "Starts at boot, stays up", as far as a machine without a running systemd allows:
 *
 * - scripts/install-station.sh into a staging root (--root), twice: an edited config.yaml is kept,
 *   an upgrade switches `current` and keeps the previous release, --uninstall keeps config and data;
 * - the installed unit passes `systemd-analyze verify` with no warning;
 * - the unit's start-up path: its exact ExecStart, with its Environment=, run as an unprivileged
 *   user with its AmbientCapabilities= and NoNewPrivileges= (setpriv), a fake NOTIFY_SOCKET and
 *   WATCHDOG_USEC: READY=1 once the web app answers, WATCHDOG=1 pings, a card the station mounts
 *   itself (a loop device) ingested as that user, STOPPING=1 and a clean exit on SIGTERM within
 *   TimeoutStopSec.
 *
 * Needs root (CI runs as root), systemd-analyze (package systemd), python3 and setpriv.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { outpost } from '../../kit/cli.js';
import { REPO_ROOT } from '../../kit/paths.js';

/** GET over HTTPS trusting `ca` (the station's own CA) only. */
function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, rejectUnauthorized: true }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
import { CANNOT_MOUNT_MESSAGE, canMount, makeTempDir, registerMountCleanup } from '../../kit/mounts.js';

registerMountCleanup();

const INSTALL = join(REPO_ROOT, 'scripts', 'install-station.sh');
const UNIT_SOURCE = join(REPO_ROOT, 'packaging', 'systemd', 'outpost.service');
/** The unprivileged user standing in for `outpost` on this machine. */
const NOBODY = 65534;
const DISK_GID = 6;

function install(root: string, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync('bash', [INSTALL, '--root', root, ...args], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** `[Service]` (and other) keys of a unit file; a key given twice keeps every value. */
function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) keys.set(m[1]!, [...(keys.get(m[1]!) ?? []), m[2]!]);
  }
  return keys;
}
const one = (keys: Map<string, string[]>, k: string): string => {
  const v = keys.get(k);
  assert.ok(v && v.length === 1, `${k}= once in the unit`);
  return v[0]!;
};
/** systemd time spans as the unit uses them: 30s, 1min, 90. */
const seconds = (v: string): number => {
  const m = /^(\d+)\s*(s|sec|min|m)?$/.exec(v)!;
  return Number(m[1]) * (m[2] === 'min' || m[2] === 'm' ? 60 : 1);
};

/** A staging root with just enough /etc for useradd --prefix. */
function stagingRoot(dir: string): string {
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\ndisk:x:6:\nvideo:x:44:\n');
  writeFileSync(join(dir, 'etc', 'shadow'), '');
  writeFileSync(join(dir, 'etc', 'gshadow'), '');
  chmodSync(dir, 0o755);
  return dir;
}

describe('outpost as a systemd service', () => {
  let root = '';
  let work = '';

  before(async () => {
    if (!(await canMount())) assert.fail(CANNOT_MOUNT_MESSAGE);
    work = await makeTempDir('outpost-service-');
    chmodSync(work, 0o755);
    root = stagingRoot(join(work, 'root'));
  });

  describe('install-station.sh', () => {
    it('installs the app, the user, the unit and a commented config into a staging root', () => {
      const r = install(root);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /created the system user outpost/);
      assert.match(r.out, /wrote .*\/etc\/outpost\/config.yaml/);
      assert.match(r.out, /systemctl daemon-reload && systemctl enable --now outpost/);
      const current = readlinkSync(join(root, 'opt/outpost/current'));
      assert.match(current, /^releases\/0\.\d+\.\d+-[0-9a-f]{12}$/);
      const rel = join(root, 'opt/outpost', current);
      for (const f of [
        'bin/outpost',
        'dist/bundle/outpost.js',
        'dist/web/index.html',
        'package.json',
        '.complete',
      ])
        assert.ok(existsSync(join(rel, f)), f);
      assert.ok(existsSync(join(rel, 'node_modules/better-sqlite3')), 'runtime modules');
      assert.ok(!existsSync(join(rel, 'node_modules/typescript')), 'no development modules');
      assert.equal(readlinkSync(join(root, 'usr/local/bin/outpost')), '/opt/outpost/current/bin/outpost');
      assert.equal(
        readFileSync(join(root, 'usr/local/lib/systemd/system/outpost.service'), 'utf8'),
        readFileSync(UNIT_SOURCE, 'utf8'),
      );
      assert.ok(existsSync(join(root, 'etc/udev/rules.d/99-outpost.rules')));
      assert.ok(existsSync(join(root, 'etc/polkit-1/rules.d/50-outpost.rules')));
      const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
      assert.match(passwd, /^outpost:x:\d+:\d+:Outpost station:\/var\/lib\/outpost:\/usr\/sbin\/nologin$/m);
      const group = readFileSync(join(root, 'etc/group'), 'utf8');
      assert.match(group, /^disk:x:6:outpost$/m);
      assert.match(group, /^video:x:44:outpost$/m);
      const gid = Number(/^outpost:x:\d+:(\d+):/m.exec(passwd)![1]);
      const cfg = join(root, 'etc/outpost/config.yaml');
      assert.equal(readFileSync(cfg, 'utf8'), readFileSync(join(REPO_ROOT, 'packaging/config.yaml'), 'utf8'));
      const st = statSync(cfg);
      assert.equal(st.mode & 0o777, 0o640, 'the config may hold the uplink key');
      assert.equal(st.gid, gid, 'readable by the outpost group');
      assert.equal(
        statSync(join(root, 'var/lib/outpost')).uid,
        Number(/^outpost:x:(\d+):/m.exec(passwd)![1]),
      );
    });

    it('re-running keeps an edited config.yaml and changes nothing else', () => {
      const cfg = join(root, 'etc/outpost/config.yaml');
      const edited = `${readFileSync(cfg, 'utf8')}node: field-office-7\n`;
      writeFileSync(cfg, edited);
      const release = readlinkSync(join(root, 'opt/outpost/current'));
      const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
      const r = install(root);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /kept .*config\.yaml \(your settings\)/);
      assert.match(r.out, /is already installed/);
      assert.equal(readFileSync(cfg, 'utf8'), edited);
      assert.equal(readlinkSync(join(root, 'opt/outpost/current')), release);
      assert.equal(readFileSync(join(root, 'etc/passwd'), 'utf8'), passwd, 'no second user');
      assert.deepEqual(readdirSync(join(root, 'opt/outpost/releases')), [release.replace('releases/', '')]);
    });

    it('an upgrade switches current and keeps only the previous release', () => {
      const releases = join(root, 'opt/outpost/releases');
      const real = readlinkSync(join(root, 'opt/outpost/current')).replace('releases/', '');
      // A release left from long ago, and a newer build to upgrade to (a small fake checkout).
      mkdirSync(join(releases, '0.0.1-aaaaaaaaaaaa', 'bin'), { recursive: true });
      const next = join(work, 'next-build');
      const file = (rel: string, text: string) => {
        mkdirSync(join(next, rel, '..'), { recursive: true });
        writeFileSync(join(next, rel), text);
      };
      file('package.json', '{ "name": "outpost", "version": "9.9.9", "private": true }\n');
      file(
        'package-lock.json',
        '{ "name": "outpost", "version": "9.9.9", "lockfileVersion": 3, "requires": true, "packages": { "": { "name": "outpost", "version": "9.9.9" } } }\n',
      );
      file('README.md', '# Outpost 9.9.9\n');
      file('bin/outpost', '#!/bin/sh\necho 9.9.9\n');
      file('dist/bundle/outpost.js', '// 9.9.9\n');
      file('dist/web/index.html', '<!doctype html>\n');
      file('node_modules/better-sqlite3/package.json', '{}\n');
      execFileSync('cp', ['-a', join(REPO_ROOT, 'packaging'), next]);
      const up = install(root, '--from', next);
      assert.equal(up.code, 0, up.out);
      const upgraded = readlinkSync(join(root, 'opt/outpost/current')).replace('releases/', '');
      assert.match(upgraded, /^9\.9\.9-[0-9a-f]{12}$/);
      assert.deepEqual(
        readdirSync(releases).sort(),
        [real, upgraded].sort(),
        'the previous one kept, older ones gone',
      );
      assert.match(readFileSync(join(root, 'etc/outpost/config.yaml'), 'utf8'), /node: field-office-7/);
      // Back to this checkout's build (a rollback the same way): still there, so not copied again.
      const back = install(root);
      assert.equal(back.code, 0, back.out);
      assert.match(back.out, /is already installed/);
      assert.equal(readlinkSync(join(root, 'opt/outpost/current')), `releases/${real}`);
      assert.deepEqual(readdirSync(releases).sort(), [real, upgraded].sort());
    });
  });

  it('the installed unit passes systemd-analyze verify without a warning', () => {
    const dir = join(work, 'verify');
    mkdirSync(dir);
    // verify wants ExecStart's program to exist: point it at the staged install.
    const unit = readFileSync(join(root, 'usr/local/lib/systemd/system/outpost.service'), 'utf8').replaceAll(
      '/opt/outpost/current/',
      `${root}/opt/outpost/current/`,
    );
    writeFileSync(join(dir, 'outpost.service'), unit);
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'outpost.service')], {
      encoding: 'utf8',
    });
    assert.ok(!r.error, `systemd-analyze is missing (apt-get install systemd): ${r.error?.message}`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'no warning');
    // And one that is wrong is caught, so a silent pass means something.
    writeFileSync(join(dir, 'bad.service'), unit.replace('WatchdogSec=60s', 'WatchdogSec=soon'));
    const bad = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'bad.service')], {
      encoding: 'utf8',
    });
    assert.match(bad.stderr, /WatchdogSec|Failed to parse/);
  });

  describe("the unit's start-up path, as the unit runs it", () => {
    let station: ChildProcess | undefined;
    let listener: ChildProcess | undefined;
    let log = '';
    const notes: string[] = [];
    const loops: string[] = [];
    let keys: Map<string, string[]>;
    let lib = '';
    let mountRoot = '';

    after(async () => {
      station?.kill('SIGKILL');
      listener?.kill('SIGKILL');
      // Only what this test attached; the station unmounts, the kit cleans up the rest.
      await sleep(200);
      for (const dev of loops) spawnSync('losetup', ['-d', dev]);
    });

    const waitFor = async (what: string, fn: () => boolean, timeoutMs = 30_000): Promise<void> => {
      const t0 = Date.now();
      while (!fn()) {
        if (Date.now() - t0 > timeoutMs)
          assert.fail(
            `timed out waiting for ${what}\nnotify: ${notes.join(' | ')}\nlog:\n${log.slice(-5000)}`,
          );
        await sleep(100);
      }
    };

    it('starts as an unprivileged user with the unit capabilities and says READY=1 once the web app answers', async () => {
      keys = unitKeys(readFileSync(join(root, 'usr/local/lib/systemd/system/outpost.service'), 'utf8'));
      assert.equal(one(keys, 'Type'), 'notify');
      assert.equal(one(keys, 'NotifyAccess'), 'all', 'systemd-notify is a child process');
      assert.equal(one(keys, 'User'), 'outpost');
      // Directories the unit has systemd make (RuntimeDirectory=, StateDirectory=), owned by the user.
      const run = join(work, 'run');
      mountRoot = join(run, 'outpost', 'media');
      const state = join(work, 'state');
      for (const d of [join(run, 'outpost'), mountRoot, state, join(work, 'watch'), join(work, 'images')]) {
        mkdirSync(d, { recursive: true });
        chownSync(d, NOBODY, NOBODY);
      }
      assert.deepEqual(keys.get('RuntimeDirectory'), ['outpost outpost/media']);
      // The library drive: made by the user the station runs as (an ext4 drive made as root needs chown).
      lib = join(work, 'lib');
      mkdirSync(lib);
      chownSync(lib, NOBODY, NOBODY);
      const init = await outpost(['init-drive', lib, '--label', 'Drive A']);
      assert.equal(init.code, 0, init.stderr);
      execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, lib]);
      // The config the installer wrote, with the user's settings added; root:outpost 0640 as installed.
      const cfg = join(root, 'etc/outpost/config.yaml');
      const packaged = parseYaml(readFileSync(cfg, 'utf8')) as {
        server?: { https?: Record<string, unknown> };
      };
      assert.equal(packaged.server?.https?.enabled, true, 'the packaged station serves HTTPS');
      writeFileSync(
        cfg,
        stringifyYaml({
          ...packaged,
          library: lib,
          station: {
            watchRoots: [join(work, 'watch')],
            statusFile: join(run, 'outpost', 'status.json'),
            pollIntervalMs: 500,
            devices: { includeLoop: true, loopFilesUnder: join(work, 'images'), mountRoot },
            clock: { stateFile: join(state, 'clock.json') },
          },
          // Its own ports here, and its CA where the unit's StateDirectory= would be.
          server: {
            ...packaged.server,
            host: '127.0.0.1',
            port: 0,
            https: { ...packaged.server?.https, port: 0, dir: join(state, 'tls') },
          },
        }),
      );
      chownSync(cfg, 0, NOBODY);

      // A fake service manager: the notify socket, as systemd passes it.
      const sock = join(work, 'notify.sock');
      listener = spawn(
        'python3',
        [
          '-c',
          'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\n' +
            'print("LISTENING",flush=True)\nwhile True:\n  print(s.recv(65536).decode().replace("\\n","|"),flush=True)\n',
          sock,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let buf = '';
      listener.stdout!.on('data', (b: Buffer) => {
        buf += b.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        notes.push(...lines);
      });
      await waitFor('the fake notify socket', () => notes.includes('LISTENING'), 20_000);
      chmodSync(sock, 0o777);

      // Environment= of the unit (paths moved into the staging root), and what systemd adds.
      const env: string[] = (keys.get('Environment') ?? []).map((e) =>
        e.replace('=/etc/outpost/', `=${root}/etc/outpost/`),
      );
      assert.ok(env.includes(`OUTPOST_CONFIG=${cfg}`), env.join(' '));
      env.push(
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        `HOME=${state}`,
        `NOTIFY_SOCKET=${sock}`,
        'WATCHDOG_USEC=2000000',
        `RUNTIME_DIRECTORY=${join(run, 'outpost')}`,
      );
      const caps = one(keys, 'AmbientCapabilities')
        .split(/\s+/)
        .map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)
        .join(',');
      const bounding = one(keys, 'CapabilityBoundingSet')
        .split(/\s+/)
        .map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)
        .join(',');
      assert.equal(one(keys, 'NoNewPrivileges'), 'yes');
      const execStart = one(keys, 'ExecStart').replace(
        '/opt/outpost/current/',
        `${root}/opt/outpost/current/`,
      );
      station = spawn(
        'setpriv',
        [
          `--reuid=${NOBODY}`,
          `--regid=${NOBODY}`,
          // What install-station.sh gives the outpost user (video and gpio have no use here).
          `--groups=${DISK_GID}`,
          '--no-new-privs',
          `--inh-caps=${caps}`,
          `--ambient-caps=${caps}`,
          `--bounding-set=-all,${bounding}`,
          'env',
          '-i',
          ...env,
          // systemd sets WATCHDOG_PID to the main process; exec keeps this shell's pid all the way to node.
          'sh',
          '-c',
          'cd "$HOME" && export WATCHDOG_PID=$$ && exec "$@"',
          'sh',
          ...execStart.split(/\s+/),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      station.stdout!.on('data', (b: Buffer) => (log += b.toString()));
      station.stderr!.on('data', (b: Buffer) => (log += b.toString()));

      await waitFor('READY=1', () => notes.some((n) => n.startsWith('READY=1')));
      const ready = notes.find((n) => n.startsWith('READY=1'))!;
      const url = /STATUS=web app at (https:\/\/[^ ]+) · library drive "Drive A"/.exec(ready)?.[1];
      assert.ok(url, `READY=1 comes with the web app's HTTPS address: ${ready}\n${log}`);
      // The CA the station made at its first start, kept for the service user alone.
      const tls = join(state, 'tls');
      assert.equal(statSync(join(tls, 'ca.key')).mode & 0o077, 0, 'the CA key is not readable by others');
      assert.equal(statSync(join(tls, 'ca.key')).uid, NOBODY, 'owned by the service user');
      const ca = readFileSync(join(tls, 'ca.crt'), 'utf8');
      const page = await httpsGet(`${url}/`, ca);
      assert.equal(page.status, 200, 'the web app answers over HTTPS');
      assert.match(page.body, /<html/i);
      const status = await httpsGet(`${url}/api/status`, ca);
      assert.equal(status.status, 401, 'login required');
      const plainPort = Number(/"port":(\d+),"trust"/.exec(log)?.[1]);
      const plain = await fetch(`http://127.0.0.1:${plainPort}/`, { redirect: 'manual' });
      assert.equal(plain.status, 308, 'plain HTTP sends people to HTTPS');
      assert.equal((await fetch(`http://127.0.0.1:${plainPort}/trust`)).status, 200, 'except the trust page');
      assert.ok(
        notes.indexOf(ready) > notes.findIndex((n) => n.startsWith('STATUS=starting')),
        'STATUS=starting first',
      );
      assert.doesNotMatch(log, /does not mount devices itself/, 'CAP_SYS_ADMIN lets it manage devices');
    });

    it('pings the watchdog at half WATCHDOG_USEC', async () => {
      const pings = () => notes.filter((n) => n === 'WATCHDOG=1').length;
      const before = pings();
      await sleep(3200);
      assert.ok(pings() - before >= 2, `pings in 3.2 s: ${pings() - before}`);
    });

    it('mounts a card itself and ingests it, all as the unprivileged user', async () => {
      // A camera card: an ext4 image (the kernel driver) on a loop device standing in for a reader.
      const content = join(work, 'card');
      mkdirSync(join(content, 'DCIM', '100TEST'), { recursive: true });
      for (const [i, colour] of ['red', 'blue'].entries())
        execFileSync('ffmpeg', [
          '-hide_banner',
          '-loglevel',
          'error',
          '-f',
          'lavfi',
          '-i',
          `color=c=${colour}:s=320x240`,
          '-frames:v',
          '1',
          join(content, 'DCIM', '100TEST', `IMG_000${i + 1}.JPG`),
        ]);
      const image = join(work, 'images', 'card.img');
      writeFileSync(image, '');
      execFileSync('truncate', ['-s', '16M', image]);
      execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'CARD', '-d', content, image]);
      const dev = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
      loops.push(dev);
      // What udev does for a disk: group disk, 0660 (the service user is in group disk).
      chownSync(dev, 0, DISK_GID);
      chmodSync(dev, 0o660);
      const stored = (): string[] => {
        const out: string[] = [];
        const walk = (d: string): void => {
          for (const e of readdirSync(d, { withFileTypes: true }))
            if (e.isDirectory()) walk(join(d, e.name));
            else if (/\.jpg$/i.test(e.name)) out.push(join(d, e.name));
        };
        if (existsSync(join(lib, 'library'))) walk(join(lib, 'library'));
        return out;
      };
      await waitFor('the card ingested', () => stored().length === 2 && /ingest finished/.test(log), 60_000);
      assert.match(log, new RegExp(`${mountRoot.replaceAll('/', '\\/')}`), 'mounted under the mount root');
      for (const f of stored()) assert.equal(statSync(f).uid, NOBODY, `${f} written by the service user`);
      // Cards are unmounted once copied.
      await waitFor(
        'the card unmounted',
        () => !readFileSync('/proc/self/mountinfo', 'utf8').includes(mountRoot),
      );
    });

    it('says STOPPING=1 and exits cleanly on SIGTERM within TimeoutStopSec', async () => {
      const limit = seconds(one(keys, 'TimeoutStopSec'));
      const t0 = Date.now();
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        station!.once('exit', (code, signal) => resolve({ code, signal })),
      );
      station!.kill('SIGTERM');
      const r = await Promise.race([
        exited,
        sleep(limit * 1000, undefined, { ref: false }).then(() => 'timeout' as const),
      ]);
      assert.notEqual(r, 'timeout', `still running ${limit} s after SIGTERM:\n${log.slice(-3000)}`);
      assert.deepEqual(r, { code: 0, signal: null }, log.slice(-3000));
      station = undefined;
      assert.ok(Date.now() - t0 < limit * 1000);
      await waitFor('STOPPING=1', () => notes.some((n) => n.startsWith('STOPPING=1')), 5000);
    });
  });

  it('--uninstall keeps config and data; --purge removes them and the user', () => {
    const r = install(root, '--uninstall');
    assert.equal(r.code, 0, r.out);
    assert.ok(!existsSync(join(root, 'opt/outpost')));
    assert.ok(!existsSync(join(root, 'usr/local/lib/systemd/system/outpost.service')));
    assert.ok(!existsSync(join(root, 'usr/local/bin/outpost')));
    assert.match(readFileSync(join(root, 'etc/outpost/config.yaml'), 'utf8'), /node: field-office-7/);
    assert.match(readFileSync(join(root, 'etc/passwd'), 'utf8'), /^outpost:/m);
    const p = install(root, '--uninstall', '--purge');
    assert.equal(p.code, 0, p.out);
    assert.ok(!existsSync(join(root, 'etc/outpost')));
    assert.ok(!existsSync(join(root, 'var/lib/outpost')));
    assert.doesNotMatch(readFileSync(join(root, 'etc/passwd'), 'utf8'), /^outpost:/m);
    assert.doesNotMatch(readFileSync(join(root, 'etc/group'), 'utf8'), /outpost/);
  });
});
