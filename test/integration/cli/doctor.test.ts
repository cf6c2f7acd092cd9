/**
 * `outpost doctor` as a user runs it: the real CLI against a config that points at temp dirs (a
 * library drive on a small tmpfs, a fake LED class tree, the mount root), in JSON and for people.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { json, outpost } from '../../kit/cli.js';
import { OUTPOST_BIN } from '../../kit/paths.js';
import {
  CANNOT_MOUNT_MESSAGE,
  canMount,
  makeTempDir,
  mountTmpfs,
  registerMountCleanup,
} from '../../kit/mounts.js';

registerMountCleanup();

interface Check {
  id: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  fix?: string;
}
interface Report {
  ok: boolean;
  counts: Record<string, number>;
  checks: Check[];
}

const LEDS = ['card', 'drive-a', 'drive-b', 'backup', 'uplink'].flatMap((i) =>
  ['green', 'red'].map((c) => `outpost-${i}-${c}`),
);
const NOBODY = 65534;

describe('outpost doctor', () => {
  let work = '';
  let cfg = '';
  let leds = '';
  let lib = '';
  let mountRoot = '';
  const byId = (r: Report, id: string): Check => {
    const c = r.checks.find((x) => x.id === id);
    assert.ok(c, `no check ${id} in ${r.checks.map((x) => x.id).join(', ')}`);
    return c;
  };
  const config = (extra = '') => {
    writeFileSync(
      cfg,
      `library: ${lib}\n` +
        `station:\n  statusFile: ${join(work, 'run', 'status.json')}\n  watchRoots: [${join(work, 'watch')}]\n` +
        `  devices: { mountRoot: ${mountRoot} }\n` +
        `indicators: { driver: sysfs, sysfsRoot: ${leds} }\n${extra}`,
    );
  };
  const doctor = (args: string[] = []) => outpost(['doctor', ...args], { env: { OUTPOST_CONFIG: cfg } });

  before(async () => {
    if (!(await canMount())) assert.fail(CANNOT_MOUNT_MESSAGE);
    work = await makeTempDir('outpost-doctor-');
    chmodSync(work, 0o755);
    cfg = join(work, 'config.yaml');
    // A fake /sys/class/leds with every default LED, as the gpio-led overlay makes them (root, 0644).
    leds = join(work, 'leds');
    for (const led of LEDS) {
      mkdirSync(join(leds, led), { recursive: true });
      for (const f of ['brightness', 'trigger'])
        writeFileSync(join(leds, led, f), f === 'trigger' ? '[none] timer' : '0');
    }
    // A library drive with plenty of room, and the mount root the station would mount under.
    lib = join(work, 'lib');
    mkdirSync(lib);
    assert.equal((await outpost(['init-drive', lib, '--label', 'Doc'])).code, 0);
    mountRoot = join(work, 'media');
    mkdirSync(mountRoot);
    config();
  });

  it('checks everything the station needs, one line each, exit 0 when nothing fails', async () => {
    const r = await doctor(['--json']);
    const report = json<Report>(r);
    const ids = report.checks.map((c) => c.id);
    for (const id of [
      'node',
      'native-modules',
      'ffmpeg',
      'ffprobe',
      'exiftool',
      'heif-convert',
      'config',
      'service',
      'user',
      'leds',
      'clock',
      'library',
      'library-access',
      'mounts',
    ])
      assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
    assert.equal(report.ok, true, JSON.stringify(report.checks.filter((c) => c.status === 'fail')));
    assert.equal(r.code, 0);
    assert.equal(byId(report, 'node').status, 'ok');
    assert.equal(byId(report, 'native-modules').status, 'ok');
    assert.equal(byId(report, 'ffmpeg').status, 'ok');
    assert.match(byId(report, 'config').message, /is valid/);
    assert.match(byId(report, 'leds').message, /10 LEDs/);
    assert.match(byId(report, 'library').message, /library drive "Doc"/);
    assert.match(byId(report, 'mounts').message, new RegExp(`mount root ${mountRoot}`));
    assert.equal(byId(report, 'clock').status, 'ok');
    for (const c of report.checks) if (c.status !== 'ok') assert.ok(c.fix, `${c.id} says what to do`);
    if (!existsSync('/run/systemd/system')) {
      // No systemd here (CI, containers): a warning, with what to do instead.
      assert.equal(byId(report, 'service').status, 'warn');
      assert.match(byId(report, 'service').fix!, /outpost station/);
    }
  });

  it('prints a summary, a line per check and the fix under each problem', async () => {
    const r = await doctor();
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^outpost doctor: (all good|nothing failed, \d+ warnings?)$/);
    assert.ok(lines.some((l) => /^ {2}ok {4}node +Node\.js v\d+/.test(l)));
    assert.ok(lines.some((l) => /^ {2}ok {4}library +library drive "Doc"/.test(l)));
  });

  it('a full library drive, missing LEDs and a missing mount root: fail and warn, exit 1', async () => {
    const small = join(work, 'small');
    await mountTmpfs(small, 32 * 1024 * 1024);
    assert.equal((await outpost(['init-drive', small, '--label', 'Tiny'])).code, 0);
    const libBefore = lib;
    lib = small;
    const rootBefore = mountRoot;
    mountRoot = join(work, 'no-such-dir');
    writeFileSync(
      cfg,
      `library: ${lib}\nstation:\n  statusFile: ${join(work, 'run', 'status.json')}\n  devices: { mountRoot: ${mountRoot} }\n` +
        `indicators: { driver: sysfs, sysfsRoot: ${join(work, 'no-leds')} }\n`,
    );
    const r = await doctor(['--json']);
    const report = json<Report>(r);
    assert.equal(r.code, 1);
    assert.equal(report.ok, false);
    const library = byId(report, 'library');
    assert.equal(library.status, 'fail');
    assert.match(library.message, /library drive "Tiny" .*: full/);
    assert.match(library.fix!, /free space/);
    const l = byId(report, 'leds');
    assert.equal(l.status, 'warn');
    assert.match(l.message, /10 of 10 LEDs missing/);
    assert.match(l.fix!, /dtoverlay=gpio-led/);
    assert.equal(byId(report, 'mounts').status, 'warn');
    assert.match(byId(report, 'mounts').message, /does not exist/);
    lib = libBefore;
    mountRoot = rootBefore;
    config();
  });

  it('an invalid config fails its check, and the others still run', async () => {
    writeFileSync(cfg, 'server:\n  port: eighty\nnot_a_key: 1\n');
    const r = await doctor(['--json']);
    const report = json<Report>(r);
    assert.equal(r.code, 1);
    const c = byId(report, 'config');
    assert.equal(c.status, 'fail');
    assert.match(c.message, /server\.port/);
    assert.match(c.message, /not_a_key/);
    assert.ok(byId(report, 'ffmpeg'));
    assert.ok(byId(report, 'clock'));
    config();
  });

  it('as the user the station runs as: LED files it cannot write fail, with the udev fix', async (t) => {
    // The CLI must be reachable by that user (a checkout under /root is not).
    const probe = spawnSync('setpriv', [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      '--clear-groups',
      OUTPOST_BIN,
      '--version',
    ]);
    if (probe.status !== 0) {
      t.skip(`this checkout is not readable by uid ${NOBODY}`);
      return;
    }
    chmodSync(cfg, 0o644);
    const asNobody = () =>
      spawnSync(
        'setpriv',
        [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', OUTPOST_BIN, 'doctor', '--json'],
        { encoding: 'utf8', env: { ...process.env, OUTPOST_CONFIG: cfg } },
      );
    let r = asNobody();
    let report = JSON.parse(r.stdout) as Report;
    const l = byId(report, 'leds');
    assert.equal(l.status, 'fail', JSON.stringify(l));
    assert.match(l.message, /cannot write outpost-card-green\/brightness/);
    assert.match(l.fix!, /udev/);
    assert.equal(byId(report, 'library-access').status, 'fail', 'a drive made as root');
    assert.match(byId(report, 'library-access').fix!, /chown -R/);
    assert.equal(r.status, 1);
    // What the udev rule does: group of the station's user, group-writable.
    for (const led of LEDS)
      for (const f of ['brightness', 'trigger']) {
        chownSync(join(leds, led, f), 0, NOBODY);
        chmodSync(join(leds, led, f), 0o664);
      }
    r = asNobody();
    report = JSON.parse(r.stdout) as Report;
    assert.equal(byId(report, 'leds').status, 'ok', JSON.stringify(byId(report, 'leds')));
  });
});
