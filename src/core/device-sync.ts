import { attributePatchSchema, patchToChanges, tagKey, uniqueTags } from './attributes.js';
import { decodeHlc, encodeHlc, hlcTick, type Hlc } from './hlc.js';
import { MAX_CLOCK_AHEAD_MS } from './op-check.js';

/**
 * Offline edits of a tablet (issue 18): the device keeps its own clock and queue; the station
 * takes its ops, stamps them, and says for each whether it met another edit. Pure.
 */

/** Fields a device may edit offline: what the online app allows on an item. */
export const DEVICE_FIELDS = [
  'event',
  'location',
  'rating',
  'priority',
  'tags',
  'notes',
  'rejected',
] as const;
export type DeviceField = (typeof DEVICE_FIELDS)[number];

/** A device's id (the second half of its ops' origin `<node>:<device>`). */
export const DEVICE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** One edit as the device queued it. */
export interface DeviceOp {
  /** The device's HLC stamp (node = the device id): the op's identity. */
  hlc: string;
  item: string;
  field: DeviceField;
  value: unknown;
  /** The value the person saw before the edit. */
  base: unknown;
  /** A conflict this edit settles (taking the other value offline). */
  resolves?: string;
}

export type DeviceOpOutcome = 'applied' | 'superseded' | 'refused';

/**
 * The value an edit through the API would record for `field` (trimmed, tags once each), or a
 * message saying why it is not a value of that field.
 */
export function canonicalValue(field: string, value: unknown): { value: unknown } | { problem: string } {
  if (!(DEVICE_FIELDS as readonly string[]).includes(field)) return { problem: `unknown field ${field}` };
  const parsed = attributePatchSchema.safeParse({ [field]: value });
  if (!parsed.success)
    return { problem: `${field}: ${parsed.error.issues.map((i) => i.message).join('; ')}` };
  if (parsed.data.tags) parsed.data.tags = uniqueTags(parsed.data.tags);
  // A position a person typed or took from the tablet's GPS: by hand, as PATCH records it.
  if (parsed.data.location && !parsed.data.location.source)
    parsed.data.location = { ...parsed.data.location, source: 'hand' };
  const change = patchToChanges(parsed.data)[0];
  if (!change) return { problem: `${field}: no value` };
  return { value: change.value };
}

/**
 * The stamp a device op is logged with. A stamp within the tolerance of this clock is kept
 * (the device's own order of events); one further ahead — a tablet whose clock runs days fast —
 * is re-stamped at this clock's now, so it cannot outrank every later edit. `last`: this clock's
 * latest stamp (the re-stamp ticks past it).
 */
export function deviceStamp(
  deviceHlc: Hlc,
  origin: string,
  nowMs: number,
  last: Hlc | undefined,
): { stamp: Hlc; restamped: boolean } {
  if (deviceHlc.wall - nowMs <= MAX_CLOCK_AHEAD_MS)
    return { stamp: { wall: deviceHlc.wall, counter: deviceHlc.counter, node: origin }, restamped: false };
  return { stamp: hlcTick(last, nowMs, origin), restamped: true };
}

/** Whether two values of `field` are the same (tags by key, positions by place). */
export function sameAttributeValue(field: string, a: unknown, b: unknown): boolean {
  if (field === 'rejected' || field === 'priority') return !!a === !!b;
  if (field === 'tags') {
    const x = Array.isArray(a) ? uniqueTags(a.map(String)) : [];
    const y = Array.isArray(b) ? uniqueTags(b.map(String)) : [];
    return x.length === y.length && x.every((t, i) => tagKey(t) === tagKey(y[i]!));
  }
  if (field === 'location') {
    const p = (a ?? null) as { lat: number; lon: number } | null;
    const q = (b ?? null) as { lat: number; lon: number } | null;
    return p === null || q === null ? p === q : p.lat === q.lat && p.lon === q.lon;
  }
  return (a ?? null) === (b ?? null);
}

export interface Judgement {
  /** The device's value becomes the field's value (its stamp is the latest). */
  wins: boolean;
  /** Someone else changed the field since the device's `base` (or the device's edit lost): both kept. */
  conflict: boolean;
}

/**
 * One device op against the field as it is: last writer wins by stamp, as for every edit; a
 * conflict when the field no longer holds what the person saw and holds something else than
 * what they chose, or when their edit lost to a later one.
 */
export function judgeDeviceOp(o: {
  field: string;
  current: unknown;
  base: unknown;
  value: unknown;
  /** The field's winning stamp now (encoded), or null when never set. */
  head: string | null;
  stamp: string;
}): Judgement {
  const wins = o.head === null || o.stamp > o.head;
  const differs = !sameAttributeValue(o.field, o.current, o.value);
  const changedSince = !sameAttributeValue(o.field, o.current, o.base);
  return { wins, conflict: differs && (changedSince || !wins) };
}

/** Decode a device's stamp, checking that it names the device. */
export function deviceHlcOf(hlc: string, device: string): Hlc | string {
  let h: Hlc;
  try {
    h = decodeHlc(hlc);
  } catch {
    return `${JSON.stringify(hlc).slice(0, 80)} is not an HLC stamp`;
  }
  if (h.node !== device) return `the stamp's node "${h.node.slice(0, 80)}" is not this device "${device}"`;
  return h;
}

export { encodeHlc };
