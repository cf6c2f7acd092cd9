/**
 * Zip export of a selection (issue 13 §2): the originals (with their XMP sidecars, so tags travel)
 * or the small previews, plus the selection's CSV, streamed. A selection's ids are too many for a
 * URL, so `POST /api/export/zip` takes them and answers with a short-lived download link; the
 * browser then downloads that link itself, straight to disk with its own progress bar (a fetched
 * blob would hold gigabytes of originals in a tablet's memory). Entries are stored, not
 * compressed (media is compressed already), so the length is known before the first byte.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ZipFile } from 'yazl';
import { z } from 'zod';
import { isOutpostError } from '../../core/errors.js';
import { visibleItemsByIds } from '../../library/catalog/item-list.js';
import type { ItemRow } from '../../library/catalog/schema.js';
import { sidecarRelPath } from '../../library/sidecar/write.js';
import type { AppDeps, MediaSource } from '../deps.js';
import { ApiError } from '../errors.js';
import { defineRoute } from '../route.js';
import { noQuery } from '../schemas.js';
import { exportBody, selectionCsv } from './event-albums.js';
import { driveMedia } from './media.js';

/** How long a download link works. */
export const ZIP_LINK_TTL_MS = 15 * 60_000;
/** Links kept at once (older ones are dropped first): a bound on what requests can pin in memory. */
const MAX_TICKETS = 200;

type Content = 'originals' | 'previews';
type Kind = Parameters<MediaSource>[1];

interface Ticket {
  ids: string[];
  content: Content;
  expires: number;
}

/** One file of the zip: where it comes from and its name inside the archive. */
interface Entry {
  name: string;
  size: number;
  mtime: Date;
  open: () => Promise<Readable>;
}

/** `library/Ana/2024-05-01/IMG_1.JPG` → `Ana/2024-05-01/IMG_1.JPG` (the archive's folders). */
function archivePath(row: ItemRow): string {
  return row.path.replace(/^library\//, '');
}

function withExt(path: string, ext: string): string {
  return path.replace(/\.[^./]*$/, '') + ext;
}

/** What a preview zip holds for an item: the preview JPEG, a video's small copy (or poster), audio as is. */
function previewOf(row: ItemRow): { kind: Kind; ext: string } | undefined {
  if (row.type === 'audio') return { kind: 'original', ext: `.${row.ext}` };
  if (row.type === 'video') {
    if (row.has_video) return { kind: 'video', ext: '.mp4' };
    if (row.has_poster) return { kind: 'poster', ext: '.jpg' };
    return undefined;
  }
  return row.has_preview ? { kind: 'preview', ext: '.jpg' } : undefined;
}

export const zipBody = exportBody.extend({
  content: z
    .enum(['originals', 'previews'])
    .default('originals')
    .describe('originals (with XMP sidecars) or previews (JPEG, small video copies)'),
});

export function registerZipExportRoutes(app: FastifyInstance, deps: AppDeps): void {
  const media = deps.media ?? (deps.files ? driveMedia(deps.files.root) : undefined);
  const sidecarRoot = deps.files?.root;
  const tickets = new Map<string, Ticket>();
  const now = (): number => deps.clock.now().getTime();
  const prune = (): void => {
    for (const [k, t] of tickets) if (t.expires <= now()) tickets.delete(k);
    while (tickets.size >= MAX_TICKETS) tickets.delete(tickets.keys().next().value!);
  };

  /** A file of the selection as an entry, or its archive name when it is not there. */
  const entryOf = async (row: ItemRow, kind: Kind, name: string): Promise<Entry | string> => {
    if (!media) return name;
    try {
      const f = await media(row, kind);
      const size = f.size;
      await f.close();
      return {
        name,
        size,
        mtime: new Date(row.imported_at),
        open: async () => (await media(row, kind)).stream(),
      };
    } catch (e) {
      if (isOutpostError(e) && e.code === 'FILE_MISSING') return name;
      throw e;
    }
  };

  const sidecarOf = async (row: ItemRow): Promise<Entry | undefined> => {
    if (!sidecarRoot) return undefined;
    const abs = join(sidecarRoot, sidecarRelPath(row));
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isFile()) return undefined;
    return {
      name: sidecarRelPath(row).replace(/^library\//, ''),
      size: st.size,
      mtime: st.mtime,
      open: async () => createReadStream(abs),
    };
  };

  defineRoute(app, {
    method: 'POST',
    url: '/api/export/zip',
    role: 'viewer',
    tags: ['items'],
    summary: 'Prepare a zip of the selection: answers with a download link valid for 15 minutes',
    description:
      'GET the returned `href` to download the zip (streamed, Content-Length known): the originals in ' +
      '`MONITOR/DATE/` folders with their XMP sidecars, or the previews; `outpost-export.csv` with ' +
      'the metadata; `MISSING.txt` lists files the drive does not have.',
    query: noQuery,
    body: zipBody,
    responses: {
      200: z.object({
        href: z.string(),
        items: z.number().int(),
        bytes: z.number().int().describe('size of the originals or previews, before zip overhead'),
        expiresAt: z.string(),
      }),
    },
    handler: async ({ body }) => {
      const rows = await visibleItemsByIds(deps.catalog, body.ids);
      if (rows.length === 0)
        throw new ApiError('ITEM_NOT_FOUND', 'none of the selected items is in the library any more');
      prune();
      const token = randomBytes(16).toString('base64url');
      const expires = now() + ZIP_LINK_TTL_MS;
      tickets.set(token, { ids: rows.map((r) => r.id), content: body.content, expires });
      const bytes =
        body.content === 'originals'
          ? rows.reduce((s, r) => s + r.size, 0)
          : rows.reduce((s, r) => s + (r.type === 'audio' ? r.size : 0), 0);
      return {
        href: `/api/export/zip/${token}`,
        items: rows.length,
        bytes,
        expiresAt: new Date(expires).toISOString(),
      };
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/api/export/zip/:token',
    role: 'viewer',
    tags: ['items'],
    summary: 'Download a prepared zip (see POST /api/export/zip)',
    params: z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{22}$/) }),
    query: noQuery,
    responses: { 200: z.unknown() },
    handler: async ({ params }, req, reply) => {
      const ticket = tickets.get(params.token);
      if (!ticket || ticket.expires <= now())
        throw new ApiError('EXPORT_EXPIRED', 'this download link has expired or is unknown');
      const rows = await visibleItemsByIds(deps.catalog, ticket.ids);
      const entries: Entry[] = [];
      const missing: string[] = [];
      for (const row of rows) {
        const base = archivePath(row);
        const wanted: [Kind, string][] = [];
        if (ticket.content === 'originals') wanted.push(['original', base]);
        else {
          const p = previewOf(row);
          if (p) wanted.push([p.kind, withExt(base, p.ext)]);
        }
        for (const [kind, name] of wanted) {
          const e = await entryOf(row, kind, name);
          if (typeof e === 'string') missing.push(e);
          else entries.push(e);
        }
        if (ticket.content === 'originals') {
          const side = await sidecarOf(row);
          if (side) entries.push(side);
        }
      }
      const zip = new ZipFile();
      /** The file being read into the zip: closed if the download is cut off. */
      let reading: Readable | undefined;
      for (const e of entries) {
        zip.addReadStreamLazy(e.name, { size: e.size, mtime: e.mtime, compress: false }, (cb) => {
          e.open().then(
            (s) => {
              reading = s;
              cb(null, s);
            },
            (err: unknown) => cb(err instanceof Error ? err : new Error(String(err)), undefined as never),
          );
        });
      }
      zip.addBuffer(Buffer.from(selectionCsv(rows), 'utf8'), 'outpost-export.csv', {
        mtime: new Date(now()),
        compress: false,
      });
      if (missing.length > 0)
        zip.addBuffer(
          Buffer.from(
            `These files of the selection are not on the library drive (run \`outpost fsck\`):\n${missing.join('\n')}\n`,
          ),
          'MISSING.txt',
          { mtime: new Date(now()), compress: false },
        );
      let length = -1;
      zip.end({ forceZip64Format: false, comment: '' }, ((total: number) => {
        length = total;
      }) as () => void);
      req.raw.on('close', () => {
        if (!reply.raw.writableFinished) reading?.destroy();
      });
      void reply.header('content-type', 'application/zip');
      void reply.header(
        'content-disposition',
        `attachment; filename="outpost-${rows.length}-${ticket.content}.zip"`,
      );
      if (length >= 0) void reply.header('content-length', length);
      return reply.send(zip.outputStream);
    },
  });
}
