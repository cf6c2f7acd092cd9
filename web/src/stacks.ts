import { groupBursts } from '../../src/core/bursts';
import type { Item } from './types';

/**
 * Bursts in the grid (issue 13 §2): photos one camera took seconds apart (a camera trap's 3–10
 * frames) shown as one stack, its first frame the cover. Grouped here over every loaded item (so a
 * burst split across two pages is still one stack); the item view still steps through every frame.
 */
export interface Stacked {
  /** What the grid shows: lone items, stack covers, and every frame of an expanded stack. */
  shown: Item[];
  /** Cover id → the ids of its burst (cover first), for bursts of 2 or more. */
  bursts: Map<string, string[]>;
}

/** Photos of the same monitor, card and camera model can belong to one burst. */
const cameraOf = (it: Item): string | null =>
  it.type === 'photo' ? `${it.monitor}\u0000${it.cardId ?? ''}\u0000${it.camera ?? ''}` : null;

export function stackBursts(items: Item[], expanded: ReadonlySet<string>, on: boolean): Stacked {
  const bursts = new Map<string, string[]>();
  if (!on) return { shown: items, bursts };
  const groups = groupBursts(
    items.map((it) => ({
      id: it.id,
      camera: cameraOf(it),
      captureMs: it.capturedAt ? Date.parse(it.capturedAt) : null,
      isPhoto: it.type === 'photo',
    })),
  );
  const shown: Item[] = [];
  let i = 0;
  for (const g of groups) {
    if (g.ids.length > 1) bursts.set(g.ids[0]!, g.ids);
    const all = g.ids.length > 1 && expanded.has(g.ids[0]!);
    for (let k = 0; k < g.ids.length; k++, i++) if (k === 0 || all) shown.push(items[i]!);
  }
  return { shown, bursts };
}

/** The ids an action on these shown items means: a folded stack stands for all its frames. */
export function withBursts(
  ids: string[],
  bursts: Map<string, string[]>,
  expanded: ReadonlySet<string>,
): string[] {
  return ids.flatMap((id) => (expanded.has(id) ? [id] : (bursts.get(id) ?? [id])));
}
