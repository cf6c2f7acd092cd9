/**
 * Batched directory fsyncs (group commit). A file placed by a link or rename is on the disk only
 * once its directory is synced; with several files in flight, one fsync of a date folder covers
 * every link made in it before the fsync started. A request joins the next fsync of its folder
 * that has not started yet, so none is ever covered by an fsync that began before its link.
 */
import { fsyncDir } from '../../adapters/fs-atomic.js';
import { driveError } from '../../core/errors.js';

interface Round {
  started: boolean;
  done: Promise<void>;
}

export class DirSyncer {
  /** Per folder: the round not started yet (callers join it) and the one running. */
  private readonly next = new Map<string, Round>();
  private readonly running = new Map<string, Promise<void>>();
  /** fsyncs actually made (for tests and the trace). */
  count = 0;

  constructor(private readonly syncDir: (dir: string) => Promise<void> = fsyncDir) {}

  /** Resolves once `dir` has been fsynced after this call was made. */
  sync(dir: string): Promise<void> {
    const waiting = this.next.get(dir);
    if (waiting && !waiting.started) return waiting.done;
    const before = this.running.get(dir) ?? Promise.resolve();
    const round: Round = { started: false, done: Promise.resolve() };
    round.done = before
      .catch(() => undefined)
      .then(async () => {
        round.started = true;
        if (this.next.get(dir) === round) this.next.delete(dir);
        this.running.set(dir, round.done);
        this.count++;
        try {
          await this.syncDir(dir);
        } catch (e) {
          throw driveError(e, dir);
        } finally {
          if (this.running.get(dir) === round.done) this.running.delete(dir);
        }
      });
    this.next.set(dir, round);
    return round.done;
  }
}
