import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/load.js';
import { OutpostError } from '../../../src/core/errors.js';

describe('config: server.trustProxy and server.allowedHosts', () => {
  it('default: no proxy is trusted, no extra host names', () => {
    const c = parseConfig({}, 'test');
    assert.equal(c.server.trustProxy, false);
    assert.deepEqual(c.server.allowedHosts, []);
  });

  it('takes true, or proxy addresses, CIDRs and range names; host names without port', () => {
    const c = parseConfig(
      {
        server: {
          trustProxy: ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback'],
          allowedHosts: ['hq.example.org', 'station.lan', 'Outpost-2.local.'],
        },
      },
      'test',
    );
    assert.deepEqual(c.server.trustProxy, ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback']);
    assert.deepEqual(c.server.allowedHosts, ['hq.example.org', 'station.lan', 'Outpost-2.local.']);
    assert.equal(parseConfig({ server: { trustProxy: true } }, 'test').server.trustProxy, true);
  });

  it('lists every bad entry', () => {
    try {
      parseConfig(
        {
          server: {
            trustProxy: ['127.0.0.1', 'proxy.example', '10.0.0.0/33', '1.2.3.4/8/9'],
            allowedHosts: ['https://hq.example.org', 'hq.example.org:443', 'ok.example'],
          },
        },
        'f.yaml',
      );
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof OutpostError);
      const problems = (e.details as { problems: string[] }).problems;
      for (const k of [
        'server.trustProxy.1',
        'server.trustProxy.2',
        'server.trustProxy.3',
        'server.allowedHosts.0',
        'server.allowedHosts.1',
      ])
        assert.ok(
          problems.some((p) => p.startsWith(k)),
          `${k} in ${problems.join(' | ')}`,
        );
      assert.equal(problems.length, 5, problems.join(' | '));
    }
  });
});
