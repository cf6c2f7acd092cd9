import { LocalDiskStore } from './local-disk-store.js';
import type { ObjectStore } from './object-store.js';
import type { AzureStoreSettings } from './azure-store.js';
import type { S3StoreSettings } from './s3-store.js';

/** `hq.objects` of the config: where HQ keeps verified bytes. */
export type ObjectStoreSettings =
  | { kind: 'local' }
  | ({ kind: 's3' } & S3StoreSettings)
  | {
      kind: 'azure';
      container: string;
      prefix?: string | undefined;
      connectionString?: string | undefined;
      accountUrl?: string | undefined;
      sasToken?: string | undefined;
    };

/**
 * HQ's object store as configured, checked before HQ takes requests: a bucket that is missing or
 * refuses the credentials stops the start with an error that says so (not the first upload).
 * The S3 and Azure clients are loaded only when such a store is configured.
 */
export async function hqObjectStore(settings: ObjectStoreSettings, objectsDir: string): Promise<ObjectStore> {
  if (settings.kind === 'local') return new LocalDiskStore(objectsDir).init();
  if (settings.kind === 'azure') {
    const { AzureBlobStore } = await import('./azure-store.js');
    const { container, prefix, connectionString, accountUrl, sasToken } = settings;
    // The config has checked that one way of signing in is complete.
    const auth = connectionString ? { connectionString } : { accountUrl: accountUrl!, sasToken: sasToken! };
    const store = new AzureBlobStore({ container, prefix, ...auth } as AzureStoreSettings);
    await store.check();
    return store;
  }
  const { S3ObjectStore } = await import('./s3-store.js');
  const store = new S3ObjectStore(settings);
  await store.check();
  return store;
}
