/**
 * Installing the app: the service worker (it keeps the app and take-away media offline) needs a
 * secure context — the station's HTTPS with its certificate trusted, never plain HTTP on the LAN.
 * On an iPad or iPhone, Safari wipes a tab's storage after 7 days without a visit; the app added
 * to the home screen keeps it: the app says so when it runs in a tab there.
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

export function thisPlatform(): Platform {
  const nav = navigator as Navigator & { standalone?: boolean };
  return {
    userAgent: nav.userAgent,
    platform: nav.platform,
    maxTouchPoints: nav.maxTouchPoints,
    ...(nav.standalone !== undefined ? { standalone: nav.standalone } : {}),
    displayStandalone: window.matchMedia?.('(display-mode: standalone)').matches ?? false,
  };
}

/** Register the service worker where it can be (a secure context); quietly nothing elsewhere. */
export async function registerServiceWorker(): Promise<boolean> {
  if (!window.isSecureContext || !('serviceWorker' in navigator)) return false;
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    return true;
  } catch {
    return false;
  }
}
