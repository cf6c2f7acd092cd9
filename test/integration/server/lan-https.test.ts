/**
 * The station's own certificate authority and HTTPS (adapters/lan-certificates.ts,
 * station/lan-https.ts, server/lan-https.ts) with real TLS: the CA is made once and kept, its
 * key and the server's readable by the service alone (another user cannot read them); a client
 * that trusts the CA connects by the station's names and addresses, one that does not is refused;
 * a new address gets a new certificate while serving; an expired certificate is made again at
 * start; plain HTTP redirects to HTTPS except the trust pages.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chown, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../src/adapters/logger.js';
import { ensureLanCertificates } from '../../../src/adapters/lan-certificates.js';
import { openStationHttps, type StationHttps } from '../../../src/station/lan-https.js';
import { fixedClock } from '../../../src/adapters/clock.js';

const run = promisify(execFile);
const DAY = 86_400_000;
let work: string;

/** The certificate a TLS client gets for `servername` from 127.0.0.1:port, checked against `ca`. */
function handshake(
  port: number,
  servername: string,
  ca: string | undefined,
): Promise<{ cert: X509Certificate; authorized: boolean; error?: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(
      { host: '127.0.0.1', port, servername, ...(ca ? { ca } : {}), rejectUnauthorized: false },
      () => {
        const raw = s.getPeerX509Certificate();
        s.end();
        if (!raw) return reject(new Error('no certificate'));
        resolve({
          cert: raw,
          authorized: s.authorized,
          ...(s.authorizationError ? { error: String(s.authorizationError) } : {}),
        });
      },
    );
    s.on('error', reject);
  });
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-lan-https-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the station’s certificates', () => {
  it('a CA made once and kept; keys for the service alone; renewed when expired or an address is new', async () => {
    const dir = join(work, 'tls');
    const names = ['outpost.local', 'pi-07', 'pi-07.local', 'localhost'];
    const now = new Date('2026-12-06T12:00:00Z');
    const a = await ensureLanCertificates({ dir, host: 'pi-07', names, ips: ['127.0.0.1'], now });
    assert.equal(a.renewed, 'a new certificate authority');
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    for (const f of ['ca.key', 'server.key']) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
    // Another user cannot read the keys (as root here: try as `nobody`).
    if (process.getuid?.() === 0) {
      await chown(work, 0, 0);
      await assert.rejects(run('runuser', ['-u', 'nobody', '--', 'cat', join(dir, 'ca.key')]));
    }
    const ca = new X509Certificate(a.caCert);
    assert.ok(ca.ca, 'a certificate authority');
    const leaf = new X509Certificate(a.cert);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'the server certificate is the CA’s');
    assert.match(leaf.subjectAltName ?? '', /DNS:outpost\.local.*DNS:pi-07\.local.*IP Address:127\.0\.0\.1/);
    // Again, nothing changed: the same files.
    const b = await ensureLanCertificates({ dir, host: 'pi-07', names, ips: ['127.0.0.1'], now });
    assert.equal(b.renewed, undefined);
    assert.equal(b.cert, a.cert);
    // A new address: a new certificate from the same CA.
    const c = await ensureLanCertificates({ dir, host: 'pi-07', names, ips: ['127.0.0.1', '10.9.8.7'], now });
    assert.equal(c.renewed, 'it does not name 10.9.8.7');
    assert.equal(c.caFingerprint, a.caFingerprint, 'the CA tablets trust stays');
    assert.match(new X509Certificate(c.cert).subjectAltName ?? '', /IP Address:10\.9\.8\.7/);
    // Started after it expired: made again at once.
    const later = new Date(now.getTime() + 400 * DAY);
    const d = await ensureLanCertificates({
      dir,
      host: 'pi-07',
      names,
      ips: ['127.0.0.1', '10.9.8.7'],
      now: later,
    });
    assert.match(d.renewed ?? '', /^it expired on /);
    assert.ok(Date.parse(d.notAfter) > later.getTime() + 300 * DAY);
    assert.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), a.caCert);
  });
});

describe('HTTPS on the LAN', () => {
  let https: StationHttps;
  let server: ReturnType<StationHttps['deps']['serverFactory']>;
  let port: number;
  let plainPort: number;
  let caCert: string;
  const addresses = ['127.0.0.1'];

  before(async () => {
    https = await openStationHttps({
      dir: join(work, 'tls2'),
      clock: fixedClock(new Date('2026-12-06T12:00:00Z')),
      log: silentLogger,
      host: () => 'pi-07',
      addresses: () => [...addresses],
    });
    caCert = https.deps.trust.caCert;
    server = https.deps.serverFactory((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`app ${req.url}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    plainPort = await https.listenPlain('127.0.0.1', 0, port);
  });
  after(async () => {
    await https?.close();
    server?.close();
  });

  it('a client that trusts the CA connects by every name; one that does not is refused', async () => {
    for (const name of ['outpost.local', 'pi-07.local', 'localhost']) {
      const r = await handshake(port, name, caCert);
      assert.ok(r.authorized, `${name}: ${r.error}`);
    }
    const stranger = await handshake(port, 'outpost.local', undefined);
    assert.equal(stranger.authorized, false);
    assert.match(stranger.error ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify|SELF_SIGNED/i);
  });

  it('a new address: a new certificate for new connections, without a restart', async () => {
    assert.doesNotMatch(
      (await handshake(port, 'outpost.local', caCert)).cert.subjectAltName ?? '',
      /10\.1\.2\.3/,
    );
    addresses.push('10.1.2.3');
    assert.equal(await https.check(), 'it does not name 10.1.2.3');
    const r = await handshake(port, 'outpost.local', caCert);
    assert.ok(r.authorized, r.error);
    assert.match(r.cert.subjectAltName ?? '', /IP Address:10\.1\.2\.3/);
    assert.equal(await https.check(), undefined, 'nothing new: kept');
  });

  it('plain HTTP: a redirect to the same path over HTTPS, except the trust pages', async () => {
    const get = (path: string, host: string) =>
      new Promise<{ status: number; location?: string; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: plainPort, path, headers: { host } }, (res) => {
          let body = '';
          res.on('data', (b: Buffer) => (body += b.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              ...(res.headers.location ? { location: res.headers.location } : {}),
              body,
            }),
          );
        });
        req.on('error', reject);
        req.end();
      });
    const r = await get('/gallery?x=1', `outpost.local:${plainPort}`);
    assert.equal(r.status, 308);
    assert.equal(r.location, `https://outpost.local:${port}/gallery?x=1`);
    const hostile = await get('/', 'evil.example/<script>');
    assert.equal(hostile.location, `https://outpost.local:${port}/`, 'a strange Host is not echoed');
    const trust = await get('/trust', `outpost.local:${plainPort}`);
    assert.equal(trust.status, 200);
    assert.equal(trust.body, 'app /trust', 'the trust pages are the app’s, over plain HTTP');
  });
});
