/**
 * Hybrid logical clock (Kulkarni et al.): physical milliseconds plus a counter, so that
 * causally later events always sort later even when wall clocks disagree. Pure: the
 * physical time is passed in.
 */
export interface Hlc {
  wall: number;
  counter: number;
  node: string;
}

export function hlcTick(prev: Hlc | undefined, physicalMs: number, node: string): Hlc {
  if (!prev || physicalMs > prev.wall) return { wall: physicalMs, counter: 0, node };
  return { wall: prev.wall, counter: prev.counter + 1, node };
}

/** Advance the local clock on receiving a remote stamp. */
export function hlcReceive(local: Hlc | undefined, remote: Hlc, physicalMs: number, node: string): Hlc {
  const lw = local?.wall ?? 0;
  const wall = Math.max(lw, remote.wall, physicalMs);
  let counter = 0;
  if (wall === lw && wall === remote.wall) counter = Math.max(local?.counter ?? 0, remote.counter) + 1;
  else if (wall === lw) counter = (local?.counter ?? 0) + 1;
  else if (wall === remote.wall) counter = remote.counter + 1;
  return { wall, counter, node };
}

/** Fixed-width encoding whose string order is the clock order. */
export function encodeHlc(h: Hlc): string {
  return `${h.wall.toString(36).padStart(9, '0')}-${h.counter.toString(36).padStart(4, '0')}-${h.node}`;
}

export function decodeHlc(s: string): Hlc {
  const m = /^([0-9a-z]{9})-([0-9a-z]{4})-(.+)$/.exec(s);
  if (!m) throw new Error(`bad HLC stamp: ${s}`);
  return { wall: parseInt(m[1]!, 36), counter: parseInt(m[2]!, 36), node: m[3]! };
}
