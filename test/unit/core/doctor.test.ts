import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DRIVE_HEALTH } from '../../../src/core/drive-health.js';
import {
  accountFrom,
  canAccess,
  checkClock,
  checkLibrarySpace,
  checkNode,
  checkService,
  checkServiceUser,
  checkTool,
  doctorExitCode,
  doctorReport,
  groupIds,
  renderDoctor,
  type DoctorCheck,
} from '../../../src/core/doctor.js';

const GB = 1e9;
const PASSWD =
  'root:x:0:0:root:/root:/bin/bash\noutpost:x:999:996:Outpost station:/var/lib/outpost:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\ndisk:x:6:outpost\nvideo:x:44:pi,outpost\ngpio:x:997:pi\noutpost:x:996:\n';

describe('doctor report', () => {
  const checks: DoctorCheck[] = [
    { id: 'node', status: 'ok', message: 'Node.js v20.19.2' },
    { id: 'exiftool', status: 'fail', message: 'exiftool is not installed', fix: 'sudo apt-get install x' },
    { id: 'clock', status: 'warn', message: 'hmm', fix: 'do y' },
  ];

  it('counts, and fails (exit 1) only when a check failed', () => {
    const r = doctorReport(checks);
    assert.deepEqual(r.counts, { ok: 1, warn: 1, fail: 1 });
    assert.equal(r.ok, false);
    assert.equal(doctorExitCode(r), 1);
    const warnOnly = doctorReport(checks.filter((c) => c.status !== 'fail'));
    assert.equal(warnOnly.ok, true);
    assert.equal(doctorExitCode(warnOnly), 0);
  });

  it('renders one line per check, the fix under problems, a summary first', () => {
    const text = renderDoctor(doctorReport(checks));
    assert.equal(
      text,
      [
        'outpost doctor: 1 problem, 1 warning',
        '  ok    node      Node.js v20.19.2',
        '  FAIL  exiftool  exiftool is not installed',
        '                  fix: sudo apt-get install x',
        '  warn  clock     hmm',
        '                  fix: do y',
      ].join('\n'),
    );
    assert.equal(renderDoctor(doctorReport([checks[0]!])).split('\n')[0], 'outpost doctor: all good');
    assert.ok(renderDoctor(doctorReport(checks), true).includes('\x1b[31mFAIL'));
  });
});

describe('doctor verdicts', () => {
  it('Node.js: 20.19 or later', () => {
    assert.equal(checkNode('v20.19.0').status, 'ok');
    assert.equal(checkNode('v24.1.0').status, 'ok');
    assert.equal(checkNode('v20.18.3').status, 'fail');
    assert.equal(checkNode('v18.19.0').status, 'fail');
    assert.match(checkNode('v18.19.0').fix!, /setup-station/);
  });

  it('tools: required ones fail, optional ones warn, both name the package', () => {
    assert.deepEqual(checkTool('ffmpeg', { version: 'ffmpeg version 5.1' }, 'ffmpeg', 'x', true), {
      id: 'ffmpeg',
      status: 'ok',
      message: 'ffmpeg version 5.1',
    });
    const missing = checkTool('exiftool', undefined, 'libimage-exiftool-perl', 'sidecars', true);
    assert.equal(missing.status, 'fail');
    assert.equal(missing.fix, 'sudo apt-get install libimage-exiftool-perl');
    assert.equal(checkTool('heif-convert', undefined, 'libheif-examples', 'HEIC', false).status, 'warn');
  });

  it('clock: before the build is wrong', () => {
    const built = Date.parse('2026-12-01T00:00:00Z');
    assert.equal(checkClock(built + 1000, built, null).status, 'ok');
    assert.match(checkClock(built + 1000, built, true).message, /NTP synchronised/);
    const wrong = checkClock(Date.parse('2000-01-01T00:00:00Z'), built, false);
    assert.equal(wrong.status, 'fail');
    assert.match(wrong.message, /2000-01-01T00:00:00Z, before this Outpost was built \(2026-12-01\)/);
  });

  it('library: by the drive health thresholds; none attached is a warning', () => {
    const d = { label: 'A', root: '/run/outpost/media/A' };
    assert.equal(checkLibrarySpace(undefined, undefined, DEFAULT_DRIVE_HEALTH).status, 'warn');
    assert.equal(
      checkLibrarySpace(d, { totalBytes: 1000 * GB, freeBytes: 500 * GB }, DEFAULT_DRIVE_HEALTH).status,
      'ok',
    );
    assert.equal(
      checkLibrarySpace(d, { totalBytes: 1000 * GB, freeBytes: 50 * GB }, DEFAULT_DRIVE_HEALTH).status,
      'warn',
    );
    const full = checkLibrarySpace(d, { totalBytes: 1000 * GB, freeBytes: 0.5 * GB }, DEFAULT_DRIVE_HEALTH);
    assert.equal(full.status, 'fail');
    assert.match(full.message, /library drive "A" \(\/run\/outpost\/media\/A\): full/);
    assert.equal(checkLibrarySpace(d, undefined, DEFAULT_DRIVE_HEALTH).status, 'fail');
  });

  it('service: installed, enabled and active; or says what to run', () => {
    assert.equal(checkService({ systemd: true, enabled: 'enabled', active: 'active' }).status, 'ok');
    assert.equal(checkService({ systemd: false }).status, 'warn');
    assert.match(checkService({ systemd: true, enabled: '', active: 'inactive' }).fix!, /setup-station/);
    const failed = checkService({ systemd: true, enabled: 'enabled', active: 'failed' });
    assert.equal(failed.status, 'fail');
    assert.match(failed.fix!, /outpost service logs/);
    assert.match(
      checkService({ systemd: true, enabled: 'enabled', active: 'inactive' }).fix!,
      /enable --now/,
    );
    assert.match(
      checkService({ systemd: true, enabled: 'disabled', active: 'active' }).fix!,
      /enable outpost/,
    );
  });

  it('accounts from passwd and group; access as the kernel decides it', () => {
    const outpost = accountFrom(PASSWD, GROUP, 'outpost')!;
    assert.deepEqual(outpost, { name: 'outpost', uid: 999, gid: 996, groups: [6, 44] });
    assert.equal(accountFrom(PASSWD, GROUP, 'nobody'), undefined);
    const file = (mode: number, uid = 0, gid = 0) => ({ mode: 0o100000 | mode, uid, gid });
    assert.equal(canAccess(file(0o640, 0, 996), outpost, { read: true }), true, 'group outpost reads');
    assert.equal(canAccess(file(0o600, 0, 996), outpost, { read: true }), false);
    assert.equal(canAccess(file(0o664, 0, 6), outpost, { write: true }), true, 'supplementary group');
    assert.equal(
      canAccess(file(0o700, 999, 0), outpost, { read: true, write: true, exec: true }),
      true,
      'owner',
    );
    assert.equal(canAccess(file(0o077, 999, 996), outpost, { read: true }), false, 'owner bits win');
    assert.equal(canAccess(file(0o644), outpost, { write: true }), false);
    assert.equal(canAccess(file(0o000), { name: 'root', uid: 0, gid: 0, groups: [] }, { write: true }), true);
  });

  it('service user: exists, and is in the groups that exist here', () => {
    const groups = groupIds(GROUP);
    const outpost = accountFrom(PASSWD, GROUP, 'outpost')!;
    const c = checkServiceUser(outpost, groups, true);
    assert.equal(c.status, 'warn', 'gpio exists but outpost is not in it');
    assert.equal(c.fix, 'sudo usermod -aG gpio outpost');
    assert.match(c.message, /user outpost \(uid 999\), groups disk, video; not in gpio/);
    const noGpio = new Map([...groups].filter(([g]) => g !== 'gpio'));
    assert.equal(checkServiceUser(outpost, noGpio, true).status, 'ok');
    assert.equal(checkServiceUser(undefined, groups, true).status, 'fail');
    assert.equal(checkServiceUser(undefined, groups, false).status, 'warn');
  });
});
