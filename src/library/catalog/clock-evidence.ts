import type { ClockEvidence } from '../../core/clock-sanity.js';
import { decodeHlc } from '../../core/hlc.js';
import type { Catalog } from './open.js';

/**
 * What a catalogue says about the time (src/core/clock-sanity.ts): the newest `imported_at` and
 * the wall time of its hybrid logical clock. A full scan of items (no index on imported_at): the
 * station asks when a drive is attached and after an ingest or mirror, not on every check.
 */
export function clockEvidenceOf(cat: Catalog): ClockEvidence[] {
  const out: ClockEvidence[] = [];
  const row = cat.sqlite.prepare('select max(imported_at) as t from items').get() as
    { t: string | null } | undefined;
  const imported = row?.t ? Date.parse(row.t) : Number.NaN;
  if (Number.isFinite(imported)) out.push({ source: 'catalogue', ms: imported });
  const wall = hlcWallOf(cat);
  if (wall !== undefined) out.push({ source: 'hlc', ms: wall });
  return out;
}

/** The wall time of the catalogue's hybrid logical clock (meta 'hlc'), if it has one. */
export function hlcWallOf(cat: Catalog): number | undefined {
  const row = cat.sqlite.prepare("select value from meta where key = 'hlc'").get() as
    { value: string } | undefined;
  if (!row) return undefined;
  try {
    return decodeHlc(row.value).wall;
  } catch {
    return undefined;
  }
}
