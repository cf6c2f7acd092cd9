/**
 * Several files in flight, results in order. Items start one after another within a bounded
 * window; more than one reads its source at once only while every reading one outruns its hasher
 * (a fast source and several cores; a card or a hard disk keeps one stream). Each item's result
 * is settled in the order the items started, so a caller counts and stops exactly as if one item
 * at a time had run; after a stop, nothing new starts and what is in flight is still settled
 * (the caller aborts it through its own signal).
 */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** What a running item tells the conveyor. */
export interface ItemProgress {
  /** Its source reads faster than it hashes: another item may start reading. */
  fast(): void;
  /** It has finished reading its source. */
  read(): void;
}

export interface ConveyorOptions<T, R> {
  /** Most items reading their source at once. */
  reading: number;
  /** Most items started and not yet settled. */
  window: number;
  /** Nothing new starts once this is true. */
  halted: () => boolean;
  /** Before an item starts (room on the drive…); a rejection is that item's failure. */
  admit?: ((item: T) => Promise<void>) | undefined;
  /** Runs one item; must call `progress.read()` when its reading ends (or it fails). */
  run: (item: T, progress: ItemProgress) => Promise<R>;
  /**
   * Each started item's outcome, in start order. Returning 'stop' halts the conveyor; the items
   * still in flight are settled afterwards with `stopping` true. A throw ends it: the items in
   * flight finish first, then the error is rethrown.
   */
  settle: (item: T, r: Settled<R>, stopping: boolean) => Promise<'continue' | 'stop'>;
}

export async function convey<T, R>(items: Iterable<T>, o: ConveyorOptions<T, R>): Promise<void> {
  const queue: { item: T; done: Promise<Settled<R>> }[] = [];
  const waiters: (() => void)[] = [];
  const poke = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const changed = (): Promise<void> => new Promise<void>((r) => waiters.push(r));
  let reading = 0;
  let fast = 0;
  let stopping = false;
  let producing = true;
  const halted = (): boolean => stopping || o.halted();
  const canRead = (): boolean => reading === 0 || (reading < o.reading && fast === reading);

  const start = (item: T): Promise<Settled<R>> => {
    reading++;
    let isFast = false;
    let isReading = true;
    const progress: ItemProgress = {
      fast() {
        if (isFast || !isReading) return;
        isFast = true;
        fast++;
        poke();
      },
      read() {
        if (!isReading) return;
        isReading = false;
        reading--;
        if (isFast) fast--;
        poke();
      },
    };
    return o
      .run(item, progress)
      .then(
        (value): Settled<R> => ({ ok: true, value }),
        (error: unknown): Settled<R> => ({ ok: false, error }),
      )
      .finally(() => progress.read());
  };

  const producer = (async (): Promise<void> => {
    try {
      for (const item of items) {
        while (!halted() && (queue.length >= o.window || !canRead())) await changed();
        if (halted()) break;
        let done: Promise<Settled<R>>;
        try {
          await o.admit?.(item);
          done = start(item);
        } catch (error) {
          done = Promise.resolve({ ok: false, error });
        }
        queue.push({ item, done });
        poke();
      }
    } finally {
      producing = false;
      poke();
    }
  })();

  const consumer = async (): Promise<void> => {
    for (;;) {
      while (queue.length === 0 && producing) await changed();
      const head = queue[0];
      if (!head) return;
      const verdict = await o.settle(head.item, await head.done, stopping);
      // Only now is there room: nothing new starts between an item's failure and its verdict.
      if (verdict === 'stop') stopping = true;
      queue.shift();
      poke();
    }
  };

  try {
    await Promise.all([producer, consumer()]);
  } catch (e) {
    stopping = true;
    poke();
    await producer.catch(() => undefined);
    await Promise.allSettled(queue.map((x) => x.done));
    throw e;
  }
}
