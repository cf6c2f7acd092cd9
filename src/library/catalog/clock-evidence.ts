import type { ClockEvidence } from '../../core/clock-sanity.js';
import { decodeHlc } from '../../core/hlc.js';
import { dbOf } from './handle.js';
import type { Catalog } from './open.js';

/**
 * What a catalogue says about the time (src/core/clock-sanity.ts): the newest `imported_at` and
 * the wall time of its hybrid logical clock. A full scan of items (no index on imported_at): the
 * station asks when a drive is attached and after an ingest or mirror, not on every check.
 */
export async function clockEvidenceOf(cat: Catalog): Promise<ClockEvidence[]> {
  const out: ClockEvidence[] = [];
  const row = await dbOf(cat)
    .selectFrom('items')
    .select((eb) => eb.fn.max('imported_at').as('t'))
    .executeTakeFirst();
  const imported = row?.t ? Date.parse(row.t) : Number.NaN;
  if (Number.isFinite(imported)) out.push({ source: 'catalogue', ms: imported });
  const wall = await hlcWallOf(cat);
  if (wall !== undefined) out.push({ source: 'hlc', ms: wall });
  return out;
}

/** The wall time of the catalogue's hybrid logical clock (meta 'hlc'), if it has one. */
export async function hlcWallOf(cat: Catalog): Promise<number | undefined> {
  const row = await dbOf(cat).selectFrom('meta').select('value').where('key', '=', 'hlc').executeTakeFirst();
  if (!row) return undefined;
  try {
    return decodeHlc(row.value).wall;
  } catch {
    return undefined;
  }
}
