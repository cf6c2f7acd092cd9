/**
 * `outpost station` with `server.https` (docs/https.md), a real process: the app over HTTPS with
 * the station's own CA (a client that trusts it gets the app and logs in, its session cookie
 * Secure), plain HTTP sending people there, and the trust pages over plain HTTP: how to install
 * the CA per platform (English and Spanish), its fingerprint, a QR code, and the certificate a
 * tablet downloads. Restarted, the station keeps its CA (tablets trust it once).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchBrowser } from '../kit/browser.js';
import { outpost, spawnOutpost } from '../kit/cli.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NAME = `${hostname().toLowerCase().split('.')[0]}.local`;

let work: string;
let lib: string;
let cfg: string;
let station: ChildProcess | undefined;
let log = '';
let httpsPort = 0;
let plainPort = 0;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function get(
  secure: boolean,
  path: string,
  o: { ca?: string; method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const port = secure ? httpsPort : plainPort;
    const opts = {
      host: '127.0.0.1',
      port,
      path,
      method: o.method ?? 'GET',
      headers: { host: `${NAME}:${port}`, ...o.headers },
      ...(secure ? { servername: NAME, ca: o.ca, rejectUnauthorized: true } : {}),
    };
    const req = (secure ? httpsRequest : httpRequest)(opts, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
      );
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

async function start(): Promise<void> {
  log = '';
  station = spawnOutpost(['station', '--library', lib, '--watch', join(work, 'empty'), '--port', '0'], {
    OUTPOST_CONFIG: cfg,
  });
  station.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  station.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  for (let i = 0; i < 120 && !/plain HTTP sends people to HTTPS/.test(log); i++) await sleep(250);
  httpsPort = Number(/"url":"https:\/\/[^"]*:(\d+)"/.exec(log)?.[1]);
  plainPort = Number(/"port":(\d+),"trust"/.exec(log)?.[1]);
  assert.ok(httpsPort > 0 && plainPort > 0, `ports not in the log:\n${log}`);
}

async function stop(): Promise<void> {
  const s = station;
  station = undefined;
  if (!s || s.exitCode !== null) return;
  const exited = new Promise<[number | null, string | null]>((r) => s.once('exit', (c, sig) => r([c, sig])));
  s.kill('SIGTERM');
  const t = setTimeout(() => s.kill('SIGKILL'), 10_000);
  const [code, signal] = await exited;
  clearTimeout(t);
  // A station that needs SIGKILL has left something open: fail loudly.
  assert.deepEqual([code, signal], [0, null], 'the station exits cleanly on SIGTERM');
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-station-https-'));
  await mkdir(join(work, 'empty'));
  cfg = join(work, 'config.yaml');
  await writeFile(
    cfg,
    [
      'station:',
      `  statusFile: ${join(work, 'run', 'status.json')}`,
      `  clock:\n    stateFile: ${join(work, 'state', 'clock.json')}`,
      '  devices:\n    manage: false',
      'server:',
      '  host: 127.0.0.1',
      `  https: { enabled: true, port: 0, dir: ${join(work, 'tls')} }`,
      '',
    ].join('\n'),
  );
  lib = join(work, 'lib');
  assert.equal((await outpost(['init-drive', lib, '--label', 'A'])).code, 0);
  await start();
});

after(async () => {
  await stop();
  await rm(work, { recursive: true, force: true });
});

describe('the station over HTTPS on the LAN', { timeout: 120_000 }, () => {
  let ca: string;

  it('plain HTTP: the trust page (per platform, fingerprint, QR code) and the CA certificate; the rest goes to HTTPS', async () => {
    const page = await get(false, '/trust');
    assert.equal(page.status, 200);
    const html = page.body.toString();
    for (const p of ['iPad and iPhone', 'Certificate Trust Settings', 'Android', 'Windows', 'macOS'])
      assert.ok(html.includes(p), p);
    assert.match(html, /<svg[^>]*>.*<\/svg>/s, 'a QR code');
    const crt = await get(false, '/trust/ca.crt');
    assert.equal(crt.status, 200);
    assert.equal(crt.headers['content-type'], 'application/x-x509-ca-cert');
    const caCert = new X509Certificate(crt.body);
    assert.ok(caCert.ca);
    assert.ok(html.includes(caCert.fingerprint256), 'the fingerprint to compare');
    ca = caCert.toString();
    assert.equal(ca.trim(), (await readFile(join(work, 'tls', 'ca.crt'), 'utf8')).trim());
    const es = await get(false, '/trust', { headers: { 'accept-language': 'es-PE,es;q=0.9' } });
    assert.match(es.body.toString(), /Confiar en esta estación.*Ajustes de confianza de certificados/s);
    const app = await get(false, '/gallery');
    assert.equal(app.status, 308);
    assert.equal(app.headers.location, `https://${NAME}:${httpsPort}/gallery`);
  });

  it('HTTPS for a client that trusts the CA: the app, setup and login, a Secure session cookie', async () => {
    await assert.rejects(get(true, '/', {}), /self[- ]signed|unable to verify|UNABLE_TO_GET_ISSUER/i);
    const index = await get(true, '/', { ca });
    assert.equal(index.status, 200);
    assert.match(index.body.toString(), /<html/i);
    const code = /setup code ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(log)?.[1];
    assert.ok(code, 'a setup code in the log');
    const setup = await get(true, '/api/auth/setup', {
      ca,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
      body: JSON.stringify({ name: 'ana', password: 'correct horse battery staple', setupCode: code }),
    });
    assert.equal(setup.status, 201, setup.body.toString());
    const cookie = String(setup.headers['set-cookie'] ?? '');
    assert.match(cookie, /outpost_session=.*; Secure/);
  });

  it('Chromium trusting the CA (its NSS database), by a LAN name: a secure context, logged in; untrusted: refused', async () => {
    const b = await launchBrowser({ tablet: true, trustCa: ca, hostRules: `MAP ${NAME} 127.0.0.1` });
    try {
      const page = b.page;
      await page.goto(`https://${NAME}:${httpsPort}/`);
      await page.waitForSelector('form.login');
      assert.equal(await page.evaluate('window.isSecureContext'), true);
      assert.equal(
        await page.evaluate(`'serviceWorker' in navigator && 'storage' in navigator && 'caches' in window`),
        true,
      );
      await page.fill('input[name=name]', 'ana');
      await page.fill('input[name=password]', 'correct horse battery staple');
      await page.click('form.login button[type=submit]');
      await page.waitForSelector('nav.nav');
      await page.goto(`https://${NAME}:${httpsPort}/status`);
      await page.waitForSelector('.status-page h1');
      assert.equal(await page.locator('.insecure-context').count(), 0);
      assert.deepEqual(
        b.errors.filter((e) => !e.startsWith('Failed to load resource')),
        [],
      );
    } finally {
      await b.close();
    }
    const stranger = await launchBrowser({ hostRules: `MAP ${NAME} 127.0.0.1` });
    try {
      await assert.rejects(stranger.page.goto(`https://${NAME}:${httpsPort}/`), /ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await stranger.close();
    }
  });

  it('restarted: the same CA (tablets trust it once)', async () => {
    await stop();
    await start();
    const crt = await get(false, '/trust/ca.crt');
    assert.equal(new X509Certificate(crt.body).toString().trim(), ca.trim());
    assert.equal((await get(true, '/', { ca })).status, 200);
  });

  it('without HTTPS, by a LAN name: the app works and says what offline use needs, no console errors', async () => {
    await stop();
    await writeFile(cfg, (await readFile(cfg, 'utf8')).replace('enabled: true', 'enabled: false'));
    log = '';
    station = spawnOutpost(['station', '--library', lib, '--watch', join(work, 'empty'), '--port', '0'], {
      OUTPOST_CONFIG: cfg,
    });
    station.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    station.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    for (let i = 0; i < 120 && !/web app and API listening/.test(log); i++) await sleep(250);
    const port = Number(/"url":"http:\/\/[^"]*:(\d+)"/.exec(log)?.[1]);
    assert.ok(port > 0, log);
    for (const locale of ['en-US', 'es-PE']) {
      const b = await launchBrowser({ tablet: true, locale, hostRules: `MAP ${NAME} 127.0.0.1` });
      try {
        const page = b.page;
        await page.goto(`http://${NAME}:${port}/`);
        await page.waitForSelector('form.login');
        assert.equal(await page.evaluate('window.isSecureContext'), false);
        await page.fill('input[name=name]', 'ana');
        await page.fill('input[name=password]', 'correct horse battery staple');
        await page.click('form.login button[type=submit]');
        await page.waitForSelector('nav.nav');
        await page.goto(`http://${NAME}:${port}/status`);
        await page.waitForSelector('.insecure-context');
        assert.match(
          (await page.textContent('.insecure-context')) ?? '',
          locale === 'es-PE' ? /sin conexión.*server\.https/ : /offline.*server\.https/,
        );
        // The offline page says the same, and offers nothing it could not keep.
        await page.goto(`http://${NAME}:${port}/offline`);
        await page.waitForSelector('.offline-page .insecure-context');
        assert.match(
          (await page.textContent('.offline-page .insecure-context')) ?? '',
          locale === 'es-PE' ? /HTTP sin cifrar/ : /plain HTTP/,
        );
        assert.equal(
          await page.evaluate("'serviceWorker' in navigator && !!navigator.serviceWorker.controller"),
          false,
        );
        assert.deepEqual(
          b.errors.filter((e) => !e.startsWith('Failed to load resource')),
          [],
        );
      } finally {
        await b.close();
      }
    }
  });
});
