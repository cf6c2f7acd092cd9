import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lanUrls } from '../../../src/core/lan-urls.js';

const nics = {
  lo: [
    { address: '127.0.0.1', family: 'IPv4', internal: true },
    { address: '::1', family: 'IPv6', internal: true },
  ],
  eth0: [
    { address: '192.168.1.20', family: 'IPv4', internal: false },
    { address: 'fe80::1', family: 'IPv6', internal: false },
  ],
  wlan0: [
    { address: '10.42.0.1', family: 'IPv4', internal: false },
    { address: '169.254.3.4', family: 'IPv4', internal: false },
  ],
};

test('an every-interface bind lists the LAN addresses and the mDNS name, never 0.0.0.0', () => {
  assert.deepEqual(lanUrls('0.0.0.0', 8080, nics, 'outpost'), [
    'http://192.168.1.20:8080',
    'http://10.42.0.1:8080',
    'http://outpost.local:8080',
  ]);
});

test('a bind to one address is that address; no LAN at all falls back to this machine', () => {
  assert.deepEqual(lanUrls('127.0.0.1', 8080, nics, 'outpost'), ['http://127.0.0.1:8080']);
  assert.deepEqual(lanUrls('::1', 9000, nics), ['http://[::1]:9000']);
  assert.deepEqual(lanUrls('0.0.0.0', 8080, { lo: nics.lo }, 'outpost'), ['http://127.0.0.1:8080']);
});
