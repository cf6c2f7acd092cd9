/**
 * The S3 client Outpost uses (AWS SDK v3), set up for S3-compatible stores as well as AWS: path
 * style addressing when an endpoint is given, checksums only when an operation requires them
 * (OpenStack Swift's s3api and other stores reject the SDK's default `aws-chunked` streamed
 * uploads), and every failure mapped onto the one vocabulary of errors (STORE_*).
 */
import { S3Client, S3ServiceException, type S3ClientConfig } from '@aws-sdk/client-s3';
import { OutpostError, errnoCode } from '../core/errors.js';

// The SDK is pinned to a release that supports Node 20 (Debian's); it warns every process that
// later releases will not. That is known and handled by the pin: the warning would only be noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface S3Settings {
  /** `https://s3.eu-west-1.amazonaws.com`, or an S3-compatible store's URL; absent: AWS by region. */
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The client settings (also for @tus/s3-store, which makes its own client from them). */
export function s3ClientConfig(s: S3Settings, extra: S3ClientConfig = {}): S3ClientConfig {
  return {
    region: s.region,
    ...(s.endpoint ? { endpoint: s.endpoint, forcePathStyle: true } : {}),
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The caller decides about retries (the uplink has its own backoff); one quick retry for blips.
    maxAttempts: 2,
    ...extra,
  };
}

/** `extra`: more client settings (tests: a skewed clock). */
export function s3Client(s: S3Settings, extra: S3ClientConfig = {}): S3Client {
  return new S3Client(s3ClientConfig(s, extra));
}

/** The HTTP status of an S3 error, when the store answered. */
export function s3Status(e: unknown): number | undefined {
  return e instanceof S3ServiceException ? e.$metadata.httpStatusCode : undefined;
}

/** Whether the store answered "no such object" (GetObject's NoSuchKey, HeadObject's bare 404). */
export function isS3NotFound(e: unknown): boolean {
  return (
    e instanceof S3ServiceException &&
    (e.name === 'NoSuchKey' || e.name === 'NotFound' || (e.name !== 'NoSuchBucket' && s3Status(e) === 404))
  );
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Any failure of an S3 call → an OutpostError that says what is wrong and what to do. */
export function s3Error(e: unknown, what: string, bucket: string): OutpostError {
  if (e instanceof OutpostError) return e;
  if (e instanceof S3ServiceException) {
    const status = s3Status(e);
    const said = `${e.name}${status ? ` (HTTP ${status})` : ''}: ${e.message}`;
    switch (e.name) {
      case 'InvalidAccessKeyId':
      case 'SignatureDoesNotMatch':
      case 'AccessDenied':
      case 'InvalidToken':
      case 'ExpiredToken':
        return new OutpostError('STORE_CREDENTIALS', `${what}: the store refused the credentials (${said})`, {
          cause: e,
        });
      case 'NoSuchBucket':
        return new OutpostError(
          'STORE_BUCKET_MISSING',
          `${what}: bucket ${bucket} does not exist (${said})`,
          {
            cause: e,
          },
        );
      case 'RequestTimeTooSkewed':
        return new OutpostError(
          'STORE_CLOCK_SKEW',
          `${what}: the store says this machine's clock is wrong (now ${new Date().toISOString()}; ${said})`,
          { cause: e },
        );
      case 'QuotaExceeded':
      case 'EntityTooLarge':
        return new OutpostError('STORE_FULL', `${what}: ${said}`, { cause: e });
    }
    if (status === 403)
      return new OutpostError('STORE_CREDENTIALS', `${what}: the store refused the request (${said})`, {
        cause: e,
      });
    return new OutpostError('STORE_FAILED', `${what}: ${said}`, { cause: e });
  }
  const code = errnoCode(e);
  const timedOut = e instanceof Error && e.name === 'TimeoutError';
  if ((code && NETWORK.has(code)) || timedOut)
    return new OutpostError('STORE_UNREACHABLE', `${what}: ${code ?? 'timed out'}`, { cause: e });
  return new OutpostError('STORE_FAILED', `${what}: ${e instanceof Error ? e.message : String(e)}`, {
    cause: e,
  });
}
