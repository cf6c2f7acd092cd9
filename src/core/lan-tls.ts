/**
 * HTTPS on the office LAN (pure): which names and addresses the station's certificate must
 * carry, and when it must be made again. A browser gives service workers, the Cache API and
 * storage only to a secure context, which `http://192.168.1.20` and `http://outpost.local` are
 * not; the station's own certificate authority, installed once on each tablet, makes them one.
 */
import type { NetworkInterfaceInfo } from 'node:os';

/** A server certificate's life (Apple refuses TLS certificates valid for more than 825 days). */
export const SERVER_CERT_DAYS = 397;
/** Made again this long before it expires. */
export const RENEW_BEFORE_DAYS = 30;
/** The station's certificate authority lives ten years: tablets trust it once. */
export const CA_DAYS = 3650;

/** The names people reach the station by: its mDNS name, its host name, `localhost`. */
export function lanCertNames(host: string): string[] {
  const h = host.toLowerCase().replace(/\.local$/, '');
  return [...new Set(['outpost.local', h, `${h}.local`, 'localhost'].filter((n) => /^[a-z0-9.-]+$/.test(n)))];
}

/** Its addresses: every interface's, IPv6 link-local ones left out (they need a zone). */
export function lanCertAddresses(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string[] {
  const out = new Set<string>(['127.0.0.1']);
  for (const list of Object.values(ifaces))
    for (const i of list ?? []) {
      if (i.family === 'IPv6' && (i.internal || /^fe80:/i.test(i.address))) continue;
      out.add(i.address);
    }
  return [...out].sort();
}

/** An address in one spelling: IPv6 expanded to eight groups without leading zeros, lower case. */
export function normalIp(a: string): string {
  if (!a.includes(':')) return a;
  const [head, tail] = a.toLowerCase().split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g || '0', 16).toString(16)).join(':');
}

export interface CertFacts {
  notAfterMs: number;
  dns: string[];
  ips: string[];
}

/** Node's `X509Certificate.subjectAltName` ("DNS:a, IP Address:1.2.3.4") as names and addresses. */
export function parseSubjectAltName(s: string | undefined): { dns: string[]; ips: string[] } {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const part of (s ?? '').split(/,\s*/)) {
    const m = /^(DNS|IP Address):(.+)$/.exec(part.trim());
    if (m?.[1] === 'DNS') dns.push(m[2]!.toLowerCase());
    else if (m) ips.push(normalIp(m[2]!));
  }
  return { dns, ips };
}

/** Why the server certificate must be made again now, or undefined while it still serves. */
export function renewalReason(
  cur: CertFacts | undefined,
  want: { names: string[]; ips: string[] },
  nowMs: number,
): string | undefined {
  if (!cur) return 'no certificate yet';
  if (cur.notAfterMs <= nowMs) return `it expired on ${new Date(cur.notAfterMs).toISOString().slice(0, 10)}`;
  if (cur.notAfterMs - nowMs < RENEW_BEFORE_DAYS * 86_400_000)
    return `it expires on ${new Date(cur.notAfterMs).toISOString().slice(0, 10)}`;
  const missing = [
    ...want.names.filter((n) => !cur.dns.includes(n.toLowerCase())),
    ...want.ips.filter((a) => !cur.ips.map(normalIp).includes(normalIp(a))),
  ];
  return missing.length ? `it does not name ${missing.join(', ')}` : undefined;
}
