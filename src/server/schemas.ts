import { z } from 'zod';
import { attributePatchSchema } from '../core/attributes.js';
import { storableText } from '../core/text.js';

/**
 * Request and response shapes of the API. Inputs are validated with these zod schemas (the one
 * validator); the OpenAPI document is generated from the same schemas, so docs cannot drift.
 */

// ---------------------------------------------------------------- inputs

const hex = (min: number, max: number, what: string): z.ZodType<string> =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-fA-F]{${min},${max}}$`), `must be ${what}`)
    .transform((s) => s.toLowerCase());

/** An item id (64 hex) or a unique prefix of at least 6 hex characters. */
export const itemRefParams = z.strictObject({
  id: hex(6, 64, 'an item id: 6 to 64 hex characters (the SHA-256, or a unique prefix of it)'),
});

/** Card ids look like `uuid:1234-ABCD`, `idf:<uuid>` or `list:<16 hex>`. */
export const cardParams = z.strictObject({
  id: z
    .string()
    .regex(
      /^[a-z]{2,10}:[A-Za-z0-9._-]{1,100}$/,
      'must be a card id such as "uuid:1234-ABCD" or "idf:<uuid>"',
    ),
});

export const fullItemId = hex(64, 64, 'a full item id (64 hex characters)');

const DATE_OR_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;
const captureBound = z
  .string()
  .regex(DATE_OR_TIME, 'must be YYYY-MM-DD or YYYY-MM-DDTHH:mm[:ss] (camera local time)');

/** Free text of 1..max characters, refusing what cannot be stored (src/core/text.ts) with the field named. */
const text = (max: number): z.ZodString => z.string().min(1).max(max).superRefine(storableText());

const boolString = z.enum(['true', 'false', '1', '0']).transform((s) => s === 'true' || s === '1');

export const LIST_MAX_LIMIT = 500;
export const LIST_DEFAULT_LIMIT = 100;

/**
 * Query of `GET /api/items`. Unknown keys are rejected (400), so a misspelt filter
 * (`minrating=4`) never silently returns everything.
 */
export const listQuery = z.strictObject({
  monitor: text(64).optional().describe('Only items of this monitor (exact name).'),
  type: z.enum(['photo', 'video', 'audio']).optional().describe('Only this media type.'),
  from: captureBound
    .optional()
    .describe('Captured at or after this camera-local date/time (YYYY-MM-DD or YYYY-MM-DDTHH:mm[:ss]).'),
  to: captureBound
    .optional()
    .describe('Captured at or before this date/time; a bare date includes that whole day.'),
  event: text(120).optional().describe('Only items whose event code contains this text (case-insensitive).'),
  minRating: z.coerce.number().int().min(0).max(5).optional().describe('Only items rated at least this.'),
  priority: boolString.optional().describe('true: only priority items; false: only the others.'),
  unrated: boolString.optional().describe('true: only items without a rating (none or 0 stars).'),
  noEvent: boolString.optional().describe('true: only items without an event code.'),
  noLocation: boolString.optional().describe('true: only items without any position.'),
  undated: z
    .enum(['only', 'exclude'])
    .optional()
    .describe(
      "Items without a capture date come after the dated ones as their own group: 'only' lists just them, 'exclude' leaves them out. A date filter (from/to) leaves them out.",
    ),
  bbox: z
    .string()
    .max(120)
    .regex(/^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){3}$/, 'west,south,east,north in degrees')
    .refine((s) => {
      const [w, so, e, n] = s.split(',').map(Number) as [number, number, number, number];
      return Math.abs(w) <= 180 && Math.abs(e) <= 180 && Math.abs(so) <= 90 && Math.abs(n) <= 90 && so <= n;
    }, 'west,south,east,north: longitudes within ±180, latitudes within ±90, south ≤ north')
    .optional()
    .describe('Only items positioned inside west,south,east,north (degrees), e.g. the map’s visible area.'),
  recordings: z
    .enum(['include', 'only'])
    .optional()
    .describe("Camera recordings are left out unless asked: 'include' lists them too, 'only' just them."),
  rejected: z
    .enum(['include', 'only'])
    .optional()
    .describe("Rejected items are left out unless asked: 'include' lists them too, 'only' just them."),
  eventIs: text(120).optional().describe('Only items whose event code is exactly this (an event album).'),
  folder: text(200)
    .optional()
    .describe('Only items filed in this library folder, MONITOR/DATE (as the ingest summary lists them).'),
  camera: text(64)
    .optional()
    .describe("One camera's recordings (segments and motion clips), by its name in the station's config."),
  tag: z
    .union([text(64), z.array(text(64)).max(10)])
    .optional()
    .describe('Only items with this tag (exact); repeat the key to require several tags.'),
  q: text(200)
    .optional()
    .describe(
      'Free text: every word must appear (case-insensitive) in the original name, event, notes, tags or camera.',
    ),
  sort: z
    .enum(['asc', 'desc'])
    .default('desc')
    .describe('Capture-time order; desc (newest first) by default.'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(LIST_MAX_LIMIT)
    .default(LIST_DEFAULT_LIMIT)
    .describe(`Page size, 1 to ${LIST_MAX_LIMIT}.`),
  cursor: z
    .string()
    .min(1)
    .max(300)
    .optional()
    .describe('Opaque: the nextCursor of the previous page (same filters and sort).'),
});
export type ListQuery = z.output<typeof listQuery>;

/** PATCH body: the attribute patch contract of core, with at least one field. */
export const patchBody = attributePatchSchema.refine((p) => Object.values(p).some((v) => v !== undefined), {
  message: 'the patch sets no field: give at least one of event, location, rating, priority, tags, notes',
});

export const BATCH_MAX_IDS = 5000;

const tagList = z.array(z.string().trim().min(1).max(64).superRefine(storableText())).max(100);

export const batchBody = z
  .strictObject({
    ids: z
      .array(fullItemId)
      .min(1)
      .max(BATCH_MAX_IDS)
      .describe(`Full item ids (64 hex), at most ${BATCH_MAX_IDS}.`),
    patch: attributePatchSchema.default({}),
    addTags: tagList.optional().describe('Tags added to each item (kept once, compared case-insensitively).'),
    removeTags: tagList.optional().describe("Tags taken off each item; the item's other tags stay."),
    overwriteGps: z
      .boolean()
      .default(false)
      .describe(
        'With a location: also set it on items whose file has its own GPS position (by default they are left alone and counted in `skippedOwnGps`).',
      ),
  })
  .refine(
    (b) =>
      Object.values(b.patch).some((v) => v !== undefined) || !!b.addTags?.length || !!b.removeTags?.length,
    { message: 'the batch changes nothing: give a patch field, addTags or removeTags' },
  );

export const similarQuery = z.strictObject({
  maxDistance: z.coerce
    .number()
    .int()
    .min(0)
    .max(64)
    .default(10)
    .describe('Largest Hamming distance between the 64-bit perceptual hashes.'),
  limit: z.coerce.number().int().min(1).max(LIST_MAX_LIMIT).default(LIST_DEFAULT_LIMIT),
});

export const originalQuery = z.strictObject({
  download: boolString.optional().describe('true: Content-Disposition attachment (save) instead of inline.'),
});

export const monitorBody = z.strictObject({
  monitor: text(64).describe('Monitor name (person or camera), or "_unassigned".'),
});

export const noQuery = z.strictObject({});

// ---------------------------------------------------------------- outputs

export const attributesSchema = z.object({
  event: z.string().nullable(),
  location: z
    .object({ lat: z.number(), lon: z.number(), source: z.enum(['gpx', 'hand']).optional() })
    .nullable(),
  rating: z.number().int().nullable(),
  priority: z.boolean(),
  tags: z.array(z.string()),
  notes: z.string().nullable(),
  rejected: z.literal(true).optional().describe('present only when the item is rejected'),
});

export const itemRecordSchema = z.object({
  id: z.string().describe('SHA-256 of the original bytes'),
  type: z.enum(['photo', 'video', 'audio']),
  monitor: z.string(),
  path: z.string().describe('Where the original is, relative to the library drive'),
  originalName: z.string().describe('File name on the card'),
  ext: z.string(),
  size: z.number().int(),
  capturedAt: z.string().nullable().describe('From the file (EXIF/video), with offset when known'),
  capturedFrom: z.string().nullable().describe('exif, video or mtime'),
  sortTime: z.string().describe('Camera-local capture time used for sorting (mtime when the file has none)'),
  importedAt: z.string(),
  cardId: z.string().nullable(),
  camera: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  orientation: z.number().int().nullable(),
  durationS: z.number().nullable(),
  gps: z.object({ lat: z.number(), lon: z.number(), alt: z.number().nullable() }).nullable(),
  derivatives: z.object({
    thumb: z.boolean(),
    preview: z.boolean(),
    poster: z.boolean(),
    video: z.boolean().describe('a small H.264 streaming copy of a video exists'),
  }),
  attributes: attributesSchema,
  warnings: z.array(z.looseObject({ code: z.string(), message: z.string(), hint: z.string().optional() })),
  links: z.object({
    self: z.string(),
    original: z.string(),
    thumb: z.string().nullable(),
    preview: z.string().nullable(),
    poster: z.string().nullable(),
    video: z.string().nullable().describe('the streaming copy; null: play the original'),
  }),
});
export type ItemRecord = z.output<typeof itemRecordSchema>;

export const itemDetailSchema = itemRecordSchema.extend({
  phash: z.string().nullable(),
  facts: z.record(z.string(), z.unknown()).describe('Everything read from the file'),
  companions: z.array(
    z.object({ ext: z.string(), path: z.string(), size: z.number().int(), sha256: z.string() }),
  ),
  uplink: z
    .array(
      z.object({
        target: z.string().describe('`hq`, or the bucket: `s3://bucket/prefix`, `azure://container/prefix`'),
        rendition: z.string(),
        state: z.enum(['pending', 'uploading', 'done', 'cancelled']),
        offset: z.number().describe('bytes the target confirmed'),
        size: z.number().nullable(),
        attempts: z.number().int(),
        lastError: z.string().nullable(),
      }),
    )
    .describe('Upload per target (HQ, a bucket) and rendition (empty until the uplink queued the item)'),
  similar: z.object({
    count: z.number().int().describe('Near-duplicates within maxDistance'),
    maxDistance: z.number().int(),
    href: z.string(),
  }),
});
export type ItemDetail = z.output<typeof itemDetailSchema>;

export const itemPageSchema = z.object({
  items: z.array(itemRecordSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  limit: z.number().int(),
  sort: z.enum(['asc', 'desc']),
});

export const batchResultSchema = z.object({
  updated: z.number().int(),
  skippedOwnGps: z
    .number()
    .int()
    .describe('Items whose own GPS position was left alone (see `overwriteGps`).'),
  items: z.array(
    z.object({
      id: z.string(),
      attributes: attributesSchema,
      before: attributesSchema.describe('The values before this change (what an undo restores).'),
    }),
  ),
});

export const similarResultSchema = z.object({
  id: z.string(),
  maxDistance: z.number().int(),
  items: z.array(z.object({ distance: z.number().int(), item: itemRecordSchema })),
});

export const cardRecordSchema = z.object({
  id: z.string(),
  kind: z.string(),
  label: z.string().nullable(),
  monitor: z.string().nullable(),
  items: z.number().int(),
  firstSeen: z.string(),
  lastSeen: z.string(),
});
export type CardRecord = z.output<typeof cardRecordSchema>;

export const cardAssignmentSchema = cardRecordSchema.extend({
  /** Items of the card whose files moved to the monitor's folders by this call. */
  moved: z.number().int(),
  /** Items that could not be moved (they stay catalogued where they were; retried later). */
  failed: z.array(z.object({ id: z.string(), message: z.string() })),
});
export type CardAssignment = z.output<typeof cardAssignmentSchema>;

export const cardListSchema = z.object({ cards: z.array(cardRecordSchema) });

export const monitorListSchema = z.object({
  monitors: z.array(z.object({ name: z.string(), items: z.number().int(), cards: z.number().int() })),
});

const indicatorLook = z.enum(['off', 'green', 'flashing-green', 'red', 'flashing-red']);
export type IndicatorLook = z.output<typeof indicatorLook>;

export const indicatorSchema = z.object({
  look: indicatorLook,
  detail: z.string(),
  /** true while a later issue has yet to drive it */
  placeholder: z.boolean(),
});

const problemSchema = z.object({ code: z.string(), message: z.string(), hint: z.string() });

/** ingest/types.ts IngestProgress */
const ingestProgressSchema = z.object({
  phase: z.enum(['recover', 'scan', 'copy', 'derive', 'cleanup', 'done']),
  filesDone: z.number().int(),
  filesTotal: z.number().int(),
  bytesDone: z.number(),
  bytesTotal: z.number(),
  current: z.string().optional(),
});

/** ingest/types.ts IngestSummary */
const ingestSummarySchema = z.object({
  card: z.object({ id: z.string(), kind: z.string(), label: z.string().optional() }),
  monitor: z.string(),
  copied: z.number().int(),
  skipped: z.number().int(),
  duplicates: z.number().int(),
  tombstoned: z.number().int(),
  notCopied: z.number().int(),
  erased: z.number().int(),
  warnings: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })),
  folders: z
    .array(z.object({ folder: z.string(), items: z.number().int() }))
    .describe("Where this run's new items were filed: library folders MONITOR/DATE and how many each"),
  bytes: z.number(),
  seconds: z.number(),
  error: problemSchema.optional(),
});

const transferClassSchema = z.object({ transfers: z.number().int(), bytes: z.number() });
export const uplinkStatusSchema = z.object({
  state: z.enum(['starting', 'idle', 'sending', 'paused', 'offline', 'hq-error', 'auth-failed', 'stopped']),
  target: z.string(),
  rateBps: z.number().nullable().describe('measured throughput, bytes/s'),
  limitBps: z.number().nullable().describe('pace or limit in force, bytes/s; null: none'),
  queue: z.record(z.string(), transferClassSchema).describe('per class: ops, thumb, rated-preview, …, video'),
  pendingBytes: z.number(),
  etaSeconds: z.number().nullable(),
  sentBytes: z.number(),
  resentBytes: z.number(),
  finished: z.number().int(),
  opsPending: z.number().int(),
  current: z
    .object({
      item: z.string(),
      rendition: z.string(),
      cls: z.string(),
      offset: z.number(),
      size: z.number(),
    })
    .nullable(),
  lastError: z.object({ message: z.string(), at: z.string() }).nullable(),
  link: z
    .enum(['good', 'fair', 'poor', 'none'])
    .nullable()
    .describe('Wi-Fi link quality; null: wired or unknown'),
});

export const statusSchema = z.object({
  node: z.string(),
  time: z.string(),
  timeZone: z
    .string()
    .describe("The station's IANA time zone (config `timeZone`): camera clocks are usually set to it"),
  library: z.object({
    id: z.string(),
    label: z.string(),
    root: z.string(),
    freeBytes: z.number().nullable(),
    totalBytes: z.number().nullable(),
  }),
  items: z.object({
    total: z.number().int(),
    photo: z.number().int(),
    video: z.number().int(),
    audio: z.number().int(),
    awaitingDerivatives: z.number().int(),
  }),
  ingest: z
    .object({
      state: z.enum(['running', 'done', 'failed']),
      mountPoint: z.string(),
      cardPresent: z.boolean(),
      progress: ingestProgressSchema.nullable(),
      summary: ingestSummarySchema.nullable(),
      error: problemSchema.nullable(),
      updatedAt: z.string(),
    })
    .nullable()
    .describe('The last ingest the station ran since it started; null when none (or not a station)'),
  uplink: uplinkStatusSchema.nullable(),
  mirror: z
    .object({
      partner: z.object({ path: z.string(), label: z.string(), id: z.string() }).nullable(),
      state: z.enum(['pending', 'running', 'done', 'failed']),
      progress: z
        .object({
          phase: z.string(),
          filesDone: z.number(),
          filesTotal: z.number(),
          bytesDone: z.number(),
          bytesTotal: z.number(),
        })
        .passthrough()
        .nullable(),
      summary: z
        .object({ copiedAtoB: z.number(), copiedBtoA: z.number(), deleted: z.number() })
        .passthrough()
        .nullable(),
      error: problemSchema.nullable(),
      behind: z.number().int(),
    })
    .nullable()
    .describe('The second (mirror) drive and the last mirror pass; null when no second drive was seen'),
  scrub: z
    .object({
      state: z.enum(['idle', 'running', 'done', 'failed']),
      openDamage: z.number().int().describe('Damaged files not repaired (BACKUP flashes red while > 0)'),
      damaged: z
        .array(z.object({ path: z.string(), code: z.string(), reason: z.string().nullable() }))
        .describe("The library drive's damaged files (first 20)"),
      progress: z
        .object({ root: z.string(), itemsDone: z.number(), itemsTotal: z.number(), bytesDone: z.number() })
        .passthrough()
        .nullable(),
      lastRunAt: z.string().nullable(),
      lastCompletedAt: z.string().nullable(),
      lastRun: z
        .object({
          checked: z.number(),
          bytes: z.number(),
          bad: z.number(),
          repaired: z.number(),
          unrepaired: z.number(),
          seconds: z.number(),
          complete: z.boolean(),
          aborted: z.boolean(),
        })
        .nullable(),
      error: problemSchema.nullable(),
    })
    .optional()
    .describe('Scheduled scrub (re-hash and repair, docs/scrub.md) of the library drive and its partner'),
  indicators: z.object({
    CARD: indicatorSchema,
    'DRIVE A': indicatorSchema,
    'DRIVE B': indicatorSchema,
    BACKUP: indicatorSchema,
    UPLINK: indicatorSchema,
  }),
});
export type Status = z.output<typeof statusSchema>;

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('Stable machine-readable code, e.g. INVALID_INPUT, ITEM_NOT_FOUND'),
    message: z.string().describe('What went wrong'),
    hint: z.string().describe('What to do about it'),
    details: z.unknown().optional().describe('For INVALID_INPUT: { problems: [{ path, message }] }'),
  }),
});

const undoField = z.enum(['event', 'location', 'rating', 'priority', 'rejected', 'tags', 'notes']);

export const undoBody = z.strictObject({
  changes: z
    .array(
      z.strictObject({
        id: fullItemId,
        field: undoField,
        set: z
          .unknown()
          .describe('The value the edit set (the field is undone only while it still holds it).'),
        previous: z.unknown().describe('The value to put back (checked as a patch field).'),
      }),
    )
    .min(1)
    .max(BATCH_MAX_IDS * 6),
});

export const undoResultSchema = z.object({
  restored: z.number().int(),
  skipped: z.array(z.object({ id: z.string(), field: z.string(), reason: z.string() })),
  items: z.array(z.object({ id: z.string(), attributes: attributesSchema })),
});

export const tagsQuery = z.strictObject({
  prefix: z.string().max(64).default('').describe('Only tags starting with this (case-insensitive).'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const tagsResultSchema = z.object({
  tags: z.array(z.object({ tag: z.string(), items: z.number().int() })),
});
