/**
 * Warning codes: the run goes on, but something was not as it should be (a file that would not
 * decode, one left on the card, two drives that disagree). Like errors (core/errors.ts), each
 * code has a hint: what to do about it. A warning may also carry an error code where an error
 * of one file is a warning of the run (an op refused, a path outside library/); a code is in one
 * catalogue only. docs/errors.md lists both.
 */
import { ERROR_CATALOGUE, type ErrorCode } from './errors.js';

const RESTORE =
  'Restore it from the mirror drive or HQ (a scrub with the partner plugged in does it); do not delete the catalogue entry.';

export const WARNING_CATALOGUE = {
  // An item's file (stored with the item: the web app and `outpost ls --json` show them).
  DECODE_FAILED: {
    hint: 'The original is kept byte for byte, but it could not be decoded (damaged, or a format not supported yet): open it on a computer.',
  },
  NO_METADATA: {
    hint: "No capture time, camera or position in the file: the item is dated by the file's own time (as the card kept it). Set the location by hand if it matters.",
  },
  TRUNCATED: {
    hint: 'The file was cut off (a card pulled while the camera wrote, or a failing card): what could be read is shown; the original is kept as it is.',
  },
  NO_DERIVATIVES: {
    hint: 'No thumbnail or preview could be made; the original is safe: download it (/original) or open it on a computer.',
  },

  // A card's files (ingest).
  UNREADABLE: {
    hint: 'The file could not be read: try another card reader (on a library drive: run a scrub with the second drive plugged in). The other files are copied.',
  },
  VANISHED: {
    hint: 'The file went away while it was copied (the card was pulled?): insert the card again; the rest is copied then.',
  },
  ZERO_BYTES: { hint: 'An empty file (the camera stopped while writing it): there is nothing to copy.' },
  SYMLINK: {
    hint: 'Links on a card are never followed (they may lead off the card): copy the file itself onto the card if it matters.',
  },
  SPECIAL_FILE: {
    hint: 'A FIFO, device node or socket is never opened; a camera does not write these: check where the card has been.',
  },
  SIDECAR_UNREADABLE: {
    hint: 'The XMP sidecar could not be read: the item is catalogued without what it held. Fix or remove the sidecar (the original is untouched).',
  },
  COMPANION_CONFLICT: {
    hint: 'A different companion file (e.g. .WAV) is already beside the item: the one in the library is kept, the other was not copied (it is still on the card or the other drive). Compare them if it matters.',
  },
  CLEANUP_DEFERRED: {
    hint: 'The card was left untouched: the clean-up policy (ingest.cleanup.require) asks for copies this station cannot confirm yet.',
  },
  VERIFY_FAILED: {
    hint: 'The library copy did not re-hash right, so the card file was kept: run `outpost fsck --hash` on the library.',
  },
  ERASE_FAILED: {
    hint: 'A file could not be erased from the card (write-protected?); its library copy is safe: erase the card in the camera.',
  },

  // A library drive (fsck, scrub, rebuild).
  MISSING: { hint: `The file is gone from the drive. ${RESTORE}` },
  SIZE_MISMATCH: { hint: `The original was changed or cut short. ${RESTORE}` },
  CORRUPT: { hint: `The original no longer matches its hash. ${RESTORE}` },
  ORPHAN: {
    hint: 'Run `outpost rebuild` to catalogue it, or move it out of library/ if it does not belong.',
  },
  TMP_LEFTOVER: { hint: 'An interrupted copy; the next ingest removes it (safe to delete).' },
  PENDING: { hint: 'An interrupted ingest; the next ingest rolls it back and copies the file again.' },
  MISSING_DERIVATIVE: { hint: 'Run `outpost rebuild` to make the thumbnails and previews again.' },
  COMPANION_MISSING: { hint: 'Restore the companion file from the card, the mirror drive or HQ.' },
  COMPANION_CORRUPT: { hint: 'Restore the companion file from the card, the mirror drive or HQ.' },
  UNEXPECTED_FOLDER: {
    hint: 'Only library/<MONITOR>/<YYYY-MM-DD>/ folders are catalogued: move its files into one and rebuild again.',
  },
  NOT_MEDIA: { hint: 'Not a photo, video or audio file: left where it is, not catalogued.' },
  DUPLICATE_FILE: {
    hint: 'The same bytes are in the library twice: one is catalogued; the other copy may be removed.',
  },
  OLD_CATALOG_UNREADABLE: {
    hint: 'Ratings, tags and card assignments start again from the sidecars; the old catalogue is kept as a backup beside the new one.',
  },

  // Two drives (mirror).
  SOURCE_MISSING: {
    hint: 'The file to copy is missing on the other drive: run `outpost fsck` there; the next mirror tries again.',
  },
  SOURCE_CORRUPT: {
    hint: 'The copy on the other drive no longer matches its hash, so it was not copied: run `outpost scrub` on that drive.',
  },
  PATH_CONFLICT: {
    hint: 'Another item holds the same file name on the other drive: nothing was overwritten. Run `outpost fsck` on both drives.',
  },
  RELOCATE_FAILED: {
    hint: 'A file could not be moved where its edited date or monitor puts it; the next mirror tries again.',
  },

  // Recordings (the storage budget).
  BACKLOG_NEAR_BUDGET: {
    hint: 'Recordings HQ has not confirmed near the camera budget: check the uplink, or raise the budget (cameras[].budget.maxGB).',
  },
  BUDGET_BLOCKED: {
    hint: 'Over budget, but the oldest recordings are not at HQ yet, so they are kept: check the uplink, or raise the budget.',
  },
  DRIVE_FLOOR_BLOCKED: {
    hint: 'The drive is below recorder.minFreeGB and what could go is not at HQ yet: check the uplink, free space, or plug in a bigger drive.',
  },
} as const satisfies Record<string, { hint: string }>;

export type WarningCode = keyof typeof WARNING_CATALOGUE;

/** Any code of the one vocabulary: an error's or a warning's. */
export type Code = ErrorCode | WarningCode;

/** What to do about a code, whichever catalogue it is in. */
export function hintOf(code: Code): string {
  return Object.hasOwn(WARNING_CATALOGUE, code)
    ? WARNING_CATALOGUE[code as WarningCode].hint
    : ERROR_CATALOGUE[code as ErrorCode].hint;
}

/** A code read back from storage (warnings are JSON in the catalogue): its hint, if it has one. */
export function hintOfStored(code: string): string | undefined {
  return Object.hasOwn(WARNING_CATALOGUE, code) || Object.hasOwn(ERROR_CATALOGUE, code)
    ? hintOf(code as Code)
    : undefined;
}
