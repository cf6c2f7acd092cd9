/**
 * HTTP authentication towards cameras: parsing `WWW-Authenticate`, Basic, and the client side of
 * Digest (RFC 7616: MD5, SHA-256 and SHA-512-256, their -sess forms, qop auth and auth-int, nc
 * counting, userhash). Hand-written on node:crypto: of the npm packages, digest-header does MD5
 * only, and digest-fetch is bound to fetch and brings four pure-JS hash packages; neither lets the
 * caller see a stale nonce. Pure but for the random cnonce, which is passed in for tests.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface AuthChallenge {
  /** Lower case: `basic`, `digest`, … */
  scheme: string;
  /** Parameter names in lower case, values unquoted. */
  params: Record<string, string>;
}

/**
 * Every challenge of one or more `WWW-Authenticate` values, in order. Tolerates what cameras send:
 * several challenges in one header, unquoted values, odd spacing; never throws.
 */
export function parseWwwAuthenticate(values: string | string[] | undefined): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  for (const value of Array.isArray(values) ? values : values === undefined ? [] : [values]) {
    let current: AuthChallenge | undefined;
    for (const item of splitOutsideQuotes(value)) {
      const text = item.trim();
      if (!text) continue;
      // "Scheme rest": a new challenge, unless the first word is itself a name=value.
      const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s+(.*))?$/s.exec(text);
      const startsChallenge = m && !/^[^\s=]+\s*=/.test(text);
      if (startsChallenge) {
        current = { scheme: m[1]!.toLowerCase(), params: {} };
        out.push(current);
        if (m[2]) addParam(current, m[2]);
      } else if (current) {
        addParam(current, text);
      }
    }
  }
  return out;
}

function addParam(c: AuthChallenge, text: string): void {
  const eq = text.indexOf('=');
  if (eq <= 0) return; // a token68 (Basic's would be here), unused by cameras' challenges
  const name = text.slice(0, eq).trim().toLowerCase();
  let value = text.slice(eq + 1).trim();
  if (value.startsWith('"'))
    value = value.slice(1, value.endsWith('"') ? -1 : undefined).replace(/\\(.)/g, '$1');
  c.params[name] = value;
}

function splitOutsideQuotes(s: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\' && quoted) i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** Digest algorithms we answer, strongest first (RFC 7616 §3.7: the client picks the one it prefers). */
const ALGORITHMS: Record<string, string> = {
  'SHA-512-256': 'sha512-256',
  'SHA-256': 'sha256',
  MD5: 'md5',
};

function algorithmOf(c: AuthChallenge): { name: string; hash: string; sess: boolean } | undefined {
  const raw = (c.params.algorithm ?? 'MD5').toUpperCase();
  const sess = raw.endsWith('-SESS');
  const base = sess ? raw.slice(0, -5) : raw;
  const hash = ALGORITHMS[base];
  return hash ? { name: raw === base ? base : `${base}-sess`, hash, sess } : undefined;
}

/** The Digest challenge to answer among several: the strongest algorithm we know, or undefined. */
export function pickDigestChallenge(challenges: AuthChallenge[]): AuthChallenge | undefined {
  const rank = Object.keys(ALGORITHMS);
  let best: AuthChallenge | undefined;
  let bestRank = Infinity;
  for (const c of challenges) {
    if (c.scheme !== 'digest' || !c.params.nonce) continue;
    const a = algorithmOf(c);
    if (!a) continue;
    const base = a.name.replace(/-sess$/, '');
    const r = rank.indexOf(base);
    if (r < bestRank) {
      best = c;
      bestRank = r;
    }
  }
  return best;
}

/**
 * One server nonce's worth of Digest answers: each call to {@link authorization} counts nc up, so
 * the same nonce can be reused for the next polls until the camera says it is stale.
 */
export class DigestSession {
  private nc = 0;
  private readonly algorithm: { name: string; hash: string; sess: boolean };

  constructor(
    readonly challenge: AuthChallenge,
    private readonly user: string,
    private readonly password: string,
    private readonly cnonce: () => string = () => randomBytes(12).toString('hex'),
  ) {
    const a = algorithmOf(challenge);
    if (!a) throw new RangeError(`unsupported digest algorithm ${challenge.params.algorithm ?? ''}`);
    this.algorithm = a;
  }

  /** The camera asked for a new nonce because the old one expired (not because the password is wrong). */
  get stale(): boolean {
    return (this.challenge.params.stale ?? '').toLowerCase() === 'true';
  }

  /** Requests answered with this nonce so far. */
  get count(): number {
    return this.nc;
  }

  /** The `Authorization` value for a request (`uri` is the request target: path and query). */
  authorization(method: string, uri: string, body?: Buffer): string {
    const p = this.challenge.params;
    const h = (s: string | Buffer): string => createHash(this.algorithm.hash).update(s).digest('hex');
    const realm = p.realm ?? '';
    const nonce = p.nonce ?? '';
    const qops = (p.qop ?? '').split(',').map((q) => q.trim().toLowerCase());
    const qop = qops.includes('auth') ? 'auth' : qops.includes('auth-int') ? 'auth-int' : undefined;
    this.nc++;
    const nc = this.nc.toString(16).padStart(8, '0');
    const cnonce = this.cnonce();
    let ha1 = h(`${this.user}:${realm}:${this.password}`);
    // -sess: HA1 also covers this request's nonce and cnonce (RFC 7616 §3.4.2).
    if (this.algorithm.sess) ha1 = h(`${ha1}:${nonce}:${cnonce}`);
    const ha2 =
      qop === 'auth-int' ? h(`${method}:${uri}:${h(body ?? Buffer.alloc(0))}`) : h(`${method}:${uri}`);
    const response = qop ? h(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : h(`${ha1}:${nonce}:${ha2}`);
    const userhash = (p.userhash ?? '').toLowerCase() === 'true';
    const username = userhash ? h(`${this.user}:${realm}`) : this.user;
    const fields = [
      `username=${quote(username)}`,
      `realm=${quote(realm)}`,
      `nonce=${quote(nonce)}`,
      `uri=${quote(uri)}`,
      `algorithm=${this.algorithm.name}`,
      `response=${quote(response)}`,
    ];
    if (qop) fields.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
    if (p.opaque !== undefined) fields.push(`opaque=${quote(p.opaque)}`);
    if (userhash) fields.push('userhash=true');
    return `Digest ${fields.join(', ')}`;
  }
}

function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}
