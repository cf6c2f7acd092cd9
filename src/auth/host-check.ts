import { isIP } from 'node:net';

/**
 * DNS-rebinding defence. A page on attacker.example can make its own name resolve to the station's
 * LAN address; the browser then sends that page's requests to the station as same-origin, with
 * `Host: attacker.example`. Requests whose Host is not one of the machine's own names are refused,
 * so such a page can never log in or claim the first editor account (and, with no session cookie
 * for its name, reads nothing else).
 */

/** The names of this machine that pass: `localhost`, its host name and `<host name>.local` (mDNS), plus `extra`. */
export function allowedHostNames(hostname: string, extra: readonly string[] = []): Set<string> {
  const names = new Set<string>(['localhost']);
  const h = canonicalName(hostname);
  if (h) {
    names.add(h);
    // `pi.example.org` is also reached as `pi` and `pi.local` on its LAN.
    const first = h.split('.')[0]!;
    names.add(first);
    names.add(`${first}.local`);
  }
  for (const e of extra) {
    const n = canonicalName(e);
    if (n) names.add(n);
  }
  return names;
}

/**
 * The host name of a Host header value (`name:port`, `[v6]:port`), lower-case, without a
 * trailing dot; undefined when it is not a well-formed Host.
 */
export function hostOfHeader(host: string): string | undefined {
  const h = host.trim();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0 || !/^(:\d{1,5})?$/.test(h.slice(end + 1))) return undefined;
    return h.slice(1, end).toLowerCase();
  }
  const m = /^([^:]+)(:\d{1,5})?$/.exec(h);
  return m ? canonicalName(m[1]!) : undefined;
}

/** Whether a request's Host header names this machine: an IP literal or one of `names`. */
export function hostAllowed(host: string | undefined, names: ReadonlySet<string>): boolean {
  if (!host) return false;
  const name = hostOfHeader(host);
  if (!name) return false;
  // An IP literal cannot be rebound: the page's origin then is the station's own address.
  if (isIP(name) !== 0) return true;
  return names.has(name);
}

function canonicalName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}
