/**
 * Link hint from `/proc/net/wireless` (Linux wireless extensions), parsed from its text.
 * Reading the file is `wireless-read.ts`; this stays pure so it is tested on captured text.
 *
 * The file looks like:
 * ```
 * Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE
 *  face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22
 *  wlan0: 0000   54.  -56.  -256        0      0      0      0     12        0
 * ```
 * A trailing `.` marks a value updated since the last read. `link` is a driver-specific scale,
 * 0–70 for most drivers (iwlwifi, brcmfmac on the Pi, ath9k); `level` is dBm (older drivers
 * write it offset by 256); a noise of -256 means unknown.
 */

export interface WirelessInterface {
  iface: string;
  status: number;
  /** Link quality on the driver's scale (usually 0–70). */
  link: number;
  /** Signal level in dBm, undefined when the driver does not report it. */
  levelDbm: number | undefined;
  /** Noise in dBm, undefined when unknown. */
  noiseDbm: number | undefined;
  /** Sum of the discarded-packet counters (nwid, crypt, frag, retry, misc). */
  discarded: number;
  missedBeacons: number;
  /** Link quality 0–1 (link / `linkMax`, clamped). */
  quality: number;
}

export type LinkHint = 'good' | 'fair' | 'poor' | 'none';

export interface WirelessParseOptions {
  /** The driver's link scale maximum. Default 70. */
  linkMax?: number;
}

/** Every interface listed; an empty list when the file has no interfaces (or is not this format). */
export function parseProcNetWireless(text: string, opts: WirelessParseOptions = {}): WirelessInterface[] {
  const linkMax = opts.linkMax ?? 70;
  const out: WirelessInterface[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([^\s:|]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const [statusText = '', ...values] = (m[2] ?? '').trim().split(/\s+/);
    const status = /^[0-9a-f]+$/i.test(statusText) ? parseInt(statusText, 16) : Number.NaN;
    const fields = values.map(num);
    if (Number.isNaN(status) || fields.length < 3 || fields.some((f) => Number.isNaN(f))) continue;
    const [link = 0, level = 0, noise = 0, ...rest] = fields;
    const discarded = rest.slice(0, 5).reduce((a, b) => a + b, 0);
    out.push({
      iface: m[1] as string,
      status,
      link,
      levelDbm: dbm(level),
      noiseDbm: noise === -256 ? undefined : dbm(noise),
      discarded,
      missedBeacons: rest[5] ?? 0,
      quality: Math.max(0, Math.min(1, link / linkMax)),
    });
  }
  return out;
}

/**
 * A coarse hint for the uplink: `good` (quality ≥ 0.6), `fair` (≥ 0.3), `poor` (> 0), `none`
 * (no interface, or no link). With several interfaces, the best one counts.
 */
export function linkHint(ifaces: readonly WirelessInterface[]): {
  hint: LinkHint;
  iface?: WirelessInterface;
} {
  let best: WirelessInterface | undefined;
  for (const i of ifaces) if (!best || i.quality > best.quality) best = i;
  if (!best || best.quality <= 0) return best ? { hint: 'none', iface: best } : { hint: 'none' };
  const hint: LinkHint = best.quality >= 0.6 ? 'good' : best.quality >= 0.3 ? 'fair' : 'poor';
  return { hint, iface: best };
}

function num(s: string): number {
  // Decimal, maybe with the "updated" dot.
  const t = s.endsWith('.') ? s.slice(0, -1) : s;
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : Number.NaN;
}

function dbm(v: number): number | undefined {
  if (v === 0) return undefined;
  // Old drivers report dBm as an unsigned byte (e.g. 200 = -56 dBm).
  return v > 0 ? v - 256 : v;
}
