import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedHostNames, hostAllowed, hostOfHeader } from '../../../src/auth/host-check.js';

describe('Host check (DNS rebinding)', () => {
  const names = allowedHostNames('Outpost-1', ['station.lan', 'HQ.example.org.']);

  it('allows IP literals, localhost, the host name, <host name>.local and the configured names', () => {
    for (const h of [
      '192.168.1.20:8080',
      '127.0.0.1',
      '[::1]:8080',
      '[fe80::1]',
      'localhost:8080',
      'LOCALHOST',
      'outpost-1:8080',
      'outpost-1.local:8080',
      'Outpost-1.local.',
      'station.lan',
      'hq.example.org',
      'hq.example.org:443',
    ])
      assert.ok(hostAllowed(h, names), h);
  });

  it('refuses other names, a missing Host and malformed ones', () => {
    for (const h of [
      'attacker.example',
      'attacker.example:8080',
      'outpost-1.attacker.example',
      'localhost.attacker.example',
      'station.lan.evil',
      '',
      undefined,
      '[::1',
      '[::1]x',
      'a:b:c',
      'outpost-1:80:80',
    ])
      assert.ok(!hostAllowed(h, names), String(h));
  });

  it('a fully qualified host name also passes by its first label', () => {
    const n = allowedHostNames('pi.example.org');
    for (const h of ['pi.example.org', 'pi', 'pi.local']) assert.ok(hostAllowed(h, n), h);
    assert.ok(!hostAllowed('example.org', n));
  });

  it('parses Host values', () => {
    assert.equal(hostOfHeader('Example.ORG:8080'), 'example.org');
    assert.equal(hostOfHeader('[2001:DB8::1]:80'), '2001:db8::1');
    assert.equal(hostOfHeader('example.org.'), 'example.org');
    assert.equal(hostOfHeader('a:b'), undefined);
  });
});
