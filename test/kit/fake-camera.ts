/**
 * A camera on loopback for the snapshot puller's tests: a snapshot URL with Basic or Digest
 * (RFC 7616, MD5 or SHA-256, checked here from first principles, not with the code under test),
 * faults on demand (status codes, stalls, HTML, truncated or oversized pictures) and an ONVIF device
 * and media service that checks the WS-Security UsernameToken digest.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import sharp from 'sharp';

export type Fault =
  | 'ok'
  | '500'
  | '404'
  | 'stall-headers'
  | 'stall-body'
  | 'html'
  | 'truncated'
  | 'cut-off'
  | 'big'
  | 'big-chunked';

export interface DigestConfig {
  algorithm: 'MD5' | 'SHA-256';
  /** Also offer Basic in a second challenge (for `auto`, which must still pick Digest). */
  offerBasic?: boolean;
}

export interface FakeCameraOptions {
  user?: string;
  password?: string;
  /** How /snap.jpg is protected: none, basic or digest. */
  auth?: 'none' | 'basic' | DigestConfig;
  /** ONVIF: the camera clock's offset from ours, ms (the UsernameToken must match its clock). */
  onvifClockOffsetMs?: number;
}

export interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
  at: number;
}

export interface FakeCamera {
  url: string;
  jpeg: Buffer;
  /** What /snap.jpg does next; a list is consumed one entry per request, the last one stays. */
  faults: Fault[];
  requests: SeenRequest[];
  /** Forget every nonce issued: the next Digest answer is refused with stale=true. */
  expireNonces(): void;
  /** Where GetSnapshotUri points (path on this server). */
  snapshotPath: string;
  onvifRequests: { action: string; authorized: boolean }[];
  /** Digest answers that passed the check, with their nc, per nonce. */
  digestOk: { nonce: string; nc: number; algorithm: string }[];
  close(): Promise<void>;
}

export async function makeJpeg(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

const xml = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, attributeNamePrefix: '@_' });

export async function startFakeCamera(opts: FakeCameraOptions = {}): Promise<FakeCamera> {
  const jpeg = await makeJpeg();
  const user = opts.user ?? 'admin';
  const password = opts.password ?? 'secret pw';
  const realm = 'IP Camera(12345)';
  const nonces = new Map<string, number>(); // nonce → highest nc seen
  const sockets = new Set<Socket>();
  const cam: FakeCamera = {
    url: '',
    jpeg,
    faults: ['ok'],
    requests: [],
    snapshotPath: '/onvif-snapshot/ch1.jpg',
    onvifRequests: [],
    digestOk: [],
    expireNonces: () => nonces.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  function nextFault(): Fault {
    return cam.faults.length > 1 ? cam.faults.shift()! : (cam.faults[0] ?? 'ok');
  }

  function challenge(res: ServerResponse, cfg: 'basic' | DigestConfig, stale = false): void {
    const values: string[] = [];
    if (cfg === 'basic') values.push(`Basic realm="${realm}"`);
    else {
      const nonce = randomBytes(16).toString('base64');
      nonces.set(nonce, 0);
      values.push(
        `Digest realm="${realm}", qop="auth", algorithm=${cfg.algorithm}, nonce="${nonce}", opaque="op4que"` +
          (stale ? ', stale=true' : ''),
      );
      if (cfg.offerBasic) values.push(`Basic realm="${realm}"`);
    }
    res.writeHead(401, { 'www-authenticate': values, 'content-type': 'text/html' });
    res.end('<html><body>401 Unauthorized</body></html>');
  }

  /** RFC 7616 §3.4.1 from scratch: true, false (wrong), or 'stale' (right answer, unknown nonce). */
  function checkDigest(req: IncomingMessage, cfg: DigestConfig): boolean | 'stale' {
    const h = req.headers.authorization ?? '';
    if (!h.startsWith('Digest ')) return false;
    const p: Record<string, string> = {};
    for (const m of h.slice(7).matchAll(/([a-z]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/gi))
      p[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
    const algo = cfg.algorithm === 'MD5' ? 'md5' : 'sha256';
    const H = (s: string): string => createHash(algo).update(s).digest('hex');
    if ((p.algorithm ?? 'MD5').toUpperCase() !== cfg.algorithm.toUpperCase()) return false;
    if (p.username !== user || p.realm !== realm || p.uri !== req.url || p.qop !== 'auth') return false;
    if (p.opaque !== 'op4que') return false;
    const ha1 = H(`${user}:${realm}:${password}`);
    const ha2 = H(`${req.method}:${p.uri}`);
    const want = H(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
    if (want !== p.response) return false;
    const nonce = p.nonce ?? '';
    const nc = parseInt(p.nc ?? '', 16);
    if (!nonces.has(nonce)) return 'stale';
    if (!(nc > nonces.get(nonce)!)) return false; // a replayed or non-increasing count
    nonces.set(nonce, nc);
    cam.digestOk.push({ nonce, nc, algorithm: cfg.algorithm });
    return true;
  }

  /** True when the request may see the picture; otherwise the 401 has been sent. */
  function authorized(req: IncomingMessage, res: ServerResponse): boolean {
    const cfg = opts.auth ?? 'none';
    if (cfg === 'none') return true;
    if (cfg === 'basic') {
      const want = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      if (req.headers.authorization === want) return true;
      challenge(res, 'basic');
      return false;
    }
    const ok = checkDigest(req, cfg);
    if (ok === true) return true;
    challenge(res, cfg, ok === 'stale');
    return false;
  }

  function snapshot(req: IncomingMessage, res: ServerResponse): void {
    if (!authorized(req, res)) return;
    const fault = nextFault();
    switch (fault) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
        res.end(jpeg);
        return;
      case '500':
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error');
        return;
      case '404':
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
        return;
      case 'stall-headers':
        return; // never answers; the client's deadline ends it
      case 'stall-body':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
        res.write(jpeg.subarray(0, 100));
        return;
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>Please log in</body></html>');
        return;
      case 'truncated':
        // Chunked and complete as HTTP, but the picture lacks its end.
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(jpeg.subarray(0, jpeg.length - 50));
        return;
      case 'cut-off':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
        res.write(jpeg.subarray(0, 200), () => res.socket?.destroy());
        return;
      case 'big':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': 5_000_000 });
        res.end(Buffer.concat([jpeg.subarray(0, 2), Buffer.alloc(5_000_000 - 4), Buffer.from([0xff, 0xd9])]));
        return;
      case 'big-chunked': {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.write(jpeg.subarray(0, 2));
        let sent = 0;
        const pump = (): void => {
          while (sent < 5_000_000) {
            sent += 65536;
            if (!res.write(Buffer.alloc(65536))) return void res.once('drain', pump);
          }
          res.end(Buffer.from([0xff, 0xd9]));
        };
        res.on('error', () => undefined);
        pump();
        return;
      }
    }
  }

  function onvif(req: IncomingMessage, res: ServerResponse, body: string): void {
    const soapFault = (status: number, subcode: string, reason: string): void => {
      res.writeHead(status, { 'content-type': 'application/soap+xml; charset=utf-8' });
      res.end(
        `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>${subcode}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">${reason}</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`,
      );
    };
    const reply = (inner: string): void => {
      res.writeHead(200, { 'content-type': 'application/soap+xml; charset=utf-8' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><SOAP-ENV:Body>${inner}</SOAP-ENV:Body></SOAP-ENV:Envelope>`,
      );
    };
    let doc: Record<string, unknown>;
    try {
      doc = xml.parse(body) as Record<string, unknown>;
    } catch {
      return soapFault(400, 'ter:WellFormed', 'not XML');
    }
    const env = doc.Envelope as Record<string, unknown> | undefined;
    const soapBody = (env?.Body ?? {}) as Record<string, unknown>;
    const action = Object.keys(soapBody).find((k) => !k.startsWith('@_')) ?? '';
    const cameraNow = Date.now() + (opts.onvifClockOffsetMs ?? 0);
    const authorizedToken = ((): boolean => {
      const token = (
        (env?.Header as Record<string, unknown> | undefined)?.Security as Record<string, unknown> | undefined
      )?.UsernameToken as Record<string, unknown> | undefined;
      if (!token) return false;
      const pw = token.Password as Record<string, unknown> | string | undefined;
      const digest = typeof pw === 'object' ? String(pw['#text']) : String(pw);
      const nonceField = token.Nonce as Record<string, unknown> | string | undefined;
      const nonce = Buffer.from(
        typeof nonceField === 'object' ? String(nonceField['#text']) : String(nonceField),
        'base64',
      );
      const created = String(token.Created);
      const want = createHash('sha1')
        .update(Buffer.concat([nonce, Buffer.from(created), Buffer.from(password)]))
        .digest('base64');
      // Cameras allow a few minutes of skew against their own clock.
      const skew = Math.abs(Date.parse(created) - cameraNow);
      return token.Username === user && digest === want && skew < 5 * 60_000;
    })();
    cam.onvifRequests.push({ action, authorized: authorizedToken });
    if (action === 'GetSystemDateAndTime') {
      const d = new Date(cameraNow);
      return reply(
        `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings><tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
      );
    }
    if (!authorizedToken) return soapFault(400, 'ter:NotAuthorized', 'Sender not Authorized');
    const here = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    switch (action) {
      case 'GetCapabilities':
        return reply(
          `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>${here}/onvif/device_service</tt:XAddr></tt:Device><tt:Media><tt:XAddr>${here}/onvif/media_service</tt:XAddr></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>`,
        );
      case 'GetProfiles':
        if (req.url !== '/onvif/media_service')
          return soapFault(400, 'ter:ActionNotSupported', 'wrong service');
        return reply(
          `<trt:GetProfilesResponse><trt:Profiles token="MainStream" fixed="true"><tt:Name>main</tt:Name></trt:Profiles><trt:Profiles token="SubStream" fixed="true"><tt:Name>sub</tt:Name></trt:Profiles></trt:GetProfilesResponse>`,
        );
      case 'GetSnapshotUri': {
        const token = String(
          (soapBody.GetSnapshotUri as Record<string, unknown> | undefined)?.ProfileToken ?? '',
        );
        if (token !== 'MainStream' && token !== 'SubStream')
          return soapFault(400, 'ter:NoProfile', 'no such profile');
        return reply(
          `<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>${here}${cam.snapshotPath}?profile=${token}&amp;x=1</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetSnapshotUriResponse>`,
        );
      }
      default:
        return soapFault(400, 'ter:ActionNotSupported', action);
    }
  }

  const server: Server = createServer((req, res) => {
    const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', at: Date.now() };
    if (req.headers.authorization) seen.authorization = req.headers.authorization;
    cam.requests.push(seen);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'POST' && path?.startsWith('/onvif/'))
        return onvif(req, res, Buffer.concat(chunks).toString('utf8'));
      if (req.method === 'GET' && (path === '/snap.jpg' || path === cam.snapshotPath))
        return snapshot(req, res);
      res.writeHead(404);
      res.end();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cam.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return cam;
}
