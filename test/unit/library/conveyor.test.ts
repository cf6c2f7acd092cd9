import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convey, type ItemProgress, type Settled } from '../../../src/library/intake/conveyor.js';

/** A job whose reading and finishing the test releases by hand. */
class Job {
  progress!: ItemProgress;
  private endRead!: () => void;
  private endAll!: (v: string) => void;
  private failAll!: (e: Error) => void;
  readonly reading = new Promise<void>((r) => (this.endRead = r));
  readonly result = new Promise<string>((res, rej) => {
    this.endAll = res;
    this.failAll = rej;
  });
  started = false;
  constructor(readonly name: string) {}
  async run(p: ItemProgress): Promise<string> {
    this.started = true;
    this.progress = p;
    await this.reading;
    p.read();
    return this.result;
  }
  read(): void {
    this.endRead();
  }
  finish(): void {
    this.read();
    this.endAll(this.name);
  }
  fail(e: Error): void {
    this.read();
    this.failAll(e);
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(n: number, o: { reading?: number; window?: number } = {}) {
  const jobs = Array.from({ length: n }, (_, i) => new Job(`j${i}`));
  const settled: [string, Settled<string>, boolean][] = [];
  let stopAt: string | undefined;
  const done = convey(jobs, {
    reading: o.reading ?? 2,
    window: o.window ?? 3,
    halted: () => false,
    run: (j, p) => j.run(p),
    settle: async (j, r, stopping) => {
      settled.push([j.name, r, stopping]);
      return j.name === stopAt ? 'stop' : 'continue';
    },
  });
  return { jobs, settled, done, stopOn: (name: string) => (stopAt = name) };
}

describe('conveyor', () => {
  it('reads one item at a time until the reading one says it outruns its hasher', async () => {
    const { jobs, done } = setup(4);
    await tick();
    assert.deepEqual(
      jobs.map((j) => j.started),
      [true, false, false, false],
    );
    jobs[0]!.progress.fast();
    await tick();
    assert.equal(jobs[1]!.started, true, 'a second reader starts when the first is hash-bound');
    assert.equal(jobs[2]!.started, false, 'not a third while the second is not');
    jobs[1]!.progress.fast();
    await tick();
    assert.equal(jobs[2]!.started, false, 'at most `reading` readers');
    jobs[0]!.read();
    await tick();
    assert.equal(jobs[2]!.started, true, 'a reader that finished reading makes room');
    for (const j of jobs) j.finish();
    await done;
  });

  it('settles in start order, never more than `window` items in flight', async () => {
    const { jobs, settled, done } = setup(5, { window: 2 });
    await tick();
    jobs[0]!.read();
    await tick();
    assert.equal(jobs[1]!.started, true);
    jobs[1]!.finish();
    await tick();
    assert.equal(jobs[2]!.started, false, 'the window is full until the first settles');
    assert.deepEqual(settled, [], 'the second waits for the first to be settled');
    jobs[0]!.finish();
    await tick();
    assert.deepEqual(
      settled.map((s) => s[0]),
      ['j0', 'j1'],
    );
    for (const j of jobs.slice(2)) j.finish();
    await done;
    assert.deepEqual(
      settled.map((s) => s[0]),
      ['j0', 'j1', 'j2', 'j3', 'j4'],
    );
  });

  it('a stop starts nothing more; items already in flight are still settled, marked stopping', async () => {
    const { jobs, settled, done, stopOn } = setup(5, { window: 3 });
    stopOn('j0');
    await tick();
    jobs[0]!.progress.fast();
    await tick();
    jobs[0]!.read();
    jobs[1]!.read();
    await tick();
    assert.equal(jobs[2]!.started, true);
    jobs[0]!.fail(new Error('drive full'));
    jobs[1]!.finish();
    jobs[2]!.fail(new Error('aborted'));
    await done;
    assert.deepEqual(
      settled.map(([n, r, s]) => [n, r.ok, s]),
      [
        ['j0', false, false],
        ['j1', true, true],
        ['j2', false, true],
      ],
    );
    assert.equal(jobs[3]!.started, false);
  });

  it('an error thrown while settling waits for the items in flight, then ends the run', async () => {
    const jobs = [new Job('a'), new Job('b')];
    let bFinished = false;
    const done = convey(jobs, {
      reading: 2,
      window: 2,
      halted: () => false,
      run: (j, p) => j.run(p),
      settle: async (j) => {
        if (j.name === 'a') throw new TypeError('a bug');
        return 'continue';
      },
    });
    await tick();
    jobs[0]!.read();
    await tick();
    jobs[0]!.finish();
    let rejected = false;
    void done.catch(() => (rejected = true));
    await tick();
    assert.equal(rejected, false, 'b is still in flight');
    bFinished = true;
    jobs[1]!.finish();
    await assert.rejects(done, /a bug/);
    assert.ok(bFinished);
  });
});
