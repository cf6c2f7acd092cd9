/**
 * `POST /api/items/shift-time`: fix a wrong camera clock for a selection or a card's items
 * (library/shift-time.ts). The offset comes as text ("+1h30m", "-2d"), in milliseconds, or from an
 * anchor: "this item was really taken at …". A dry run says what would change, for the dialog.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { offsetFromAnchor, parseOffset } from '../../core/time-shift.js';
import { cardItemIds } from '../../library/catalog/item-edits.js';
import { shiftCaptureTimes } from '../../library/shift-time.js';
import type { AppDeps } from '../deps.js';
import { ApiError, invalidInput } from '../errors.js';
import { defineRoute } from '../route.js';
import { noQuery } from '../schemas.js';
import { findItem } from './items.js';

const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

const shiftBody = z
  .strictObject({
    ids: z
      .array(z.string().regex(/^[0-9a-f]{64}$/))
      .max(5000)
      .optional(),
    card: z.string().min(1).max(200).optional().describe("All of a card's items"),
    by: z.string().max(40).optional().describe('Offset as text: "+1h30m", "-2d", "90s"'),
    byMs: z.number().int().optional(),
    anchor: z
      .strictObject({
        id: z.string().regex(/^[0-9a-f]{64}$/),
        trueTime: z.string().regex(LOCAL_TIME).describe('camera-local YYYY-MM-DDTHH:mm[:ss]'),
      })
      .optional()
      .describe('This item was really taken at trueTime: the others move by the same offset'),
    dryRun: z.boolean().default(false),
  })
  .refine((b) => (b.ids?.length ?? 0) > 0 || b.card !== undefined, { message: 'give ids or a card' })
  .refine((b) => [b.by, b.byMs, b.anchor].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of by, byMs or anchor',
  });

export function registerShiftTimeRoutes(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, {
    method: 'POST',
    url: '/api/items/shift-time',
    role: 'editor',
    tags: ['items'],
    summary: "Fix a wrong camera clock: move items' capture times (files and sidecars follow)",
    description:
      'Offsets add up per item (shifting by +1h then -1h returns to the camera time). Items without ' +
      'a capture date are left alone (`undated`). Undo: the same call with the opposite `byMs`.',
    query: noQuery,
    body: shiftBody,
    responses: {
      200: z.object({
        byMs: z.number().int(),
        items: z.number().int(),
        moving: z.number().int(),
        undated: z.number().int(),
        example: z.object({ id: z.string(), before: z.string(), after: z.string() }).nullable(),
        failed: z.array(z.object({ id: z.string(), message: z.string() })),
        dryRun: z.boolean(),
      }),
    },
    handler: async ({ body }) => {
      let byMs = body.byMs;
      if (body.by !== undefined) {
        byMs = parseOffset(body.by);
        if (byMs === undefined)
          throw invalidInput(
            [{ path: 'by', message: `"${body.by}" is not an offset like +1h30m, -2d or 90s` }],
            'Write the offset as days, hours, minutes, seconds: +1h30m, -2d, 90s.',
          );
      }
      if (body.anchor) {
        const row = await findItem(deps.catalog, body.anchor.id);
        if (!row.captured_at)
          throw new ApiError('INVALID_INPUT', 'that item has no capture date to correct from');
        const camera = Date.parse(`${row.sort_time.slice(0, 19)}Z`);
        const truth = Date.parse(
          `${body.anchor.trueTime.length === 16 ? `${body.anchor.trueTime}:00` : body.anchor.trueTime}Z`,
        );
        byMs = offsetFromAnchor(camera, truth);
      }
      const ids = [...(body.ids ?? []), ...(body.card ? await cardItemIds(deps.catalog, body.card) : [])];
      const out = await shiftCaptureTimes(deps.catalog, deps.files?.root ?? null, {
        ids,
        byMs: byMs!,
        dryRun: body.dryRun,
        node: deps.node,
        nowMs: deps.clock.now().getTime(),
      });
      return { byMs: byMs!, ...out, dryRun: body.dryRun };
    },
  });
}
