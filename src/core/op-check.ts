import { attributePatchSchema, patchToChanges } from './attributes.js';
import { isContentId } from './content-id.js';
import { OutpostError } from './errors.js';
import { decodeHlc } from './hlc.js';
import { validateMonitor } from './naming.js';
import type { Op } from './ops.js';

/**
 * The one check every op passes before it is merged, wherever it comes from (HQ's /sync, the
 * station's pull from HQ, a mirror partner drive, a rebuild, a tablet): the same schemas as an
 * edit through the API, a clock that cannot be dragged into the future, and an authority rule
 * for the fields that move or remove files. Pure: the caller passes its clock and its rules.
 */

/** Stamps more than this ahead of the receiver's clock are refused (and never move its clock). */
export const MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000;

/** Attributes people set: ops on these change what an item's sidecar says. */
export const ATTRIBUTE_FIELDS: ReadonlySet<string> = new Set([
  'event',
  'location',
  'rating',
  'priority',
  'rejected',
  'tags',
  'notes',
]);
/** Fields an item op may set; anything else is refused. */
export const ITEM_OP_FIELDS: ReadonlySet<string> = new Set([
  ...ATTRIBUTE_FIELDS,
  'monitor',
  'deleted',
  'timeShift',
]);
/** Fields that move or remove an item's files: only the owner (or HQ's editors) may set them. */
export const MOVING_FIELDS: ReadonlySet<string> = new Set(['monitor', 'deleted']);

/** Card ids are `uuid:…`, `idf:…`, `names:…`, `cam:<camera>`: printable, no path separators. */
const CARD_ID_RE = /^[\p{L}\p{N}:._@+=-]{1,200}$/u;
/** Node names (the origin of ops): a station (`station-1`), HQ, or a device of one (`station-1:tab`). */
const ORIGIN_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}(:[A-Za-z0-9._-]{1,64})?$/;

export type OpRefusalCode = 'OP_INVALID' | 'OP_CLOCK_AHEAD' | 'OP_FORBIDDEN';

export interface OpRefusal {
  code: OpRefusalCode;
  message: string;
}

export interface OpPolicy {
  /** The receiver's clock (ms since the epoch). */
  nowMs: number;
  /** Default MAX_CLOCK_AHEAD_MS; Infinity for a drive's own history (rebuild). */
  maxAheadMs?: number;
  /** May this op be written at all by whoever sent it (HQ: a station only about its own items)? */
  mayWrite?: (op: Op) => boolean | string;
  /** May the sender set `monitor` / `deleted` (items) or a card's monitor? */
  mayMove: (op: Op) => boolean | string;
}

const json = (v: unknown): string => JSON.stringify(v) ?? 'undefined';
const short = (s: string, n = 80): string => (s.length > n ? `${s.slice(0, n)}…` : s);

/** Why `op` may not be merged under `policy`, or undefined when it may. */
export function checkOp(op: Op, policy: OpPolicy): OpRefusal | undefined {
  const shape = checkShape(op);
  if (shape) return { code: 'OP_INVALID', message: shape };
  const hlc = decodeHlc(op.hlc);
  if (hlc.node !== op.origin)
    return {
      code: 'OP_INVALID',
      message: `the stamp's node "${short(hlc.node)}" is not the op's origin "${short(op.origin)}"`,
    };
  const ahead = hlc.wall - policy.nowMs;
  if (ahead > (policy.maxAheadMs ?? MAX_CLOCK_AHEAD_MS))
    return {
      code: 'OP_CLOCK_AHEAD',
      message: `stamped ${describeAhead(ahead)} ahead of this clock (${new Date(policy.nowMs).toISOString()})`,
    };
  const write = policy.mayWrite?.(op) ?? true;
  if (write !== true)
    return {
      code: 'OP_FORBIDDEN',
      message: typeof write === 'string' ? write : `${op.origin} may not write this op`,
    };
  if (op.entity === 'card' || MOVING_FIELDS.has(op.field)) {
    const move = policy.mayMove(op);
    if (move !== true)
      return {
        code: 'OP_FORBIDDEN',
        message:
          typeof move === 'string'
            ? move
            : `only the station that owns it or HQ's editors may set ${op.entity} ${op.field}`,
      };
  }
  return undefined;
}

function describeAhead(ms: number): string {
  const min = ms / 60_000;
  if (min < 120) return `${Math.round(min)} min`;
  const h = min / 60;
  if (h < 72) return `${Math.round(h)} h`;
  const d = h / 24;
  return d < 730 ? `${Math.round(d)} days` : `${Math.round(d / 365)} years`;
}

/** Structure and value of an op, exactly as the API would take them. */
function checkShape(op: Op): string | undefined {
  if (typeof op !== 'object' || op === null) return 'not an op';
  if (typeof op.origin !== 'string' || !ORIGIN_RE.test(op.origin))
    return `origin ${short(json(op.origin))} is not a node name`;
  if (typeof op.hlc !== 'string') return 'no HLC stamp';
  try {
    decodeHlc(op.hlc);
  } catch {
    return `${short(json(op.hlc))} is not an HLC stamp`;
  }
  if (typeof op.field !== 'string') return 'no field';
  if (op.entity === 'item') {
    if (typeof op.id !== 'string' || !isContentId(op.id))
      return `item id ${short(json(op.id))} is not 64 lowercase hex`;
    if (!ITEM_OP_FIELDS.has(op.field)) return `unknown item field ${short(json(op.field))}`;
    return checkItemValue(op.field, op.value);
  }
  if (op.entity === 'card') {
    if (typeof op.id !== 'string' || !CARD_ID_RE.test(op.id))
      return `card id ${short(json(op.id))} is not valid`;
    if (op.field !== 'monitor') return `unknown card field ${short(json(op.field))}`;
    return checkMonitor(op.value);
  }
  return `unknown entity ${short(json(op.entity))}`;
}

/** A camera clock correction: whole milliseconds, at most a century either way, or null (none). */
const MAX_SHIFT_MS = 100 * 366 * 86_400_000;

function checkItemValue(field: string, value: unknown): string | undefined {
  if (field === 'timeShift') {
    if (value === null) return undefined;
    const v = value as { offsetMs?: unknown } | undefined;
    const ok =
      typeof v === 'object' &&
      Object.keys(v).length === 1 &&
      Number.isSafeInteger(v.offsetMs) &&
      v.offsetMs !== 0 &&
      Math.abs(v.offsetMs as number) <= MAX_SHIFT_MS;
    return ok
      ? undefined
      : `timeShift must be { offsetMs: whole milliseconds, not 0, within a century } or null`;
  }
  if (field === 'deleted')
    return typeof value === 'boolean'
      ? undefined
      : `deleted must be true or false, not ${short(json(value))}`;
  if (field === 'monitor') return checkMonitor(value);
  if (!ATTRIBUTE_FIELDS.has(field)) return `unknown item field ${short(json(field))}`;
  const parsed = attributePatchSchema.safeParse({ [field]: value });
  if (!parsed.success) return `${field}: ${parsed.error.issues.map((i) => i.message).join('; ')}`;
  // The op must be what an edit through the API records: trimmed, deduplicated, nothing extra.
  // Every node stores the value as sent, so a value the API would have changed is refused.
  const canonical = patchToChanges(parsed.data)[0]?.value;
  if (value === undefined || json(canonical) !== json(value))
    return `${field}: ${short(json(value))} is not a value an edit records (expected ${short(json(canonical))})`;
  return undefined;
}

function checkMonitor(value: unknown): string | undefined {
  if (typeof value !== 'string') return `monitor must be a name, not ${short(json(value))}`;
  try {
    if (validateMonitor(value) !== value) return `monitor ${short(json(value))} is not in its normal form`;
  } catch (e) {
    return e instanceof OutpostError ? short(e.message, 200) : `monitor ${short(json(value))} is not valid`;
  }
  return undefined;
}
