/**
 * rclone's bandwidth values (`--bwlimit`), in bytes per second.
 *
 * `512` = 512 KiB/s (no suffix means KiB/s, as in rclone); suffixes `B` (bytes), `K`/`k`, `M`,
 * `G`, `T`, `P`, `E`, each also as `Ki`/`KiB` etc. — all binary (1 K = 1024), all bytes, not
 * bits: `256k` is 256 KiB/s ≈ 2.1 Mbit/s. Decimals are allowed (`1.5M`). `upload:download`
 * pairs (`10M:100k`) give the upload side, the one the uplink uses. `off` is no limit, as in
 * rclone. `0` pauses (rclone would read it as no limit; Outpost needs a way to say "not now").
 */

export interface BandwidthParseOptions {
  /** What `off` means. Default `'unlimited'`, as in rclone's docs ("completely disabled (full speed)"). */
  off?: 'unlimited' | 'paused';
}

export type BandwidthResult = { ok: true; bps: number } | { ok: false; message: string };

const MULT: Record<string, number> = {
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
  p: 2 ** 50,
  e: 2 ** 60,
};

const VALUE = /^(\d+(?:\.\d*)?|\.\d+)(?:([kmgtpe])(ib|i)?|(b))?$/i;

/** One side of a bandwidth value (`256k`, `off`, `1.5MiB`). */
export function parseSize(text: string, opts: BandwidthParseOptions = {}): BandwidthResult {
  if (text === '') return { ok: false, message: 'empty bandwidth' };
  if (text.toLowerCase() === 'off') return { ok: true, bps: opts.off === 'paused' ? 0 : Infinity };
  const m = VALUE.exec(text);
  if (!m) {
    if (/^-/.test(text)) return { ok: false, message: `bandwidth can't be negative: "${text}"` };
    if (/^[\d.]+[kmgtpe]b$/i.test(text))
      return {
        ok: false,
        message: `"${text}": decimal units are not used; write ${text.slice(0, -1)} or ${text.slice(0, -1)}iB (both mean 1024-based bytes)`,
      };
    return {
      ok: false,
      message: `bad bandwidth "${text}": expected a number with an optional suffix B, K, M, G, T (e.g. 512k, 10M) or "off"`,
    };
  }
  const num = Number(m[1]);
  const prefix = m[2]?.toLowerCase();
  const iSuffix = m[3];
  // rclone spells the binary forms "Ki"/"KiB" with a lower-case i; "KIB" is not a unit there.
  if (iSuffix !== undefined && iSuffix.length === 2 && iSuffix[0] === 'I')
    return { ok: false, message: `bad suffix in "${text}": write KiB, MiB, ... with a lower-case i` };
  let mult = 1024; // no suffix: KiB/s, as in rclone
  if (prefix) mult = MULT[prefix] ?? 1024;
  else if (m[4]) mult = 1;
  const bps = num * mult;
  if (!Number.isFinite(bps)) return { ok: false, message: `bandwidth "${text}" is too large` };
  return { ok: true, bps: Math.floor(bps) };
}

/** A bandwidth value as rclone takes it: `SIZE` or `UPLOAD:DOWNLOAD`; answers the upload side. */
export function parseBandwidth(text: string, opts: BandwidthParseOptions = {}): BandwidthResult {
  const colon = text.indexOf(':');
  if (colon < 0) return parseSize(text, opts);
  const up = parseSize(text.slice(0, colon), opts);
  if (!up.ok) return { ok: false, message: `upload side: ${up.message}` };
  const down = parseSize(text.slice(colon + 1), opts);
  if (!down.ok) return { ok: false, message: `download side: ${down.message}` };
  return up;
}
