/**
 * The addresses a person types on a tablet to reach a server bound to `host`: for every-interface
 * binds (0.0.0.0, ::) each LAN address of this machine (IPv4 first; link-local and loopback
 * addresses last or left out) and its mDNS name, never the unusable `0.0.0.0`. Pure: the
 * interface list (os.networkInterfaces()) and host name are passed in.
 */
export interface NetAddress {
  address: string;
  family: 'IPv4' | 'IPv6' | string | number;
  internal: boolean;
}

const ANY = new Set(['0.0.0.0', '::', '']);

const bracket = (h: string): string => (h.includes(':') ? `[${h}]` : h);

export function lanUrls(
  host: string,
  port: number,
  interfaces: Record<string, NetAddress[] | undefined>,
  hostname?: string,
  scheme = 'http',
): string[] {
  const url = (h: string): string => `${scheme}://${bracket(h)}:${port}`;
  if (!ANY.has(host)) return [url(host)];
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(interfaces))
    for (const a of list ?? []) {
      if (a.internal) continue;
      const family = String(a.family);
      if (family === 'IPv4' || family === '4') {
        if (!a.address.startsWith('169.254.')) v4.push(a.address);
      } else if (!a.address.toLowerCase().startsWith('fe80:') && host === '::') v6.push(a.address);
    }
  const urls = [...new Set([...v4, ...v6])].map(url);
  // The mDNS name (avahi on the station) is what stays the same when DHCP hands out a new address.
  if (hostname && urls.length) urls.push(url(`${hostname.split('.')[0]}.local`));
  return urls.length ? urls : [url('127.0.0.1')];
}
