import { PassThrough, type Readable } from 'node:stream';
import type { Catalog } from '../library/catalog/open.js';
import type { MediaSource } from '../server/deps.js';
import { ApiError } from '../server/errors.js';
import { objectOf } from '../library/catalog/objects.js';
import type { ObjectStore } from './object-store.js';
import type { UploadRendition } from './upload-metadata.js';

/**
 * HQ's media for the web app: the object store, found through the objects table. A video's
 * poster is the rendition stations send as its preview.
 */
export function objectStoreMedia(catalog: Catalog, store: ObjectStore): MediaSource {
  return async (row, kind) => {
    if (kind === 'video')
      throw new ApiError('FILE_MISSING', 'HQ keeps no streaming copies of videos: play the original');
    const rendition: UploadRendition = kind === 'poster' ? 'preview' : kind;
    const obj = await objectOf(catalog, row.id, rendition);
    const stat = obj ? await store.stat(obj.sha256) : undefined;
    if (!obj || !stat)
      throw new ApiError('FILE_MISSING', `HQ does not hold the ${kind} of this item (yet)`, {
        hint: 'The station uploads it when its link allows; originals come after thumbnails and previews.',
      });
    return {
      size: stat.size,
      // The store opens lazily: hand Fastify a stream that errors if the object vanished since stat().
      stream: (range) => lazyStream(() => store.getStream(obj.sha256, range)),
      close: async () => undefined,
    };
  };
}

function lazyStream(open: () => Promise<Readable>): Readable {
  const out = new PassThrough();
  open().then(
    (src) => {
      src.on('error', (e) => out.destroy(e));
      out.on('close', () => src.destroy());
      src.pipe(out);
    },
    (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))),
  );
  return out;
}
