import { DOCS_PREFIX } from './openapi.js';

/**
 * Content-Security-Policy of the web app (web/, built by Vite): its scripts, styles and images
 * come from this server only, and no other site may frame it (clickjacking) or be sent the
 * page's address. The Vite build has no inline script or style element; element styles set by
 * Preact go through the CSSOM, which `style-src` does not restrict. `data:` images: the blank
 * GIF that ends a live view; `blob:`: images and media a page makes itself.
 */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Swagger UI (/api/docs) sets style attributes in its markup and shows data: icons; it is still
 * held to this server's scripts and may not be framed.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Headers every response of the station and HQ carries (a route may have set a stricter
 * Content-Security-Policy, e.g. the snapshot's sandbox: it is kept). Pure.
 */
export function securityHeaders(url: string, hasCsp: boolean): Record<string, string> {
  const path = url.split('?')[0] ?? url;
  const docs = path === DOCS_PREFIX || path.startsWith(`${DOCS_PREFIX}/`);
  return {
    ...(hasCsp ? {} : { 'content-security-policy': docs ? DOCS_CSP : APP_CSP }),
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
  };
}
