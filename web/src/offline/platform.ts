/**
 * Where the app runs (pure, for install.ts): on an iPad or iPhone, Safari wipes a tab's storage
 * after 7 days without a visit; the app added to the home screen keeps it.
 */

export interface Platform {
  userAgent: string;
  platform?: string;
  maxTouchPoints?: number;
  /** Safari's own flag: true when started from the home screen. */
  standalone?: boolean;
  /** `matchMedia('(display-mode: standalone)').matches`. */
  displayStandalone: boolean;
}

/** iPadOS reports itself as a Mac; a touch screen gives it away. Pure. */
export function isAppleMobile(p: Platform): boolean {
  return /iPad|iPhone|iPod/.test(p.userAgent) || (p.platform === 'MacIntel' && (p.maxTouchPoints ?? 0) > 1);
}

/** An iPad or iPhone tab, not the home-screen app: its offline data can be wiped. Pure. */
export function storageAtRisk(p: Platform): boolean {
  return isAppleMobile(p) && p.standalone !== true && !p.displayStandalone;
}
