/**
 * The Azure Blob client Outpost uses (@azure/storage-blob, pinned to a release that supports Node
 * 20), from a connection string or an account URL with a SAS token, and every failure mapped onto
 * the one vocabulary of errors (STORE_*).
 */
import {
  BlobServiceClient,
  RestError,
  type ContainerClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import { OutpostError, errnoCode } from '../core/errors.js';

export type AzureSettings = { container: string } & (
  { connectionString: string } | { accountUrl: string; sasToken: string }
);

/** `options`: pipeline settings (the uplink: no retries, its own backoff; a stream is read once). */
export function azureContainer(s: AzureSettings, options?: StoragePipelineOptions): ContainerClient {
  const service =
    'connectionString' in s
      ? BlobServiceClient.fromConnectionString(s.connectionString, options)
      : new BlobServiceClient(
          `${s.accountUrl.replace(/\/$/, '')}?${s.sasToken.replace(/^\?/, '')}`,
          undefined,
          options,
        );
  return service.getContainerClient(s.container);
}

/** The HTTP status of an Azure error, when the service answered. */
export function azureStatus(e: unknown): number | undefined {
  return e instanceof RestError ? e.statusCode : undefined;
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Any failure of an Azure Blob call → an OutpostError that says what is wrong and what to do. */
export function azureError(e: unknown, what: string, container: string): OutpostError {
  if (e instanceof OutpostError) return e;
  if (e instanceof RestError) {
    const cause = e.cause ?? e;
    const net = errnoCode(cause) ?? (e.code && NETWORK.has(e.code) ? e.code : undefined);
    if (e.statusCode === undefined || e.code === 'REQUEST_SEND_ERROR' || (net && NETWORK.has(net)))
      return new OutpostError('STORE_UNREACHABLE', `${what}: ${net ?? e.message}`, { cause: e });
    const said = `${e.code ?? 'error'} (HTTP ${e.statusCode}): ${e.message.split('\n')[0]}`;
    if (e.code === 'ContainerNotFound')
      return new OutpostError('STORE_BUCKET_MISSING', `${what}: container ${container} does not exist`, {
        cause: e,
      });
    // Azure says a request's date is out of range inside an authentication failure.
    if (e.statusCode === 403 && /date|time|expired/i.test(e.message))
      return new OutpostError(
        'STORE_CLOCK_SKEW',
        `${what}: the store refused this machine's time (now ${new Date().toISOString()}; ${said})`,
        { cause: e },
      );
    if (e.statusCode === 403 || e.code === 'AuthenticationFailed' || e.code === 'AuthorizationFailure')
      return new OutpostError('STORE_CREDENTIALS', `${what}: the store refused the credentials (${said})`, {
        cause: e,
      });
    if (e.code === 'AccountIsDisabled' || e.code === 'InsufficientAccountPermissions')
      return new OutpostError('STORE_CREDENTIALS', `${what}: ${said}`, { cause: e });
    return new OutpostError('STORE_FAILED', `${what}: ${said}`, { cause: e });
  }
  const code = errnoCode(e);
  if (code && NETWORK.has(code))
    return new OutpostError('STORE_UNREACHABLE', `${what}: ${code}`, { cause: e });
  return new OutpostError('STORE_FAILED', `${what}: ${e instanceof Error ? e.message : String(e)}`, {
    cause: e,
  });
}
