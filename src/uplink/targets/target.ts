import type { Op } from '../../core/ops.js';

/** What a station sends to one upload target (HQ over tus today; S3 or Azure later). */
export type UploadRendition = 'original' | 'thumb' | 'preview';

export interface ObjectRef {
  item: string;
  rendition: UploadRendition;
  /** SHA-256 of the bytes (for `original` the item id itself). */
  sha256: string;
}

export interface NewUpload extends ObjectRef {
  size: number;
  /** Display name only, never a path at the target. */
  name: string;
}

/** Item facts (the catalogue columns that describe the file), sent before its bytes. */
export type ItemFacts = Record<string, unknown> & { id: string };

/** An op of a sync request the target did not merge (`index` into the request's ops). */
export interface SyncRefusal {
  index: number;
  code: string;
  message: string;
}

export interface SyncResult {
  cursor: number;
  /** Absent from targets that never refuse. */
  refused?: SyncRefusal[];
}

/**
 * Why a request failed, which decides what the runner does next:
 * - `offline`: no connection (refused, reset, DNS, timeout): wait for the link, then resume;
 * - `stalled`: no progress within the stall timeout: resume from the target's offset;
 * - `auth`: the key is missing, wrong or revoked: stop and tell the user;
 * - `conflict`: our offset is not the target's: ask for it and go on;
 * - `gone`: the upload no longer exists (expired, removed): start it again;
 * - `checksum`: the target received bytes that do not hash to the claimed id: start again;
 * - `rejected`: the target refuses this object (4xx): back off this transfer only;
 * - `server`: the target failed (5xx): back off.
 */
export type UploadFailureKind =
  'offline' | 'stalled' | 'auth' | 'conflict' | 'gone' | 'checksum' | 'rejected' | 'server';

export class UploadFailure extends Error {
  constructor(
    readonly kind: UploadFailureKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'UploadFailure';
  }
}

/** Bytes for one request: yields slices; the producer may stop early (preemption, throttle). */
export type BodySource = AsyncIterable<Buffer>;

export interface ChunkResult {
  /** The offset the target confirmed after this request. */
  offset: number;
  /** Body bytes this request wrote to the wire. */
  sent: number;
  /** Milliseconds from the end of the body to the response: the drain time (queueing + RTT). */
  drainMs: number;
  /**
   * The target's own resume state after this request (a bucket's part list and hash state), to
   * be journalled with the upload URL and handed back on the next request; absent: none.
   */
  state?: string | null;
}

/** What the runner tells a part-based target about one request. */
export interface RequestShape {
  /** Exactly the bytes the body yields unless it is cut short (a cut-short part keeps nothing). */
  length?: number;
  /** The journalled resume state of the upload (ChunkResult.state of the last request). */
  state?: string | null;
}

/**
 * How a part-based target (S3 multipart, Azure blocks) wants its requests: every request but an
 * upload's last carries at least `minBytes` and at most `maxBytes`, announced in advance
 * (`RequestShape.length`), sent whole; a request cut short keeps nothing.
 */
export interface PartRules {
  minBytes: number;
  maxBytes: number;
}

/**
 * Moves the bytes of objects: what S3 multipart or an Azure block blob can implement as well as
 * tus. The upload URL is the target's own handle (a tus URL, an upload id); the runner only
 * stores and returns it.
 */
export interface ByteTarget {
  readonly name: string;
  /** For each object, whether the target already holds verified bytes for it. */
  have(objects: ObjectRef[], signal?: AbortSignal): Promise<boolean[]>;
  /** Create an upload, sending `body` as its first bytes (creation-with-upload). */
  create(
    upload: NewUpload,
    body: BodySource,
    signal?: AbortSignal,
    shape?: RequestShape,
  ): Promise<{ url: string } & ChunkResult>;
  /** The offset the target holds for an upload. */
  offset(url: string, signal?: AbortSignal): Promise<number>;
  /** Append `body` at `offset`. */
  append(
    url: string,
    offset: number,
    body: BodySource,
    signal?: AbortSignal,
    shape?: RequestShape,
  ): Promise<ChunkResult>;
  /** Part-based targets: how requests must be cut (absent: any size, and a request may end early). */
  readonly parts?: PartRules;
  /**
   * Where an upload stands, from the target's own list of what it holds (never from local state
   * alone), checked against the journalled state: the offset to go on from and the state to keep.
   * Targets with resume state implement this instead of being asked `offset` by the runner.
   */
  resume?(
    url: string,
    state: string | null,
    signal?: AbortSignal,
  ): Promise<{ offset: number; state: string | null }>;
  /**
   * Something the user should know although requests work (a bucket's store found this clock
   * wrong and the client now signs with its offset): shown with the uplink's status.
   */
  warning?(): string | undefined;
  /** Forget an unfinished upload (it is started again, or its item was deleted): nothing is left behind. */
  discard?(url: string, signal?: AbortSignal): Promise<void>;
}

/** Exchanges item facts and ops with the target's op log (HQ has one; a bare bucket does not). */
export interface OpSyncTarget {
  /**
   * false: the target keeps no op log of others' edits (a bare bucket): nothing is pulled (and
   * an instant empty pull is never taken for a network round trip by the pacer).
   */
  readonly hasOpLog?: boolean;
  /** Push item facts and ops; answers the target's op-log cursor. */
  sync(body: { items: ItemFacts[]; ops: Op[] }, signal?: AbortSignal): Promise<SyncResult>;
  /**
   * Ops the target merged (every station's and its editors'), after `since`; `node` is the
   * target's own node name (the origin of its editors' ops), when it has one.
   */
  pullOps(since: number, signal?: AbortSignal): Promise<{ ops: Op[]; cursor: number; node?: string }>;
}

/** A target the station's uplink runs against: bytes and ops (HQ over tus). */
export interface UploadTarget extends ByteTarget, OpSyncTarget {}
