/** Gallery filters, kept in the URL query string (same names as GET /api/items). */
export const FILTER_KEYS = [
  'monitor',
  'type',
  'from',
  'to',
  'event',
  'minRating',
  'tag',
  'q',
  'priority',
  'unrated',
  'noEvent',
  'noLocation',
  'undated',
  'bbox',
  'sort',
  'recordings',
  'rejected',
  'camera',
  'folder',
  'eventIs',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Partial<Record<FilterKey, string>>;

export function filtersFrom(query: URLSearchParams): Filters {
  const f: Filters = {};
  for (const k of FILTER_KEYS) {
    const v = query.get(k);
    if (v) f[k] = v;
  }
  return f;
}

/** Query of GET /api/items for these filters (stable order: the key of the loaded list). */
export function apiQuery(f: Filters, extra: Record<string, string> = {}): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of FILTER_KEYS) if (f[k]) q.set(k, f[k]!);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}
