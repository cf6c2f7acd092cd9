import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  RENEW_BEFORE_DAYS,
  lanCertAddresses,
  lanCertNames,
  normalIp,
  parseSubjectAltName,
  renewalReason,
} from '../../../src/core/lan-tls.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-06T12:00:00Z');

describe('lan-tls', () => {
  it('names: the mDNS name, the host name with and without .local, localhost', () => {
    assert.deepEqual(lanCertNames('Pi-07'), ['outpost.local', 'pi-07', 'pi-07.local', 'localhost']);
    assert.deepEqual(lanCertNames('outpost.local'), ['outpost.local', 'outpost', 'localhost']);
  });

  it('addresses: every interface, loopback; no IPv6 link-local (it needs a zone)', () => {
    const ifaces = {
      lo: [
        { address: '127.0.0.1', family: 'IPv4', internal: true },
        { address: '::1', family: 'IPv6', internal: true },
      ],
      wlan0: [
        { address: '192.168.1.20', family: 'IPv4', internal: false },
        { address: 'fe80::1', family: 'IPv6', internal: false },
        { address: '2001:db8::20', family: 'IPv6', internal: false },
      ],
    } as unknown as Parameters<typeof lanCertAddresses>[0];
    assert.deepEqual(lanCertAddresses(ifaces), ['127.0.0.1', '192.168.1.20', '2001:db8::20']);
  });

  it('reads the names and addresses Node shows, in one spelling', () => {
    assert.deepEqual(
      parseSubjectAltName(
        'DNS:outpost.local, DNS:Pi-07, IP Address:192.168.1.20, IP Address:2001:DB8:0:0:0:0:0:20',
      ),
      {
        dns: ['outpost.local', 'pi-07'],
        ips: ['192.168.1.20', '2001:db8:0:0:0:0:0:20'],
      },
    );
    assert.equal(normalIp('2001:db8::20'), normalIp('2001:DB8:0:0:0:0:0:20'));
    assert.equal(normalIp('::1'), '0:0:0:0:0:0:0:1');
    assert.deepEqual(parseSubjectAltName(undefined), { dns: [], ips: [] });
  });

  it('renewal: none yet, expired, expiring soon, an address or a name it lacks; else none', () => {
    const want = { names: ['outpost.local', 'pi-07'], ips: ['192.168.1.20', '2001:db8::20'] };
    const ok = {
      notAfterMs: NOW + 200 * DAY,
      dns: ['outpost.local', 'pi-07'],
      ips: ['192.168.1.20', '2001:db8:0:0:0:0:0:20'],
    };
    assert.equal(renewalReason(undefined, want, NOW), 'no certificate yet');
    assert.equal(renewalReason(ok, want, NOW), undefined);
    assert.match(
      renewalReason({ ...ok, notAfterMs: NOW - DAY }, want, NOW) ?? '',
      /^it expired on 2026-12-05/,
    );
    assert.match(
      renewalReason({ ...ok, notAfterMs: NOW + (RENEW_BEFORE_DAYS - 1) * DAY }, want, NOW) ?? '',
      /^it expires on/,
    );
    assert.equal(
      renewalReason(ok, { ...want, ips: [...want.ips, '10.0.0.5'] }, NOW),
      'it does not name 10.0.0.5',
    );
    assert.equal(renewalReason(ok, { ...want, names: ['station.lan'] }, NOW), 'it does not name station.lan');
  });
});
