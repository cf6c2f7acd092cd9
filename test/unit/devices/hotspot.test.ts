import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessRunner, RunResult } from '../../../src/adapters/process-runner.js';
import {
  generatePassword,
  hotspotAddArgs,
  hotspotModifyArgs,
  hotspotOff,
  hotspotOn,
  hotspotStatus,
  parseHotspotShow,
  passwordProblem,
  splitTerse,
  ssidProblem,
} from '../../../src/devices/hotspot.js';

const SETTINGS = { ssid: 'Outpost-pi', password: 'correct-horse', ifname: 'wlan0', band: 'bg' as const };

/** A fake nmcli: a saved hotspot or not, up or not; records command lines. */
function fakeNmcli(
  state: { configured: boolean; active: boolean },
  fail?: (args: string) => string | undefined,
) {
  const calls: string[] = [];
  const runner: ProcessRunner = {
    run: async (cmd, args) => {
      const line = args.join(' ');
      calls.push(`${cmd} ${line}`);
      const ok = (out = ''): RunResult => ({ code: 0, signal: null, stdout: Buffer.from(out), stderr: '' });
      const err = fail?.(line);
      if (err) return { code: 4, signal: null, stdout: Buffer.alloc(0), stderr: `Error: ${err}\n` };
      if (line === '-t -g NAME connection show')
        return ok(`Wired connection 1\n${state.configured ? 'outpost-hotspot\n' : ''}office\\:wifi\n`);
      if (line.startsWith('-t -g 802-11-wireless.ssid'))
        return ok(`Outpost-pi\nwlan0\n${state.active ? 'yes' : 'no'}\n${state.active ? 'activated' : ''}\n`);
      if (line.startsWith('connection add')) state.configured = true;
      if (line === 'connection up outpost-hotspot') state.active = true;
      if (line === 'connection down outpost-hotspot') state.active = false;
      return ok();
    },
  };
  return { runner, calls };
}

describe('hotspot: nmcli command lines', () => {
  it('a new connection: access point, shared IPv4, WPA2-AES, up at boot', () => {
    assert.deepEqual(hotspotAddArgs(SETTINGS), [
      'connection',
      'add',
      'type',
      'wifi',
      'con-name',
      'outpost-hotspot',
      'connection.interface-name',
      'wlan0',
      'connection.autoconnect',
      'yes',
      '802-11-wireless.ssid',
      'Outpost-pi',
      '802-11-wireless.mode',
      'ap',
      '802-11-wireless.band',
      'bg',
      'ipv4.method',
      'shared',
      'ipv6.method',
      'ignore',
      'wifi-sec.key-mgmt',
      'wpa-psk',
      'wifi-sec.proto',
      'rsn',
      'wifi-sec.pairwise',
      'ccmp',
      'wifi-sec.group',
      'ccmp',
      'wifi-sec.psk',
      'correct-horse',
    ]);
  });

  it('changing the saved one keeps its password unless a new one is given', () => {
    const args = hotspotModifyArgs({ ...SETTINGS, password: undefined, band: 'a' });
    assert.deepEqual(args.slice(0, 3), ['connection', 'modify', 'outpost-hotspot']);
    assert.ok(!args.includes('wifi-sec.psk'));
    assert.equal(args[args.indexOf('802-11-wireless.band') + 1], 'a');
  });

  it('checks WPA2 passwords and SSIDs', () => {
    assert.match(passwordProblem('short') ?? '', /8 to 63/);
    assert.match(passwordProblem('pässwörd-long') ?? '', /ASCII/);
    assert.equal(passwordProblem('correct-horse'), undefined);
    assert.match(ssidProblem('x'.repeat(33)) ?? '', /32 bytes/);
    assert.equal(ssidProblem('Outpost ñandú'), undefined);
    const p = generatePassword();
    assert.equal(p.length, 12);
    assert.equal(passwordProblem(p), undefined);
    assert.doesNotMatch(p, /[01lIO]/);
  });

  it('reads terse output with escaped colons', () => {
    assert.deepEqual(splitTerse('office\\:wifi:wifi'), ['office:wifi', 'wifi']);
    assert.deepEqual(parseHotspotShow('Outpost-pi\nwlan0\nyes\nactivated\n'), {
      ssid: 'Outpost-pi',
      ifname: 'wlan0',
      autoconnect: true,
      active: true,
    });
  });
});

describe('hotspot: on, off, status through the runner', () => {
  it('on creates the connection and brings it up; status says where tablets find the station', async () => {
    const { runner, calls } = fakeNmcli({ configured: false, active: false });
    assert.equal((await hotspotStatus(runner)).configured, false);
    const s = await hotspotOn(runner, SETTINGS);
    assert.equal(s.active, true);
    assert.equal(s.address, '10.42.0.1');
    assert.ok(calls.some((c) => c.startsWith('nmcli connection add type wifi con-name outpost-hotspot')));
    assert.ok(calls.includes('nmcli connection up outpost-hotspot'));
  });

  it('on again modifies the saved connection; a new one without a password is refused', async () => {
    const saved = fakeNmcli({ configured: true, active: false });
    await hotspotOn(saved.runner, { ...SETTINGS, password: undefined });
    assert.ok(
      saved.calls.some((c) =>
        c.startsWith('nmcli connection modify outpost-hotspot connection.interface-name'),
      ),
    );
    const fresh = fakeNmcli({ configured: false, active: false });
    await assert.rejects(hotspotOn(fresh.runner, { ...SETTINGS, password: undefined }), /needs a password/);
    await assert.rejects(hotspotOn(fresh.runner, { ...SETTINGS, password: 'short' }), /8 to 63/);
  });

  it('off takes it down and out of boot; a failure never shows the password', async () => {
    const { runner, calls } = fakeNmcli({ configured: true, active: true });
    const s = await hotspotOff(runner);
    assert.equal(s.active, false);
    assert.ok(calls.includes('nmcli connection modify outpost-hotspot connection.autoconnect no'));
    assert.ok(calls.includes('nmcli connection down outpost-hotspot'));
    const failing = fakeNmcli({ configured: false, active: false }, (a) =>
      a.startsWith('connection add') ? 'No Wi-Fi device found.' : undefined,
    );
    await assert.rejects(hotspotOn(failing.runner, SETTINGS), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'SYSTEM_COMMAND_FAILED');
      assert.match(e.message, /No Wi-Fi device found/);
      assert.doesNotMatch(e.message, /correct-horse/);
      return true;
    });
  });
});
