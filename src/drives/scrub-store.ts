/**
 * What the scrub keeps in a drive's catalogue, in the scrub's own types: the cycle cursor and
 * the findings (library/catalog/scrub-findings.ts holds the statements). Damaged rows stay until
 * a later check finds the file right (repaired here, or restored by hand).
 */
import { openCatalog, type Catalog } from '../library/catalog/open.js';
import {
  openFindings as findingRows,
  markUnrepaired as markUnrepairedRow,
  openDamageCount,
  readScrubState,
} from '../library/catalog/scrub-findings.js';
import type { ScrubCycleState } from './scrub-plan.js';
import type { ScrubCode, ScrubFinding, UnrepairedReason } from './scrub-types.js';

export {
  markRepaired,
  markResolved,
  openDamageCount,
  readScrubState,
  recordDamage,
  writeScrubState,
} from '../library/catalog/scrub-findings.js';

export function markUnrepaired(cat: Catalog, path: string, reason: UnrepairedReason, nowIso: string): void {
  markUnrepairedRow(cat, path, reason, nowIso);
}

/** Files found damaged and not repaired yet (their codes are the ones the scrub wrote). */
export function openFindings(cat: Catalog): (ScrubFinding & { reason: string | null })[] {
  return findingRows(cat).map((r) => ({ ...r, code: r.code as ScrubCode }));
}

/** A drive's scrub bookkeeping, read in one short catalogue open (the station's due check). */
export async function scrubStatusOf(
  catalogPath: string,
): Promise<ScrubCycleState & { damaged: number; awaitingPartner: number }> {
  const cat = await openCatalog(catalogPath);
  try {
    return { ...readScrubState(cat), ...openDamageCount(cat) };
  } finally {
    await cat.close();
  }
}
