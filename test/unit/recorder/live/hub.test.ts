import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clock } from '../../../../src/adapters/clock.js';
import {
  LiveHub,
  type LiveClient,
  type LiveFrame,
  type LiveTimers,
} from '../../../../src/recorder/live/hub.js';

/** A fake schedule: time moves only when the test says so. */
function fakeTime(): LiveTimers & Clock & { advance(ms: number): void } {
  let t = Date.parse('2024-06-01T10:00:00Z');
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => new Date(t),
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.set(id, { at: t + ms, fn });
      return id;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    advance(ms) {
      const end = t + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        t = due[1].at;
        due[1].fn();
      }
      t = end;
    },
  };
}

/** A client that records frames and holds `done` until the test releases it (a slow socket). */
function recorder(auto = true) {
  const got: number[] = [];
  const ended: string[] = [];
  let held: (() => void) | undefined;
  const client: LiveClient = {
    send(frame: LiveFrame, done) {
      got.push(frame.seq);
      if (auto) done();
      else held = done;
    },
    end: (r) => void ended.push(r),
  };
  return {
    client,
    got,
    ended,
    release() {
      const d = held;
      held = undefined;
      d?.();
    },
  };
}

const jpeg = (n: number): Buffer => Buffer.from([0xff, 0xd8, n, 0xff, 0xd9]);
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('LiveHub', () => {
  it('fans every frame out to fast clients and keeps the latest', async () => {
    const time = fakeTime();
    const hub = new LiveHub({ camera: 'gate', clock: time, timers: time });
    const a = recorder();
    const b = recorder();
    hub.subscribe(a.client);
    hub.subscribe(b.client);
    for (let i = 1; i <= 3; i++) hub.push(jpeg(i));
    assert.deepEqual(a.got, [1, 2, 3]);
    assert.deepEqual(b.got, [1, 2, 3]);
    assert.equal(hub.latest()?.seq, 3);
    assert.equal(hub.lastFrameAt, time.now().getTime());
  });

  it('a slow client skips to the newest frame, never a backlog', async () => {
    const time = fakeTime();
    const hub = new LiveHub({ camera: 'gate', clock: time, timers: time });
    const slow = recorder(false);
    const fast = recorder();
    hub.subscribe(slow.client);
    hub.subscribe(fast.client);
    for (let i = 1; i <= 5; i++) hub.push(jpeg(i));
    assert.deepEqual(slow.got, [1], 'busy with frame 1');
    slow.release();
    assert.deepEqual(slow.got, [1, 5], 'then straight to the newest');
    slow.release();
    assert.deepEqual(slow.got, [1, 5], 'nothing else pending');
    hub.push(jpeg(6));
    assert.deepEqual(slow.got, [1, 5, 6]);
    assert.deepEqual(fast.got, [1, 2, 3, 4, 5, 6]);
  });

  it('a new client gets the latest frame right after subscribing (not during)', async () => {
    const time = fakeTime();
    const hub = new LiveHub({ camera: 'gate', clock: time, timers: time });
    hub.push(jpeg(1));
    const c = recorder();
    hub.subscribe(c.client);
    assert.deepEqual(c.got, [], 'not inside subscribe()');
    await tick();
    assert.deepEqual(c.got, [1]);
    // A stale latest frame (camera down for longer than the idle timeout) is not sent.
    time.advance(60_000);
    const late = recorder();
    hub.subscribe(late.client);
    await tick();
    assert.deepEqual(late.got, []);
  });

  it('refuses clients beyond maxClients; a place frees when one leaves', () => {
    const time = fakeTime();
    const hub = new LiveHub({ camera: 'gate', clock: time, timers: time, maxClients: 2 });
    const s1 = hub.subscribe(recorder().client);
    assert.equal(typeof hub.subscribe(recorder().client), 'object');
    assert.equal(hub.subscribe(recorder().client), 'full');
    assert.equal(hub.clients, 2);
    assert.ok(typeof s1 === 'object');
    s1.unsubscribe();
    s1.unsubscribe();
    assert.equal(hub.clients, 1);
    assert.equal(typeof hub.subscribe(recorder().client), 'object');
  });

  it('ends a client that received no frame for the idle timeout (camera down, or stuck socket)', () => {
    const time = fakeTime();
    const hub = new LiveHub({ camera: 'gate', clock: time, timers: time, idleTimeoutMs: 5000 });
    const a = recorder();
    const stuck = recorder(false);
    hub.subscribe(a.client);
    hub.subscribe(stuck.client);
    for (let i = 1; i <= 8; i++) {
      time.advance(1000);
      hub.push(jpeg(i));
    }
    assert.deepEqual(a.ended, [], 'frames keep it alive');
    assert.deepEqual(stuck.ended, ['idle'], 'its first frame never drained: ended');
    assert.equal(hub.clients, 1);
    time.advance(4999);
    assert.deepEqual(a.ended, []);
    time.advance(1);
    assert.deepEqual(a.ended, ['idle'], 'the camera stopped: ended after 5 s');
    assert.equal(hub.clients, 0);
    const frames = a.got.length;
    hub.push(jpeg(9));
    assert.equal(a.got.length, frames, 'an ended client gets nothing more');
  });

  it('liveSince marks a new run of frames after a gap as long as the idle timeout', () => {
    const time = fakeTime();
    const hub = new LiveHub({ camera: 'gate', clock: time, timers: time, idleTimeoutMs: 5000 });
    assert.equal(hub.liveSince, null);
    hub.push(jpeg(1));
    const first = hub.liveSince;
    assert.equal(first, time.now().getTime());
    time.advance(4999);
    hub.push(jpeg(2));
    assert.equal(hub.liveSince, first, 'a short gap: same run (streams stayed open)');
    time.advance(5000);
    hub.push(jpeg(3));
    assert.equal(hub.liveSince, time.now().getTime(), 'the camera was down: a new run');
  });

  it('close() ends every client and refuses new ones', () => {
    const time = fakeTime();
    const hub = new LiveHub({ camera: 'gate', clock: time, timers: time });
    const a = recorder();
    hub.subscribe(a.client);
    hub.close();
    hub.close();
    assert.deepEqual(a.ended, ['closed']);
    assert.equal(hub.subscribe(recorder().client), 'closed');
    time.advance(60_000);
    assert.deepEqual(a.ended, ['closed'], 'no idle end after close');
  });

  it('a done() called twice does not send twice', () => {
    const time = fakeTime();
    const hub = new LiveHub({ camera: 'gate', clock: time, timers: time });
    const seen: number[] = [];
    let last: (() => void) | undefined;
    hub.subscribe({
      send: (f, done) => {
        seen.push(f.seq);
        last = done;
      },
      end: () => undefined,
    });
    hub.push(jpeg(1));
    hub.push(jpeg(2));
    hub.push(jpeg(3));
    const first = last!;
    first();
    first();
    assert.deepEqual(seen, [1, 3]);
  });
});
