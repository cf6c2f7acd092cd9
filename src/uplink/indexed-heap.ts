/**
 * A binary min-heap that knows where each key sits, so an entry can be updated or removed in
 * O(log n). The scheduler needs this: every chunk changes one transfer's remaining bytes, and a
 * rating change moves a transfer between classes.
 */
export class IndexedHeap<T> {
  private readonly items: T[] = [];
  private readonly pos = new Map<string, number>();

  /**
   * @param keyOf a stable unique key per entry.
   * @param less strict ordering; ties must be broken inside it for determinism.
   */
  constructor(
    private readonly keyOf: (v: T) => string,
    private readonly less: (a: T, b: T) => boolean,
  ) {}

  get size(): number {
    return this.items.length;
  }

  has(key: string): boolean {
    return this.pos.has(key);
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Insert, or re-position an entry already present (its fields may have changed). */
  upsert(v: T): void {
    const key = this.keyOf(v);
    const at = this.pos.get(key);
    if (at === undefined) {
      this.items.push(v);
      this.pos.set(key, this.items.length - 1);
      this.up(this.items.length - 1);
    } else {
      this.items[at] = v;
      this.fix(at);
    }
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(this.keyOf(top));
    return top;
  }

  remove(key: string): boolean {
    const at = this.pos.get(key);
    if (at === undefined) return false;
    const last = this.items.pop() as T;
    this.pos.delete(key);
    if (at < this.items.length) {
      this.items[at] = last;
      this.pos.set(this.keyOf(last), at);
      this.fix(at);
    }
    return true;
  }

  private fix(i: number): void {
    if (!this.up(i)) this.down(i);
  }

  private up(i: number): boolean {
    let moved = false;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.at(i), this.at(parent))) break;
      this.swap(i, parent);
      i = parent;
      moved = true;
    }
    return moved;
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n && this.less(this.at(l), this.at(best))) best = l;
      if (r < n && this.less(this.at(r), this.at(best))) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }

  private at(i: number): T {
    return this.items[i] as T;
  }

  private swap(i: number, j: number): void {
    const a = this.at(i);
    const b = this.at(j);
    this.items[i] = b;
    this.items[j] = a;
    this.pos.set(this.keyOf(b), i);
    this.pos.set(this.keyOf(a), j);
  }
}
