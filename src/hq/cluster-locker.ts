import { MemoryLocker } from '@tus/server';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils';
import type { LockSession } from '../library/catalog/locks.js';

const PREFIX = 'outpost:tus:';

/**
 * Upload locks shared by every HQ node on one PostgreSQL catalogue: a request first takes the
 * node's own lock (tus's MemoryLocker: a newer request asks an older one on this node to stop),
 * then the upload's advisory lock in the node's lock session (catalog/locks.ts). Held elsewhere:
 * the other node is asked to let go (its request on the upload stops, as tus does between two
 * requests on one node), and the lock is tried every 100 ms until `timeoutMs`. A node that dies
 * drops its session and PostgreSQL frees its locks at once. Not granted in time: tus answers
 * 423, and the station asks for the offset and tries again.
 */
export class ClusterLocker implements Locker {
  private readonly local: MemoryLocker;
  /** The request holding each upload's lock on this node: how to make it stop. */
  private readonly holders = new Map<string, RequestRelease>();

  constructor(
    private readonly session: LockSession,
    private readonly timeoutMs = 5_000,
  ) {
    this.local = new MemoryLocker({ acquireLockTimeout: timeoutMs });
    session.onReleaseAsked((name) => {
      if (!name.startsWith(PREFIX)) return;
      void this.holders.get(name.slice(PREFIX.length))?.();
    });
    // The session's connection died and its locks with it: every request relying on one stops
    // (the station resumes; its next request takes the lock again on a new connection).
    session.onLost(() => {
      for (const release of this.holders.values()) void release();
    });
  }

  newLock(id: string): Lock {
    const local = this.local.newLock(id);
    const { session, holders, timeoutMs } = this;
    const name = `${PREFIX}${id}`;
    let held: number | undefined;
    return {
      async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
        await local.lock(signal, requestRelease);
        const end = Date.now() + timeoutMs;
        try {
          for (let asked = false; ;) {
            const generation = await session.tryLock(name);
            if (generation !== undefined) {
              held = generation;
              holders.set(id, requestRelease);
              return;
            }
            if (!asked) {
              await session.askRelease(name);
              asked = true;
            }
            if (signal.aborted || Date.now() > end) throw ERRORS.ERR_LOCK_TIMEOUT;
            await new Promise((r) => setTimeout(r, 100));
          }
        } catch (e) {
          await local.unlock();
          throw e;
        }
      },
      async unlock(): Promise<void> {
        if (held !== undefined) {
          const generation = held;
          held = undefined;
          holders.delete(id);
          await session.unlock(name, generation).catch(() => undefined);
        }
        await local.unlock();
      },
    };
  }
}
