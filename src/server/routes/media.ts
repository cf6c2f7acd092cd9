import { open, type FileHandle } from 'node:fs/promises';
import { basename, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errnoCode, OutpostError } from '../../core/errors.js';
import type { ItemRow } from '../../library/catalog/schema.js';
import { derivedRelPath, type Rendition } from '../../library/layout.js';
import type { AppDeps, MediaSource } from '../deps.js';
import { ApiError } from '../errors.js';
import { etagMatches, ifRangeAllows, parseRange } from '../http-range.js';
import { defineRoute } from '../route.js';
import { errorBodySchema, itemRefParams, noQuery, originalQuery } from '../schemas.js';
import { findItem } from './items.js';

/** Content types of originals, by the extensions ingest accepts (core/media-types.ts). */
const MIME_BY_EXT: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  heic: 'image/heic',
  heif: 'image/heif',
  png: 'image/png',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  cr2: 'image/x-canon-cr2',
  cr3: 'image/x-canon-cr3',
  nef: 'image/x-nikon-nef',
  arw: 'image/x-sony-arw',
  dng: 'image/x-adobe-dng',
  orf: 'image/x-olympus-orf',
  rw2: 'image/x-panasonic-rw2',
  mp4: 'video/mp4',
  m4v: 'video/x-m4v',
  mov: 'video/quicktime',
  avi: 'video/x-msvideo',
  mts: 'video/mp2t',
  m2ts: 'video/mp2t',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
};

export function mimeOfExt(ext: string): string {
  return MIME_BY_EXT[ext.toLowerCase()] ?? 'application/octet-stream';
}

const RENDITION_MIME: Record<Rendition, string> = {
  thumb: 'image/webp',
  preview: 'image/jpeg',
  poster: 'image/jpeg',
  video: 'video/mp4',
};

/**
 * The only way a request reaches a file: a path taken from a catalogue row, joined to the drive
 * root, and checked to stay inside it (defence in depth: rows come from ingest, not requests).
 */
function driveFile(root: string, rel: string): string {
  const base = resolve(root);
  const abs = resolve(base, rel);
  if (!abs.startsWith(base + sep))
    throw new OutpostError('INTERNAL', `catalogue path ${JSON.stringify(rel)} leaves the drive`);
  return abs;
}

async function openOrMissing(path: string, what: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR')
      throw new ApiError('FILE_MISSING', `the ${what} is not on the library drive`);
    throw e;
  }
}

/** The station's media: files on the library drive, found through the catalogue row. */
export function driveMedia(root: string): MediaSource {
  return async (row, kind) => {
    const rel = kind === 'original' ? row.path : derivedRelPath(row.id, kind);
    const fh = await openOrMissing(driveFile(root, rel), kind);
    try {
      const { size } = await fh.stat();
      return {
        size,
        stream: (range) => fh.createReadStream(range ? { start: range.start, end: range.end } : {}),
        close: () => fh.close(),
      };
    } catch (e) {
      await fh.close();
      throw e;
    }
  };
}

/** RFC 6266 Content-Disposition with an ASCII fallback and the UTF-8 name. */
function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Media is never a page: no sniffing, and a sandbox should anyone open it as a document. */
function mediaHeaders(reply: FastifyReply, etag: string, cacheControl: string): void {
  void reply.headers({
    etag,
    'cache-control': cacheControl,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
  });
}

const DERIVED_CACHE = 'private, max-age=31536000, immutable';
/** Originals never change either (the id is their hash), but stay revalidated in case of deletion. */
const ORIGINAL_CACHE = 'private, max-age=86400';

export async function sendRendition(
  req: FastifyRequest,
  reply: FastifyReply,
  media: MediaSource,
  row: ItemRow,
  rendition: Rendition,
): Promise<FastifyReply> {
  const has = {
    thumb: row.has_thumb,
    preview: row.has_preview,
    poster: row.has_poster,
    video: row.has_video,
  }[rendition];
  if (!has)
    throw new ApiError(
      'RENDITION_NOT_FOUND',
      `item ${row.id.slice(0, 12)} (${row.type}) has no ${rendition}`,
    );
  const etag = `"${row.id}"`;
  mediaHeaders(reply, etag, DERIVED_CACHE);
  if (etagMatches(req.headers['if-none-match'], etag)) return reply.code(304).send();
  const file = await media(row, rendition);
  let handedOver = false;
  try {
    const { size } = file;
    void reply.type(RENDITION_MIME[rendition]).header('content-length', size);
    if (req.method === 'HEAD') return reply.send();
    handedOver = true;
    return reply.send(file.stream());
  } finally {
    if (!handedOver) await file.close();
  }
}

export async function sendOriginal(
  req: FastifyRequest,
  reply: FastifyReply,
  media: MediaSource,
  row: ItemRow,
  download: boolean,
): Promise<FastifyReply> {
  const etag = `"${row.id}"`;
  mediaHeaders(reply, etag, ORIGINAL_CACHE);
  void reply.headers({
    'accept-ranges': 'bytes',
    'content-disposition': contentDisposition(download ? 'attachment' : 'inline', basename(row.path)),
  });
  if (etagMatches(req.headers['if-none-match'], etag)) return reply.code(304).send();
  return sendRanged(req, reply, await media(row, 'original'), etag, mimeOfExt(row.ext));
}

/**
 * A file with HTTP Range support (players seek with ranges; Safari plays no video without them).
 * Takes ownership of `file`: closed here unless its stream was handed to Fastify.
 */
async function sendRanged(
  req: FastifyRequest,
  reply: FastifyReply,
  file: Awaited<ReturnType<MediaSource>>,
  etag: string,
  mime: string,
): Promise<FastifyReply> {
  void reply.header('accept-ranges', 'bytes');
  let handedOver = false;
  try {
    const { size } = file;
    const ifRange = req.headers['if-range'];
    const range = ifRangeAllows(Array.isArray(ifRange) ? ifRange[0] : ifRange, etag)
      ? parseRange(req.headers.range, size)
      : ({ kind: 'full' } as const);
    if (range.kind === 'unsatisfiable')
      throw new ApiError('RANGE_NOT_SATISFIABLE', `the range ${req.headers.range} is outside the file`, {
        details: { size },
        headers: { 'content-range': `bytes */${size}` },
      });
    void reply.type(mime);
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
    if (range.kind === 'partial')
      void reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`);
    void reply.header('content-length', size === 0 ? 0 : end - start + 1);
    if (req.method === 'HEAD' || size === 0) return reply.send();
    handedOver = true;
    return reply.send(file.stream({ start, end }));
  } finally {
    if (!handedOver) await file.close();
  }
}

/** A server with neither a library drive's files nor a media source (none runs so today). */
const noMedia: MediaSource = async (_row, kind) => {
  throw new ApiError('FILE_MISSING', `this server keeps no ${kind} files`);
};

/** Where this app's media bytes come from: the media source given, else the library drive's files. */
export function appMedia(deps: AppDeps): MediaSource {
  return deps.media ?? (deps.files ? driveMedia(deps.files.root) : noMedia);
}

export function registerMediaRoutes(app: FastifyInstance, deps: AppDeps): void {
  const media = appMedia(deps);
  const cat = deps.catalog;
  const tags = ['media'];
  const file = (
    mime: string,
    description: string,
  ): { description: string; content: Record<string, unknown> } => ({
    description,
    content: { [mime]: { schema: { type: 'string', format: 'binary' } } },
  });
  const notModified = { description: 'Not modified (If-None-Match matched the ETag)', type: 'null' as const };
  const renditions: [Exclude<Rendition, 'video'>, string][] = [
    ['thumb', 'Thumbnail (WebP, about 320 px)'],
    ['preview', 'Preview (JPEG, about 1600 px)'],
    ['poster', 'Poster frame of a video (JPEG, full size)'],
  ];
  for (const [rendition, what] of renditions) {
    defineRoute(app, {
      method: ['GET', 'HEAD'],
      url: `/api/items/:id/${rendition}`,
      role: 'viewer',
      tags,
      summary: what,
      description:
        'ETag is the item id and the response is cacheable forever (Cache-Control immutable). ' +
        '404 RENDITION_NOT_FOUND when the item has none.',
      params: itemRefParams,
      query: noQuery,
      responses: { 200: file(RENDITION_MIME[rendition], what), 304: notModified },
      handler: async ({ params }, req, reply) =>
        sendRendition(req, reply, media, await findItem(cat, params.id), rendition),
    });
  }
  defineRoute(app, {
    method: ['GET', 'HEAD'],
    url: '/api/items/:id/video',
    role: 'viewer',
    tags,
    summary: 'Small H.264 streaming copy of a video (MP4, at most 640 px, about 0.75 Mbit/s)',
    description:
      'Made at ingest for videos that browsers cannot play or that are too big for a slow link ' +
      '(`derivatives.video` in the item). HTTP Range supported, cacheable forever. ' +
      '404 RENDITION_NOT_FOUND when the item has none: play the original.',
    params: itemRefParams,
    query: noQuery,
    responses: {
      200: file('video/mp4', 'The whole streaming copy'),
      206: file('video/mp4', 'The requested byte range'),
      304: notModified,
      416: errorBodySchema.describe('Range not satisfiable (RANGE_NOT_SATISFIABLE)'),
    },
    handler: async ({ params }, req, reply) => {
      const row = await findItem(cat, params.id);
      if (!row.has_video)
        throw new ApiError(
          'RENDITION_NOT_FOUND',
          `item ${row.id.slice(0, 12)} (${row.type}) has no streaming copy: play its original`,
        );
      const etag = `"${row.id}-video"`;
      mediaHeaders(reply, etag, DERIVED_CACHE);
      if (etagMatches(req.headers['if-none-match'], etag)) return reply.code(304).send();
      return sendRanged(req, reply, await media(row, 'video'), etag, RENDITION_MIME.video);
    },
  });
  defineRoute(app, {
    method: ['GET', 'HEAD'],
    url: '/api/items/:id/original',
    role: 'viewer',
    tags,
    summary: 'The original file, byte for byte (HTTP Range supported)',
    description:
      'A single byte range (`Range: bytes=0-1023`, `bytes=1000-`, `bytes=-500`) gives 206 with Content-Range; ' +
      'a range outside the file gives 416; several ranges give the whole file (200). ETag is the item id.',
    params: itemRefParams,
    query: originalQuery,
    responses: {
      200: file('application/octet-stream', 'The whole file, with its own Content-Type'),
      206: file('application/octet-stream', 'The requested byte range'),
      304: notModified,
      416: errorBodySchema.describe(
        'Range not satisfiable (RANGE_NOT_SATISFIABLE; Content-Range: bytes */size)',
      ),
    },
    handler: async ({ params, query }, req, reply) =>
      sendOriginal(req, reply, media, await findItem(cat, params.id), query.download ?? false),
  });
}
