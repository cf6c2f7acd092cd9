/**
 * The clock watch in the station (rules: src/core/clock-sanity.ts). Before a card is copied or the
 * cameras start, the library drive's own evidence (its newest import, its op clock) is read and
 * the clock checked afresh, so a drive plugged in a moment ago already counts. Changes of the
 * verdict become `clock-status` station events (the web app's banner).
 */
import type { Logger } from '../adapters/logger.js';
import type { ClockStatus, ClockWatch } from '../devices/clock-watch.js';
import { clockEvidenceOf } from '../library/catalog/clock-evidence.js';
import { openCatalog } from '../library/catalog/open.js';
import { driveLayout } from '../library/layout.js';
import type { StationEvents } from './events.js';

/** Read the drive's evidence, check the clock now; true when it may be used to file things. */
export async function clockTrustedFor(watch: ClockWatch, driveRoot: string, log?: Logger): Promise<boolean> {
  try {
    const cat = await openCatalog(driveLayout(driveRoot).catalog);
    try {
      watch.addEvidence(await clockEvidenceOf(cat));
    } finally {
      await cat.close();
    }
  } catch (err) {
    // The ingest that follows reports a catalogue it cannot open; the clock rules still run.
    log?.warn({ err, driveRoot }, 'could not read what the library drive says about the time');
  }
  await watch.check();
  return watch.trusted();
}

/**
 * Forward the watch's verdict changes as station events, and read a library drive's evidence as
 * soon as it is attached (the status page knows before the first card); returns the unsubscribe.
 */
export function forwardClockStatus(watch: ClockWatch, events: StationEvents, log?: Logger): () => void {
  const on = (s: ClockStatus): void => void events.emit('clock-status', s);
  watch.on('change', on);
  const read = ({ path }: { path: string }): void => void clockTrustedFor(watch, path, log);
  events.on('library-attached', read);
  events.on('partner-attached', read);
  return () => {
    watch.off('change', on);
    events.off('library-attached', read);
    events.off('partner-attached', read);
  };
}
