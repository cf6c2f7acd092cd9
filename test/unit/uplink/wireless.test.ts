import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkHint, parseProcNetWireless } from '../../../src/uplink/throttle/wireless.js';

const PI = `Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE
 face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22
 wlan0: 0000   54.  -56.  -256        0      0      0      3     12        0
`;

describe('/proc/net/wireless', () => {
  it('parses a Raspberry Pi (brcmfmac) line', () => {
    const [w] = parseProcNetWireless(PI);
    assert.deepEqual(w, {
      iface: 'wlan0',
      status: 0,
      link: 54,
      levelDbm: -56,
      noiseDbm: undefined,
      discarded: 15,
      missedBeacons: 0,
      quality: 54 / 70,
    });
    assert.equal(linkHint(parseProcNetWireless(PI)).hint, 'good');
  });

  it('reads several interfaces, old unsigned dBm, and picks the best', () => {
    const text = `${PI.split('\n').slice(0, 2).join('\n')}
  wlan0: 0000   10.  200.  161.       0      0      0      0      0        1
  wlan1: 001a   30   -70   -95        0      0      0      0      0        0
`;
    const ws = parseProcNetWireless(text);
    assert.equal(ws.length, 2);
    assert.equal(ws[0]?.levelDbm, -56);
    assert.equal(ws[0]?.noiseDbm, -95);
    assert.equal(ws[1]?.status, 0x1a);
    const h = linkHint(ws);
    assert.equal(h.hint, 'fair');
    assert.equal(h.iface?.iface, 'wlan1');
    assert.equal(linkHint([{ ...(ws[0] as (typeof ws)[number]), quality: 0.1 }]).hint, 'poor');
  });

  it('no interfaces, no link, or garbage → none', () => {
    assert.deepEqual(parseProcNetWireless(PI.split('\n').slice(0, 2).join('\n')), []);
    assert.deepEqual(linkHint([]), { hint: 'none' });
    assert.equal(linkHint(parseProcNetWireless(' wlan0: 0000 0. 0. -256 0 0 0 0 0 0')).hint, 'none');
    assert.deepEqual(parseProcNetWireless('hello: world\n\0\0'), []);
  });

  it('honours a driver link scale of 100', () => {
    const [w] = parseProcNetWireless(PI, { linkMax: 100 });
    assert.equal(w?.quality, 0.54);
  });
});
