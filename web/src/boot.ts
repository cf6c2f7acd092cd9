import type { ItemPage } from './types';

/** What the station put into the page (src/server/routes/webapp.ts bootBlock): read once. */
interface Boot {
  me?: unknown;
  items?: { query: string; page: ItemPage };
}

let boot: Boot | undefined;
try {
  const el = document.getElementById('outpost-boot');
  boot = el?.textContent ? (JSON.parse(el.textContent) as Boot) : undefined;
  el?.remove();
} catch {
  boot = undefined;
}

/** The `/api/auth/me` answer the page came with, once (later checks ask the station). */
export function takeBootMe(): unknown {
  const me = boot?.me;
  if (boot) delete boot.me;
  return me;
}

/** The same parameters, whatever their order. */
function sameQuery(a: URLSearchParams, b: URLSearchParams): boolean {
  const norm = (q: URLSearchParams): string =>
    [...q]
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join('&');
  return norm(a) === norm(b);
}

/** The first page of items the page came with, if it is the page of `query`; once. */
export function takeBootItems(query: URLSearchParams): ItemPage | undefined {
  const items = boot?.items;
  if (!items) return undefined;
  delete boot!.items;
  return sameQuery(new URLSearchParams(items.query), query) ? items.page : undefined;
}

/** Whether the page came with a first page of items (then nothing needs to be fetched early). */
export function hasBootItems(): boolean {
  return boot?.items !== undefined;
}
