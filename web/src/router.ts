import { useEffect, useState } from 'preact/hooks';

const NAV_EVENT = 'outpost:navigate';

/** Change the URL (path and/or query) without reloading; `replace` keeps history short. */
export function navigate(url: string, replace = false): void {
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  dispatchEvent(new Event(NAV_EVENT));
}

/** The current path and query, re-rendering on every navigation (links, back/forward). */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const bump = (): void => setTick((t) => t + 1);
    addEventListener('popstate', bump);
    addEventListener(NAV_EVENT, bump);
    return () => {
      removeEventListener('popstate', bump);
      removeEventListener(NAV_EVENT, bump);
    };
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Set or remove one query key, keeping the path and the other keys. */
export function withQuery(changes: Record<string, string | null>, base = location.search): string {
  const q = new URLSearchParams(base);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  return location.pathname + (s ? `?${s}` : '');
}
