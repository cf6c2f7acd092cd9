import { LocalDiskStore } from './local-disk-store.js';
import type { ObjectStore } from './object-store.js';
import type { S3StoreSettings } from './s3-store.js';

/** `hq.objects` of the config: where HQ keeps verified bytes. */
export type ObjectStoreSettings = { kind: 'local' } | ({ kind: 's3' } & S3StoreSettings);

/**
 * HQ's object store as configured, checked before HQ takes requests: a bucket that is missing or
 * refuses the credentials stops the start with an error that says so (not the first upload).
 * The S3 client is loaded only when a bucket is configured.
 */
export async function hqObjectStore(settings: ObjectStoreSettings, objectsDir: string): Promise<ObjectStore> {
  if (settings.kind === 'local') return new LocalDiskStore(objectsDir).init();
  const { S3ObjectStore } = await import('./s3-store.js');
  const store = new S3ObjectStore(settings);
  await store.check();
  return store;
}
