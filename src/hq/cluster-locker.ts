import { MemoryLocker } from '@tus/server';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils';
import { tryHoldLock, type HeldLock } from '../library/catalog/locks.js';
import type { Catalog } from '../library/catalog/open.js';

/**
 * Upload locks shared by every HQ node on one PostgreSQL catalogue: a request first takes the
 * node's own lock (tus's MemoryLocker: a newer request asks an older one on this node to stop),
 * then a session advisory lock in PostgreSQL, tried every 100 ms until `timeoutMs`. A node that
 * dies drops its connection and PostgreSQL frees its locks at once; a live node's request that
 * holds one ends within the stall timeout. Not granted in time: tus answers 423, and the station
 * asks for the offset and tries again.
 */
export class ClusterLocker implements Locker {
  private readonly local: MemoryLocker;

  constructor(
    private readonly cat: Catalog,
    private readonly timeoutMs = 5_000,
  ) {
    this.local = new MemoryLocker({ acquireLockTimeout: timeoutMs });
  }

  newLock(id: string): Lock {
    const local = this.local.newLock(id);
    const cat = this.cat;
    const timeoutMs = this.timeoutMs;
    let held: HeldLock | undefined;
    return {
      async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
        await local.lock(signal, requestRelease);
        const end = Date.now() + timeoutMs;
        try {
          for (;;) {
            held = await tryHoldLock(cat, `outpost:tus:${id}`);
            if (held) return;
            if (signal.aborted || Date.now() > end) throw ERRORS.ERR_LOCK_TIMEOUT;
            await new Promise((r) => setTimeout(r, 100));
          }
        } catch (e) {
          await local.unlock();
          throw e;
        }
      },
      async unlock(): Promise<void> {
        const h = held;
        held = undefined;
        await h?.release();
        await local.unlock();
      },
    };
  }
}
