/**
 * A small bounded work queue: derivatives run beside the copy loop (the card reader is the
 * bottleneck while copying; the CPU is free), with at most `concurrency` jobs at once and at
 * most `maxQueued` waiting so memory stays flat on a Pi.
 */
export class WorkQueue {
  private running = 0;
  private readonly waiting: (() => Promise<void>)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private readonly roomWaiters: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxQueued: number,
  ) {}

  /** Add a job; resolves once it is queued (waits when the queue is full). */
  async push(job: () => Promise<void>): Promise<void> {
    while (this.waiting.length >= this.maxQueued) await new Promise<void>((r) => this.roomWaiters.push(r));
    this.waiting.push(job);
    this.pump();
  }

  async idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.roomWaiters.shift()?.();
      this.running++;
      void job()
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          this.pump();
          if (this.running === 0 && this.waiting.length === 0)
            for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }
}
