/**
 * Whether this tablet holds offline data (a take-away set or edits not yet synced): a flag in
 * localStorage the app reads at start without opening IndexedDB, so a tablet that never took
 * anything away loads none of the offline code.
 */
const KEY = 'outpost.offline';

export function hasOfflineData(): boolean {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    return false;
  }
}

export function markOfflineData(on: boolean): void {
  try {
    if (on) localStorage.setItem(KEY, '1');
    else localStorage.removeItem(KEY);
  } catch {
    /* storage blocked: the app asks IndexedDB when the offline page opens */
  }
}

/** The gallery's selection handed to the offline page's "new set" (survives the navigation). */
export const TAKE_IDS_KEY = 'outpost.takeIds';
