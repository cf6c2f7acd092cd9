/**
 * The RTSP `Transport` header (RFC 2326 §12.39) and request URLs, as far as this relay needs
 * them: which transports a client offers, the interleaved channels it asks for, and which path
 * and track a URL names. Pure.
 */

/** One transport spec of a Transport header (a client may offer several, comma-separated). */
export interface TransportSpec {
  /** `RTP/AVP` (UDP), `RTP/AVP/UDP`, `RTP/AVP/TCP`… upper-cased. */
  protocol: string;
  tcp: boolean;
  multicast: boolean;
  /** `interleaved=a-b` (or `=a`): the RTP and RTCP channels. */
  interleaved?: [number, number];
  /** `mode=record` (a publisher) or `play` (default). */
  mode: 'play' | 'record';
}

/**
 * Every spec of a Transport header value, in the client's order of preference. Specs that are
 * not RTP (or are malformed) are kept with their protocol so the caller can say why it refuses.
 */
export function parseTransport(value: string): TransportSpec[] {
  const out: TransportSpec[] = [];
  for (const raw of value.split(',')) {
    const params = raw.split(';').map((p) => p.trim());
    const protocol = (params[0] ?? '').toUpperCase();
    if (!protocol) continue;
    const spec: TransportSpec = {
      protocol,
      tcp: /^RTP\/AVP\/TCP$/.test(protocol),
      multicast: false,
      mode: 'play',
    };
    for (const p of params.slice(1)) {
      const eq = p.indexOf('=');
      const key = (eq < 0 ? p : p.slice(0, eq)).toLowerCase();
      const val = eq < 0 ? '' : p.slice(eq + 1).replace(/^"|"$/g, '');
      if (key === 'multicast') spec.multicast = true;
      else if (key === 'interleaved') {
        const m = /^(\d{1,3})(?:-(\d{1,3}))?$/.exec(val);
        if (m) {
          const a = Number(m[1]);
          const b = m[2] === undefined ? a + 1 : Number(m[2]);
          if (a <= 255 && b <= 255) spec.interleaved = [a, b];
        }
      } else if (key === 'mode') spec.mode = val.toLowerCase() === 'record' ? 'record' : 'play';
    }
    out.push(spec);
  }
  return out;
}

/** The Transport value of a SETUP reply for TCP-interleaved channels. */
export function formatTcpTransport(channels: [number, number], mode: 'play' | 'record'): string {
  const base = `RTP/AVP/TCP;unicast;interleaved=${channels[0]}-${channels[1]}`;
  return mode === 'record' ? `${base};mode=record` : base;
}

/** What a request URL names: the stream path, its query, and a track (SETUP). */
export interface RtspTarget {
  /** The stream path without slashes at either end (`cam1`, `site/cam1`); '' for `*` or `/`. */
  path: string;
  /** The query string's parameters (the publisher's token). */
  query: URLSearchParams;
  /** `streamid=N` (ffmpeg's publisher) or `trackID=N` (our DESCRIBE) at the end of the URL. */
  track?: number;
}

const TRACK_SUFFIX = /\/(?:streamid|trackID)=(\d{1,3})\/?$/i;

/**
 * Parse a request URL (`rtsp://host:port/path?query[/streamid=0]`, or an absolute path). ffmpeg's
 * publisher appends `/streamid=N` after the whole URL, query included, so the track suffix is cut
 * off first. Returns undefined for a URL that is not rtsp or holds `..` or odd characters.
 */
export function parseTarget(url: string): RtspTarget | undefined {
  if (url === '*') return { path: '', query: new URLSearchParams() };
  let rest = url;
  let track: number | undefined;
  const m = TRACK_SUFFIX.exec(rest);
  if (m) {
    track = Number(m[1]);
    rest = rest.slice(0, m.index);
  }
  // URL parsing would fold `..` away; a client that sends one is refused, not second-guessed.
  if (/\/(?:\.|%2e){1,2}(?:[/?#]|$)/i.test(rest)) return undefined;
  let u: URL;
  try {
    u = new URL(rest.startsWith('/') ? `rtsp://localhost${rest}` : rest);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'rtsp:' && u.protocol !== 'rtsps:') return undefined;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
  } catch {
    return undefined;
  }
  if (path.split('/').some((s) => s === '..' || s === '.') || !/^[A-Za-z0-9._~/-]*$/.test(path))
    return undefined;
  return { path, query: u.searchParams, ...(track === undefined ? {} : { track }) };
}
