/**
 * Installing the app: the service worker (it keeps the app and take-away media offline) needs a
 * secure context — the station's HTTPS with its certificate trusted, never plain HTTP on the LAN.
 * On an iPad or iPhone, Safari wipes a tab's storage after 7 days without a visit; the app added
 * to the home screen keeps it: the app says so when it runs in a tab there.
 */

import { type Platform } from './platform';

export { storageAtRisk } from './platform';

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
