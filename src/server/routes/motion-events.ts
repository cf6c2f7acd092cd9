import { z } from 'zod';
import { motionClipPage } from '../../library/catalog/item-list.js';
import type { Catalog } from '../../library/catalog/open.js';
import type { ItemRow } from '../../library/catalog/schema.js';
import { galleryQueryOf, nextCursorOf } from '../item-query.js';
import { itemRecord } from '../item-record.js';
import { itemRecordSchema, listQuery } from '../schemas.js';

/**
 * Motion events for `GET /api/events` (JSON): video items the recorder saved in motion mode
 * (`facts.recording.mode === 'motion'`, docs/recorder.md), newest first, with the same time
 * filters and keyset cursor as `GET /api/items`.
 */

export const MOTION_EVENTS_DEFAULT_LIMIT = 50;

export const eventsQuery = z.strictObject({
  camera: z.string().min(1).max(64).optional().describe('Only events of this camera (exact name).'),
  from: listQuery.shape.from,
  to: listQuery.shape.to,
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(MOTION_EVENTS_DEFAULT_LIMIT)
    .describe('Page size, 1 to 500 (JSON only).'),
  cursor: listQuery.shape.cursor,
});
export type EventsQuery = z.output<typeof eventsQuery>;

const boxSchema = z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() });

export const motionEventSchema = z.object({
  id: z.string().describe('The item id of the event clip'),
  camera: z.string(),
  start: z.string().nullable().describe('When the motion (with pre-roll) starts, ISO 8601'),
  end: z.string().nullable(),
  durationS: z.number().nullable(),
  peakScore: z.number().nullable(),
  box: z.unknown().describe('Where the motion was (the detector box), or null'),
  item: itemRecordSchema,
});
export type MotionEvent = z.output<typeof motionEventSchema>;

export const motionEventPageSchema = z.object({
  events: z.array(motionEventSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
});

interface Recording {
  camera?: unknown;
  start?: unknown;
  end?: unknown;
  peakScore?: unknown;
  box?: unknown;
}

function recordingOf(row: ItemRow): Recording {
  try {
    const facts = JSON.parse(row.facts) as { recording?: Recording };
    return facts.recording ?? {};
  } catch {
    return {};
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function motionEvent(row: ItemRow): MotionEvent {
  const rec = recordingOf(row);
  const box = boxSchema.safeParse(rec.box);
  return {
    id: row.id,
    camera: str(rec.camera) ?? row.monitor,
    start: str(rec.start),
    end: str(rec.end),
    durationS: row.duration_s,
    peakScore: num(rec.peakScore),
    box: box.success ? box.data : null,
    item: itemRecord(row),
  };
}

/** One page of motion events: `GET /api/items`' time filters and cursor, newest first. */
export async function listMotionEvents(
  cat: Catalog,
  q: EventsQuery,
): Promise<{ events: MotionEvent[]; nextCursor: string | null }> {
  const page = await motionClipPage(cat, {
    ...galleryQueryOf({
      from: q.from,
      to: q.to,
      cursor: q.cursor,
      limit: q.limit,
      sort: 'desc',
      recordings: 'only',
    }),
    camera: q.camera,
  });
  return { events: page.items.map(motionEvent), nextCursor: nextCursorOf(page) };
}

/** True when the client asked for the live event stream (EventSource sends this). */
export function wantsEventStream(accept: string | string[] | undefined): boolean {
  const value = Array.isArray(accept) ? accept.join(',') : (accept ?? '');
  return value.split(',').some((part) => {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    if (type?.trim() !== 'text/event-stream') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
