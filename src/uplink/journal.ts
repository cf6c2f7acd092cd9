/**
 * The uplink's durable transfer journal lives with the catalogue (library/catalog/uplink-journal.ts):
 * one row per (target, item, rendition); every confirmed offset, upload URL, attempt and error is
 * written there first, so a killed station resumes exactly where HQ is.
 */
import type { UploadRendition } from './targets/target.js';

export { UplinkJournal as Journal, type JournalRow } from '../library/catalog/uplink-journal.js';

/** The scheduler's and the runner's key of one transfer. */
export const transferKey = (item: string, rendition: UploadRendition): string => `${item}:${rendition}`;
