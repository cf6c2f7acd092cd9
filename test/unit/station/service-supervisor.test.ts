import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../src/adapters/logger.js';
import type { NotifyFields, ServiceNotifier } from '../../../src/adapters/service-notify.js';
import { StationEvents } from '../../../src/station/events.js';
import { superviseService } from '../../../src/station/service-supervisor.js';

function fakeNotifier(watchdogIntervalMs?: number): ServiceNotifier & { sent: NotifyFields[] } {
  const sent: NotifyFields[] = [];
  return {
    enabled: true,
    watchdogIntervalMs,
    sent,
    notify: (f) => {
      sent.push(f);
      return Promise.resolve();
    },
  };
}

const opts = (notifier: ServiceNotifier, events: StationEvents) => ({
  notifier,
  events,
  serverEnabled: true,
  graceMs: 60_000,
  maxWaitMs: 60_000,
  log: silentLogger,
});

describe('service supervisor', () => {
  // The supervisor's timers do not keep a process alive (the station does); here the test must.
  let keepAlive: NodeJS.Timeout;
  before(() => (keepAlive = setInterval(() => undefined, 1000)));
  after(() => clearInterval(keepAlive));

  it('READY=1 once the web app listens for the attached drive, then STOPPING=1', async () => {
    const n = fakeNotifier();
    const events = new StationEvents();
    const s = superviseService(opts(n, events));
    events.emit('library-attached', { path: '/d', label: 'A', id: 'x' });
    s.onServer({ url: 'http://127.0.0.1:8080' });
    await s.ready;
    s.stopping();
    await s.close();
    assert.deepEqual(n.sent, [
      { status: 'starting' },
      { ready: false, status: 'library drive "A" attached · starting the web app' },
      { ready: true, status: 'web app at http://127.0.0.1:8080 · library drive "A"' },
      { stopping: true, status: 'stopping' },
    ]);
  });

  it('without a drive, READY=1 after the grace period; pings the watchdog from the event loop', async () => {
    const n = fakeNotifier(20);
    const events = new StationEvents();
    const s = superviseService({ ...opts(n, events), graceMs: 30 });
    await s.ready;
    await sleep(100);
    await s.close();
    const pings = n.sent.filter((f) => f.watchdog && f.status === undefined).length;
    assert.ok(pings >= 2, `pings: ${pings}`);
    assert.ok(
      n.sent.some((f) => f.ready && f.status === 'waiting for a library drive (the web app starts with one)'),
    );
    const after = n.sent.length;
    await sleep(60);
    assert.equal(n.sent.length, after, 'no pings after close');
  });

  it('is ready at once, and silent, when systemd does not listen', async () => {
    const sent: NotifyFields[] = [];
    const off: ServiceNotifier = {
      enabled: false,
      watchdogIntervalMs: undefined,
      notify: (f) => {
        sent.push(f);
        return Promise.resolve();
      },
    };
    const s = superviseService(opts(off, new StationEvents()));
    await s.ready;
    await s.close();
  });
});
