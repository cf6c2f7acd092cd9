/**
 * The station's serial job runner: card ingests, mirror passes, scrubs and the small jobs around
 * them (relocations after a drive comes back, unmounting drive B after its mirror) run one at a
 * time, in the order they were queued, because they all take the library drives' locks and share
 * one disk. Each job gets its own AbortSignal: aborted when the job is cancelled (its card or
 * drive went away, a card arrived while a scrub ran) or when the station stops.
 *
 * The stop signal is long-lived: a job listens to it only while it runs and stops listening when
 * it ends, so a station that runs for months does not collect one listener per card.
 */
export type JobKind = 'ingest' | 'mirror' | 'scrub' | 'videos' | 'relocate' | 'release' | 'housekeeping';

export interface JobInfo {
  kind: JobKind;
  /** What the job works on (a card's mount point, drive B's path), for cancelling and status. */
  key?: string | undefined;
}

interface Entry extends JobInfo {
  run: (signal: AbortSignal) => Promise<unknown>;
  controller: AbortController;
  /** The caller gets the job's result or error (`run`), not just its end (`enqueue`). */
  propagate: boolean;
  done: Promise<unknown>;
  settle: { resolve: (v: unknown) => void; reject: (e: unknown) => void };
}

export interface JobQueueOptions {
  /** The station's stop signal: aborts the running job and drops the queued ones. */
  signal: AbortSignal;
  /** A job that threw (the queue goes on with the next one). */
  onError: (job: JobInfo, error: unknown) => void;
}

export class JobQueue {
  private readonly pending: Entry[] = [];
  private current: Entry | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: JobQueueOptions) {
    opts.signal.addEventListener(
      'abort',
      () => {
        for (const e of this.pending.splice(0)) this.drop(e);
        this.wakeIdle();
      },
      { once: true },
    );
  }

  /**
   * Queue a job; resolves when it has run (or was dropped), never rejects: a failure goes to
   * `onError`. With `once`, a job of the same kind and key that is queued and has not started yet
   * stands for this one (it will see everything this one would: a mirror pass, a scrub check).
   */
  enqueue(
    info: JobInfo,
    run: (signal: AbortSignal) => Promise<unknown>,
    o: { once?: boolean } = {},
  ): Promise<void> {
    if (o.once) {
      const same = this.pending.find((e) => e.kind === info.kind && e.key === info.key);
      if (same)
        return same.done.then(
          () => undefined,
          () => undefined,
        );
    }
    return this.push(info, run).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Run `fn` as a job and hand back its result or error (a caller waiting for its turn). */
  run<T>(info: JobInfo, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.push(info, fn, true) as Promise<T>;
  }

  /** Abort the running job and drop queued ones that match (by key, and kind when given). */
  cancel(match: Partial<JobInfo>): void {
    const hit = (e: Entry): boolean =>
      (match.kind === undefined || e.kind === match.kind) && (match.key === undefined || e.key === match.key);
    if (this.current && hit(this.current)) this.current.controller.abort();
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const e = this.pending[i]!;
      if (!hit(e)) continue;
      this.pending.splice(i, 1);
      this.drop(e);
    }
    this.wakeIdle();
  }

  /** Abort the running job if it matches (queued ones stay: a card pulled mid-copy, a drain). */
  abortRunning(match: Partial<JobInfo>): void {
    const c = this.current;
    if (!c) return;
    if (
      (match.kind === undefined || c.kind === match.kind) &&
      (match.key === undefined || c.key === match.key)
    )
      c.controller.abort();
  }

  /** The job running now. */
  running(): JobInfo | undefined {
    return this.current && { kind: this.current.kind, key: this.current.key };
  }

  /** Jobs queued and not started, of `kind` (all kinds when omitted). */
  queued(kind?: JobKind): number {
    return this.pending.filter((e) => kind === undefined || e.kind === kind).length;
  }

  /** Resolves when nothing runs and nothing is queued. */
  idle(): Promise<void> {
    if (!this.current && this.pending.length === 0) return Promise.resolve();
    return new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private push(
    info: JobInfo,
    run: (signal: AbortSignal) => Promise<unknown>,
    propagate = false,
  ): Promise<unknown> {
    let settle!: Entry['settle'];
    const done = new Promise<unknown>((resolve, reject) => (settle = { resolve, reject }));
    const e: Entry = { ...info, run, controller: new AbortController(), propagate, done, settle };
    if (this.opts.signal.aborted) this.drop(e);
    else {
      this.pending.push(e);
      if (!this.current) void this.next();
    }
    return done;
  }

  private drop(e: Entry): void {
    e.controller.abort();
    if (e.propagate) e.settle.reject(this.opts.signal.reason ?? new Error('job cancelled before it started'));
    else e.settle.resolve(undefined);
  }

  private async next(): Promise<void> {
    while (!this.current) {
      const e = this.pending.shift();
      if (!e) break;
      this.current = e;
      const parent = this.opts.signal;
      const stop = (): void => e.controller.abort(parent.reason);
      if (parent.aborted) stop();
      else parent.addEventListener('abort', stop, { once: true });
      try {
        const v = await e.run(e.controller.signal);
        e.settle.resolve(v);
      } catch (err) {
        if (e.propagate) e.settle.reject(err);
        else {
          this.opts.onError({ kind: e.kind, key: e.key }, err);
          e.settle.resolve(undefined);
        }
      } finally {
        parent.removeEventListener('abort', stop);
        this.current = undefined;
      }
    }
    this.wakeIdle();
  }

  private wakeIdle(): void {
    if (this.current || this.pending.length) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
