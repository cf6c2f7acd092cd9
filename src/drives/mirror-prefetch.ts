/**
 * Read the next item while this one is finished. The mirror copies items in plan order; after an
 * original is in the receiving drive's tmp, its fsync, placement, companions, derivatives and
 * commit still take a while, and the next original can be read meanwhile. It also starts early
 * when the current copy reads faster than one core hashes (a fast SSD on a Pi: two hash streams
 * on two cores); otherwise reads stay one file at a time (a hard disk hates two streams).
 */
export class Prefetch<T> {
  private readonly started = new Map<number, Promise<T>>();
  private readonly signals = new Map<number, () => void>();
  private readonly saturated = new Set<number>();
  private closed = false;

  /**
   * `next(i)`: the index of the next action to prefetch after `i` (or undefined); `start(i, onSaturated)`
   * stages action `i`, calling `onSaturated` when its source outruns its hasher.
   */
  constructor(
    private readonly next: (i: number) => number | undefined,
    private readonly start: (i: number, onSaturated: () => void) => Promise<T>,
  ) {}

  /** The staging of action `i` (started now unless prefetched); schedules the one after it. */
  take(i: number): Promise<T> {
    const p = this.started.get(i) ?? this.begin(i);
    this.started.delete(i);
    const j = this.next(i);
    if (j !== undefined && !this.started.has(j)) {
      const early = new Promise<void>((r) => {
        if (this.saturated.delete(i)) r();
        else this.signals.set(i, r);
      });
      void Promise.race([p.then(undefined, () => undefined), early]).then(() => {
        this.signals.delete(i);
        if (!this.started.has(j) && !this.closed) this.started.set(j, this.begin(j));
      });
    }
    return p;
  }

  private begin(i: number): Promise<T> {
    const p = this.start(i, () => {
      const r = this.signals.get(i);
      if (r) r();
      else this.saturated.add(i);
    });
    // Its failure is the action's, reported when the action is taken (or dropped by drain).
    p.catch(() => undefined);
    return p;
  }

  /** Stop prefetching; wait for what was started and never taken, and clean it up. */
  async drain(cleanup: (t: T) => Promise<void>): Promise<void> {
    this.closed = true;
    for (const r of this.signals.values()) r();
    const left = [...this.started.values()];
    this.started.clear();
    for (const p of left) {
      const t = await p.catch(() => undefined);
      if (t !== undefined) await cleanup(t).catch(() => undefined);
    }
  }
}
