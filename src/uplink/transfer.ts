import { join } from 'node:path';
import { derivedRelPath } from '../library/layout.js';
import { classify, type TransferClass } from './classes.js';
import { transferKey, type Journal, type JournalRow } from './journal.js';
import type { UplinkScheduler } from './scheduler.js';
import type { NewUpload, ObjectRef, UploadRendition } from './targets/target.js';

/** Size guesses of derivatives not measured yet (an original's size is in the catalogue). */
const ESTIMATE: Record<UploadRendition, number> = { original: 0, thumb: 20_000, preview: 200_000 };

/** Where a transfer's state is written: the durable journal and the scheduler's queue. */
export interface TransferBooks {
  journal: Journal;
  scheduler: UplinkScheduler;
  nowIso: () => string;
}

/**
 * One pending upload of one rendition. It owns the offset and the upload URL, and every change
 * of them goes through one method that writes the journal and the scheduler together, so the
 * three never disagree.
 */
export class Transfer {
  readonly key: string;
  readonly path: string;
  row: JournalRow;
  cls: TransferClass;
  size: number;
  offset: number;
  url: string | null;
  /** A part-based target's resume state, journalled with the URL. */
  state: string | null;
  /** The offset is known to be the target's (false after any failure and at start). */
  offsetKnown = false;
  haveChecked = false;
  /** Highest byte ever handed to the socket, to count what is sent twice. */
  highWater: number;

  constructor(
    row: JournalRow,
    driveRoot: string,
    private readonly books: TransferBooks,
  ) {
    this.key = transferKey(row.item, row.rendition);
    this.row = row;
    this.cls = classOf(row);
    this.size = row.size ?? (row.rendition === 'original' ? row.itemSize : ESTIMATE[row.rendition]);
    this.offset = row.offset;
    this.url = row.uploadUrl;
    this.state = row.uploadState;
    this.highWater = row.offset;
    const rel =
      row.rendition === 'original'
        ? row.path
        : derivedRelPath(
            row.item,
            row.rendition === 'thumb' ? 'thumb' : row.hasPreview ? 'preview' : 'poster',
          );
    this.path = join(driveRoot, rel);
    this.schedule();
  }

  get item(): string {
    return this.row.item;
  }

  get rendition(): UploadRendition {
    return this.row.rendition;
  }

  /** What the target is asked about (needs `describe` first for derivatives). */
  get ref(): ObjectRef {
    return { item: this.row.item, rendition: this.row.rendition, sha256: this.row.sha256! };
  }

  /** What the target is told when the upload is created. */
  get newUpload(): NewUpload {
    return { ...this.ref, size: this.size, name: this.row.originalName };
  }

  /** Size and hash known: only the hash of a derivative is unknown before it is read. */
  get described(): boolean {
    return this.row.size !== null && !!this.row.sha256;
  }

  /** A fresh journal row (rating, priority changed): the class follows. */
  refresh(row: JournalRow): void {
    this.row = row;
    const cls = classOf(row);
    if (cls !== this.cls) {
      this.cls = cls;
      this.books.scheduler.setClass(this.key, cls);
    }
  }

  describe(size: number, sha256: string): void {
    this.books.journal.describe(this.row.item, this.row.rendition, size, sha256, this.books.nowIso());
    this.row = { ...this.row, size, sha256 };
    this.size = size;
    this.schedule();
  }

  /** The target confirmed `offset` of the upload at `url` (and its resume state): journal and queue follow. */
  moved(url: string, offset: number, state?: string | null): void {
    this.url = url;
    this.offset = offset;
    if (state !== undefined) this.state = state;
    this.offsetKnown = true;
    this.books.journal.progress(
      this.row.item,
      this.row.rendition,
      url,
      offset,
      this.books.nowIso(),
      this.state,
    );
    this.schedule();
  }

  /** A request moved the upload to `offset`: the class is credited; true when it is complete. */
  advanced(url: string, offset: number, state?: string | null): boolean {
    this.books.scheduler.sent(this.key, offset - this.offset);
    this.url = url;
    this.offset = offset;
    this.offsetKnown = true;
    if (offset >= this.size) return true;
    this.moved(url, offset, state);
    return false;
  }

  /** The target holds verified bytes: the transfer leaves the queue for good. */
  done(): void {
    this.books.journal.done(this.row.item, this.row.rendition, this.books.nowIso());
    this.books.scheduler.remove(this.key);
  }

  /** This try failed: journalled, and the transfer waits until `untilMs` (Infinity: parked). */
  failed(why: string, untilMs: number): void {
    this.books.journal.failed(this.row.item, this.row.rendition, why, this.books.nowIso());
    this.row = { ...this.row, attempts: this.row.attempts + 1 };
    this.books.scheduler.defer(this.key, untilMs);
  }

  /** The upload is lost or its bytes were wrong: begin again from byte 0 with a new upload. */
  restart(why: string): void {
    this.books.journal.restart(this.row.item, this.row.rendition, why, this.books.nowIso());
    this.url = null;
    this.state = null;
    this.offset = 0;
    // highWater stays: bytes sent again from 0 count as resent.
    this.haveChecked = false;
    const original = this.row.rendition === 'original';
    this.row = {
      ...this.row,
      sha256: original ? this.row.sha256 : null,
      size: original ? this.row.size : null,
    };
    this.books.scheduler.upsert({ id: this.key, cls: this.cls, size: this.size, remaining: this.size });
  }

  /** Out of the queue without a journal change (its row is closed already: cancelled). */
  drop(): void {
    this.books.scheduler.remove(this.key);
  }

  private schedule(): void {
    this.books.scheduler.upsert({
      id: this.key,
      cls: this.cls,
      size: this.size,
      remaining: Math.max(0, this.size - this.offset),
    });
  }
}

function classOf(row: JournalRow): TransferClass {
  return classify({
    rendition: row.rendition,
    type: row.type,
    rating: row.rating,
    priority: row.priority,
    card: row.card,
  });
}
