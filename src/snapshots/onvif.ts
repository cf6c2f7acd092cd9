/**
 * Finding a camera's snapshot URL over ONVIF: GetSystemDateAndTime (the camera's clock, so the
 * WS-Security timestamp is one it accepts even when it is far off ours), GetCapabilities (the media
 * service's address), GetProfiles, GetSnapshotUri. SOAP 1.2 with a WS-Security UsernameToken
 * (PasswordDigest = Base64(SHA-1(nonce + created + password)), ONVIF Core §5.9.4 / OASIS UsernameToken
 * Profile 1.0). The transport is passed in; parsing with fast-xml-parser, namespace prefixes dropped.
 */
import { createHash, randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { PullFailure } from './camera-http.js';

const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  digest: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest',
  base64: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary',
  device: 'http://www.onvif.org/ver10/device/wsdl',
  media: 'http://www.onvif.org/ver10/media/wsdl',
};

/** `action` is the SOAP action URI (it goes in the Content-Type); resolves with the reply's XML. */
export type SoapTransport = (url: URL, action: string, envelope: string) => Promise<string>;

export interface OnvifResolveOptions {
  /** The device service, e.g. http://cam/onvif/device_service. */
  deviceUrl: string;
  /** Media profile token; the first profile when absent. */
  profile?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  now: () => Date;
  /** 16 random bytes per request; passed in by tests. */
  nonce?: () => Buffer;
}

/** Base64(SHA-1(nonce + created + password)). */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

export function usernameToken(user: string, password: string, created: Date, nonce: Buffer): string {
  const createdText = created.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}">` +
    `<wsse:UsernameToken><wsse:Username>${xmlText(user)}</wsse:Username>` +
    `<wsse:Password Type="${NS.digest}">${passwordDigest(nonce, createdText, password)}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${NS.base64}">${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${createdText}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}

export function envelope(body: string, security?: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="${NS.soap}"><s:Header>${security ?? ''}</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
});

type Node = Record<string, unknown>;

/** The SOAP Body of a reply; a Fault becomes a PullFailure (`auth` for NotAuthorized). */
export function soapBody(xml: string): Node {
  // SOAP forbids a DTD; refusing one keeps a camera's entities (billion laughs) out of the parser.
  if (/<!DOCTYPE/i.test(xml)) throw new PullFailure('garbage', 'the ONVIF reply carries a DTD');
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (e) {
    throw new PullFailure('garbage', 'the ONVIF reply is not XML', { cause: e });
  }
  const body = child(child(doc, 'Envelope'), 'Body');
  if (!body) throw new PullFailure('garbage', 'the ONVIF reply has no SOAP body');
  const fault = child(body, 'Fault');
  if (fault) {
    const text = JSON.stringify(fault);
    const reason =
      textOf(child(child(fault, 'Reason'), 'Text')) ?? textOf(child(fault, 'faultstring')) ?? 'fault';
    if (/NotAuthorized|not authori[sz]ed|Sender not Authorized|FailedAuthentication/i.test(text))
      throw new PullFailure('auth', `ONVIF refuses the user: ${reason}`);
    throw new PullFailure('http-error', `ONVIF fault: ${reason}`);
  }
  return body;
}

function child(n: unknown, name: string): Node | undefined {
  if (typeof n !== 'object' || n === null) return undefined;
  const v = (n as Node)[name];
  const first = Array.isArray(v) ? (v[0] as unknown) : v;
  return typeof first === 'object' && first !== null
    ? (first as Node)
    : first === undefined
      ? undefined
      : { '#text': first };
}

function textOf(n: Node | undefined): string | undefined {
  if (!n) return undefined;
  const t = n['#text'];
  return typeof t === 'string' || typeof t === 'number' ? String(t) : undefined;
}

function list(n: Node | undefined, name: string): Node[] {
  const v = n?.[name];
  const arr = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return arr.filter((x): x is Node => typeof x === 'object' && x !== null);
}

/** The camera's UTC clock from a GetSystemDateAndTime reply, or undefined. */
export function cameraUtc(body: Node): Date | undefined {
  const utc = child(child(child(body, 'GetSystemDateAndTimeResponse'), 'SystemDateAndTime'), 'UTCDateTime');
  const d = child(utc, 'Date');
  const t = child(utc, 'Time');
  const n = (p: Node | undefined, k: string): number => Number(textOf(child(p, k)));
  const ms = Date.UTC(
    n(d, 'Year'),
    n(d, 'Month') - 1,
    n(d, 'Day'),
    n(t, 'Hour'),
    n(t, 'Minute'),
    n(t, 'Second'),
  );
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/**
 * The snapshot URI of the chosen profile. Throws PullFailure: `auth` when the camera refuses the
 * user, `garbage` for replies without what we asked, `http-error` for faults (e.g. no snapshot
 * support on this profile).
 */
export async function resolveSnapshotUri(call: SoapTransport, o: OnvifResolveOptions): Promise<string> {
  const device = new URL(o.deviceUrl);
  const nonce = o.nonce ?? ((): Buffer => randomBytes(16));

  // The camera's clock: an unauthenticated call every ONVIF device must answer. Not fatal.
  let offsetMs = 0;
  try {
    const utc = cameraUtc(
      soapBody(
        await call(
          device,
          `${NS.device}/GetSystemDateAndTime`,
          envelope(`<tds:GetSystemDateAndTime xmlns:tds="${NS.device}"/>`),
        ),
      ),
    );
    if (utc) offsetMs = utc.getTime() - o.now().getTime();
  } catch (e) {
    if (e instanceof PullFailure && e.kind === 'timeout') throw e;
  }
  const security = (): string | undefined =>
    o.user
      ? usernameToken(o.user, o.password ?? '', new Date(o.now().getTime() + offsetMs), nonce())
      : undefined;

  // The media service's address; the device service itself when the camera does not say.
  let media = device;
  const caps = soapBody(
    await call(
      device,
      `${NS.device}/GetCapabilities`,
      envelope(
        `<tds:GetCapabilities xmlns:tds="${NS.device}"><tds:Category>Media</tds:Category></tds:GetCapabilities>`,
        security(),
      ),
    ),
  );
  const xaddr = textOf(
    child(child(child(child(caps, 'GetCapabilitiesResponse'), 'Capabilities'), 'Media'), 'XAddr'),
  );
  if (xaddr) media = absolute(xaddr, device);

  const profiles = list(
    child(
      soapBody(
        await call(
          media,
          `${NS.media}/GetProfiles`,
          envelope(`<trt:GetProfiles xmlns:trt="${NS.media}"/>`, security()),
        ),
      ),
      'GetProfilesResponse',
    ),
    'Profiles',
  );
  const tokens = profiles
    .map((p) => p['@_token'])
    .filter((t): t is string => typeof t === 'string' && t !== '');
  if (tokens.length === 0) throw new PullFailure('garbage', 'ONVIF GetProfiles lists no profile');
  const token = o.profile ?? tokens[0]!;
  if (!tokens.includes(token))
    throw new PullFailure(
      'http-error',
      `ONVIF profile ${token} not found (the camera has ${tokens.join(', ')})`,
    );

  const snap = soapBody(
    await call(
      media,
      `${NS.media}/GetSnapshotUri`,
      envelope(
        `<trt:GetSnapshotUri xmlns:trt="${NS.media}"><trt:ProfileToken>${xmlText(token)}</trt:ProfileToken></trt:GetSnapshotUri>`,
        security(),
      ),
    ),
  );
  const uri = textOf(child(child(child(snap, 'GetSnapshotUriResponse'), 'MediaUri'), 'Uri'));
  if (!uri) throw new PullFailure('garbage', 'ONVIF GetSnapshotUri returned no URI');
  return absolute(uri, device).toString();
}

function absolute(uri: string, base: URL): URL {
  try {
    const u = new URL(uri, base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(u.protocol);
    return u;
  } catch (e) {
    throw new PullFailure('garbage', `ONVIF gave an unusable address: ${uri}`, { cause: e });
  }
}
