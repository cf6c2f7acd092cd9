import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobQueue, type JobInfo } from '../../../src/station/job-queue.js';

function queue(signal = new AbortController().signal): { q: JobQueue; errors: [JobInfo, unknown][] } {
  const errors: [JobInfo, unknown][] = [];
  return { q: new JobQueue({ signal, onError: (j, e) => errors.push([j, e]) }), errors };
}

/** A job that waits until released, recording when it starts and ends. */
function gate(log: string[], name: string): { run: (s: AbortSignal) => Promise<void>; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  return {
    release: () => release(),
    run: async (signal) => {
      log.push(`start ${name}`);
      await Promise.race([
        released,
        new Promise<void>((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error(`${name} aborted`)), { once: true }),
        ),
      ]).finally(() => log.push(`end ${name}`));
    },
  };
}

describe('JobQueue', () => {
  it('runs jobs one at a time, in the order they were queued', async () => {
    const { q } = queue();
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const pa = q.enqueue({ kind: 'ingest', key: '/card1' }, a.run);
    const pb = q.enqueue({ kind: 'mirror' }, b.run);
    await sleep(5);
    assert.deepEqual(log, ['start a'], 'b waits for a');
    assert.deepEqual(q.running(), { kind: 'ingest', key: '/card1' });
    assert.equal(q.queued('mirror'), 1);
    b.release(); // released early: still does not start before a ends
    await sleep(5);
    assert.deepEqual(log, ['start a']);
    a.release();
    await Promise.all([pa, pb]);
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b']);
    assert.equal(q.running(), undefined);
  });

  it('a failing job is reported and the queue goes on', async () => {
    const { q, errors } = queue();
    const ran: string[] = [];
    const p1 = q.enqueue({ kind: 'relocate' }, async () => {
      throw new Error('boom');
    });
    const p2 = q.enqueue({ kind: 'mirror' }, async () => void ran.push('mirror'));
    await Promise.all([p1, p2]);
    assert.deepEqual(ran, ['mirror']);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]![0].kind, 'relocate');
    assert.match(String(errors[0]![1]), /boom/);
  });

  it('run() hands back the result or the error to its caller', async () => {
    const { q, errors } = queue();
    assert.equal(await q.run({ kind: 'housekeeping' }, async () => 42), 42);
    await assert.rejects(
      q.run({ kind: 'housekeeping' }, async () => {
        throw new Error('nope');
      }),
      /nope/,
    );
    assert.equal(errors.length, 0, 'the caller got it, not onError');
  });

  it('cancel by key aborts that job only, and drops it when queued', async () => {
    const { q, errors } = queue();
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const c = gate(log, 'c');
    const all = [
      q.enqueue({ kind: 'ingest', key: '/card1' }, a.run),
      q.enqueue({ kind: 'ingest', key: '/card2' }, b.run),
      q.enqueue({ kind: 'mirror', key: '/b' }, c.run),
    ];
    await sleep(5);
    q.cancel({ key: '/card2' }); // queued: never starts
    q.cancel({ key: '/card1' }); // running: aborted
    await sleep(5);
    c.release();
    await Promise.all(all);
    assert.deepEqual(log, ['start a', 'end a', 'start c', 'end c']);
    assert.equal(errors.length, 1, 'the aborted job reports its abort');
    assert.match(String(errors[0]![1]), /a aborted/);
  });

  it('once: a job already queued and not started stands for a new one of the same kind and key', async () => {
    const { q } = queue();
    const log: string[] = [];
    const a = gate(log, 'a');
    let mirrors = 0;
    const mirror = async (): Promise<void> => void mirrors++;
    const p = [q.enqueue({ kind: 'ingest' }, a.run)];
    for (let i = 0; i < 5; i++) p.push(q.enqueue({ kind: 'mirror', key: '/b' }, mirror, { once: true }));
    assert.equal(q.queued('mirror'), 1);
    a.release();
    await Promise.all(p);
    assert.equal(mirrors, 1);
    // While one runs, a new one is queued (it has new work to see).
    const log2: string[] = [];
    const m = gate(log2, 'm');
    const p1 = q.enqueue({ kind: 'mirror', key: '/b' }, m.run, { once: true });
    await sleep(5);
    const p2 = q.enqueue({ kind: 'mirror', key: '/b' }, mirror, { once: true });
    assert.equal(q.queued('mirror'), 1);
    m.release();
    await Promise.all([p1, p2]);
    assert.equal(mirrors, 2);
  });

  it('the stop signal aborts the running job and drops the queued ones', async () => {
    const stop = new AbortController();
    const { q } = queue(stop.signal);
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const pa = q.enqueue({ kind: 'ingest' }, a.run);
    const pb = q.enqueue({ kind: 'mirror' }, b.run);
    const pr = q.run({ kind: 'housekeeping' }, async () => 1);
    await sleep(5);
    stop.abort();
    await Promise.all([pa, pb]);
    await assert.rejects(pr);
    await q.idle();
    assert.deepEqual(log, ['start a', 'end a']);
    let late = false;
    await q.enqueue({ kind: 'scrub' }, async () => void (late = true));
    assert.equal(late, false, 'nothing starts after the stop');
  });

  it('jobs stop listening to the stop signal when they end (a long-running station leaks nothing)', async () => {
    const stop = new AbortController();
    const { q } = queue(stop.signal);
    const before = getEventListeners(stop.signal, 'abort').length;
    let sawParent = 0;
    for (let i = 0; i < 50; i++) {
      await q.enqueue({ kind: 'ingest', key: `/card${i}` }, async (signal) => {
        // While it runs, the job is linked to the stop signal...
        sawParent = Math.max(sawParent, getEventListeners(stop.signal, 'abort').length);
        assert.equal(signal.aborted, false);
      });
      await q.run({ kind: 'mirror' }, async () => undefined);
    }
    assert.equal(sawParent, before + 1, 'one link while a job runs');
    // ...and not after: the count is back where it was after 100 jobs.
    assert.equal(getEventListeners(stop.signal, 'abort').length, before);
  });

  it('idle() waits for what is queued, including jobs queued by jobs', async () => {
    const { q } = queue();
    const ran: string[] = [];
    void q.enqueue({ kind: 'ingest' }, async () => {
      ran.push('ingest');
      void q.enqueue({ kind: 'mirror' }, async () => {
        await sleep(5);
        ran.push('mirror');
      });
    });
    await q.idle();
    assert.deepEqual(ran, ['ingest', 'mirror']);
  });
});
