/**
 * Issue 16 §4, the kill: a camera (Python's ftplib, passive mode) sends JPEGs to a real
 * `outpost station` and, like a camera, sends a file again until it gets its 226. The station is
 * killed (SIGKILL) mid-stream and started again. Every complete upload is stored exactly once,
 * nothing partial or empty is in the library, and the station's own folders are clean. Then the
 * API (/api/snapshots) reports the camera, and a refused upload (not a JPEG) is counted.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { openCatalog } from '../../src/library/catalog/open.js';
import { listItems } from '../../src/library/catalog/items.js';
import { outpost, spawnOutpost } from '../kit/cli.js';
import { freePort } from '../kit/ports.js';
import { launchBrowser } from '../kit/browser.js';

const N = 120;

/** A camera: sends each file until the server says 226 (reconnecting after any failure). */
const CAMERA = `
import ftplib, os, sys, time, json
host, port, folder, state = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
names = sorted(os.listdir(folder))
retries = 0
f = None
for name in names:
    while True:
        try:
            if f is None:
                f = ftplib.FTP()
                f.connect(host, port, timeout=10)
                f.login('gate-cam', 'gate-password')
                f.set_pasv(True)
            with open(os.path.join(folder, name), 'rb') as fh:
                f.storbinary('STOR ' + name, fh)
            break
        except Exception as e:
            retries += 1
            try:
                f.close()
            except Exception:
                pass
            f = None
            time.sleep(0.2)
    with open(state, 'w') as s:
        s.write(json.dumps({'sent': names.index(name) + 1, 'retries': retries}))
    time.sleep(0.03)
f.quit()
`;

function stationConfig(work: string, ftpPort: number, httpPort: number): string {
  return [
    `library: ${join(work, 'drive')}`,
    'node: snap-station',
    'timeZone: America/Santiago',
    'server:',
    '  host: 127.0.0.1',
    `  port: ${httpPort}`,
    '  setupCode: false',
    'station:',
    `  statusFile: ${join(work, 'status.json')}`,
    `  cameraSettingsFile: ${join(work, 'camera-settings.json')}`,
    '  devices: { manage: false }',
    `  clock: { stateFile: ${join(work, 'clock.json')} }`,
    `  watchRoots: [${join(work, 'none')}]`,
    'scrub: { enabled: false }',
    'snapshots:',
    '  ftp:',
    '    enabled: true',
    '    host: 127.0.0.1',
    `    port: ${ftpPort}`,
    `    passivePorts: ${30000 + (process.pid % 300) * 100}-${30099 + (process.pid % 300) * 100}`,
    '    publicAddress: 127.0.0.1',
    `    areaDir: ${join(work, 'ftp')}`,
    '    users: [{ user: gate-cam, password: gate-password, camera: gate }]',
  ].join('\n');
}

describe('snapshots in a real station, killed mid-stream', { timeout: 240_000 }, () => {
  let work: string;
  let station: ChildProcess | undefined;
  let log = '';
  let httpPort = 0;

  const start = async (config: string): Promise<ChildProcess> => {
    const p = spawnOutpost(['station', '--log-level', 'info'], { OUTPOST_CONFIG: config });
    p.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    p.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const since = log.split('STARTED').at(-1)!;
      // The drive attached (uploads are taken) once the web app serves it.
      if (/snapshot FTP server listening/.test(since) && /web app and API listening/.test(since)) return p;
      assert.ok(Date.now() < deadline, `station did not start:\n${log.slice(-3000)}`);
      assert.equal(p.exitCode, null, `station exited:\n${log.slice(-3000)}`);
      await sleep(200);
    }
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'outpost-snapstation-'));
    assert.equal((await outpost(['init-drive', join(work, 'drive'), '--label', 'SNAP'])).code, 0);
  });
  after(async () => {
    station?.kill('SIGKILL');
    await rm(work, { recursive: true, force: true });
  });

  it('stores every complete upload exactly once across a kill, nothing partial', async () => {
    const ftpPort = await freePort();
    httpPort = await freePort();
    const config = join(work, 'config.yaml');
    writeFileSync(config, stationConfig(work, ftpPort, httpPort));
    // The camera's JPEGs, each different, ~20 kB.
    const send = join(work, 'send');
    await mkdir(send);
    await new Promise<void>((resolve, reject) => {
      const ff = spawn('ffmpeg', [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:rate=1',
        '-frames:v',
        String(N),
        '-q:v',
        '5',
        join(send, 'snap%04d.jpg'),
      ]);
      ff.on('error', reject);
      ff.on('close', (c) => (c === 0 ? resolve() : reject(new Error(`ffmpeg ${c}`))));
    });
    const sent = new Set(
      (await readdir(send)).map((n) =>
        createHash('sha256')
          .update(readFileSync(join(send, n)))
          .digest('hex'),
      ),
    );
    assert.equal(sent.size, N);

    log += '\nSTARTED\n';
    station = await start(config);
    const statePath = join(work, 'camera.json');
    const camera = spawn('python3', ['-c', CAMERA, '127.0.0.1', String(ftpPort), send, statePath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let camErr = '';
    camera.stderr!.on('data', (b: Buffer) => (camErr += b.toString()));
    const cameraDone = new Promise<number | null>((r) => camera.on('close', r));
    const progress = (): { sent: number; retries: number } => {
      try {
        return JSON.parse(readFileSync(statePath, 'utf8')) as { sent: number; retries: number };
      } catch {
        return { sent: 0, retries: 0 };
      }
    };
    // Kill it a third of the way through (mid-upload: the camera sends without pause).
    while (progress().sent < N / 3) await sleep(20);
    station.kill('SIGKILL');
    await new Promise((r) => station!.once('close', r));
    await sleep(1000);
    log += '\nSTARTED\n';
    station = await start(config);
    assert.equal(await cameraDone, 0, `camera failed: ${camErr}`);
    assert.ok(progress().retries >= 1, 'the camera had to send again after the kill');

    // Every file once; nothing else; nothing half-placed.
    const cat = await openCatalog(join(work, 'drive', '.outpost', 'catalog.sqlite'));
    try {
      const items = (await listItems(cat, {})).filter((r) => r.card_id === 'snap:gate');
      assert.equal(items.length, N, `${items.length} items for ${N} files`);
      assert.deepEqual(new Set(items.map((r) => r.id)), sent);
      assert.ok(items.every((r) => r.state === 'stored' && r.size > 0));
      for (const r of items) {
        const bytes = readFileSync(join(work, 'drive', r.path));
        assert.equal(createHash('sha256').update(bytes).digest('hex'), r.id, `${r.path} is not whole`);
      }
    } finally {
      await cat.close();
    }
    const incoming = join(work, 'drive', '.outpost', 'snapshots', 'incoming');
    assert.deepEqual(await readdir(incoming), []);

    // The API tells the camera's day; a non-JPEG upload is refused and counted.
    const bad = join(work, 'bad');
    await mkdir(bad);
    writeFileSync(join(bad, 'oops.jpg'), '<html>not a picture</html>');
    const curl = spawn('curl', [
      '-sS',
      '-u',
      'gate-cam:gate-password',
      '-T',
      join(bad, 'oops.jpg'),
      `ftp://127.0.0.1:${ftpPort}/`,
    ]);
    let curlErr = '';
    curl.stderr.on('data', (b: Buffer) => (curlErr += b.toString()));
    assert.notEqual(await new Promise((r) => curl.on('close', r)), 0, 'curl reports the refusal');
    assert.match(curlErr, /550/);
    const setup = await fetch(`http://127.0.0.1:${httpPort}/api/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
      body: JSON.stringify({ name: 'ana', password: 'correct horse battery staple' }),
    });
    assert.equal(setup.status, 201, await setup.text());
    const cookie = (setup.headers.get('set-cookie') ?? '').split(';')[0]!;
    const status = (await (
      await fetch(`http://127.0.0.1:${httpPort}/api/snapshots`, { headers: { cookie } })
    ).json()) as {
      cameras: { camera: string; today: { snapshots: number; rejected: number }; storedCount: number }[];
      ftp: { accepted: number; rejected: Record<string, number> };
    };
    const gate = status.cameras.find((c) => c.camera === 'gate')!;
    assert.equal(gate.storedCount, N);
    assert.equal(gate.today.rejected, 1);
    assert.equal(status.ftp.rejected['refused-by-accept'], 1);
  });

  it('Snapshots page: the camera, its day strip, and a timelapse made from the page (Chromium)', async () => {
    assert.ok(station && station.exitCode === null, 'the station of the test before runs');
    const b = await launchBrowser();
    try {
      const page = b.page;
      const base = `http://127.0.0.1:${httpPort}`;
      await page.goto(base);
      await page.waitForSelector('form.login');
      await page.fill('input[name=name]', 'ana');
      await page.fill('input[name=password]', 'correct horse battery staple');
      await page.click('form.login button[type=submit]');
      // The Status page lists the camera too, and links to its Snapshots page.
      await page.click('nav.nav a[href="/status"]');
      await page.waitForSelector('.snap-status tr[data-camera=gate] td[data-field=today]');
      assert.equal(
        (await page.textContent('.snap-status tr[data-camera=gate] td[data-field=today]'))?.trim(),
        String(N),
      );
      await page.click('.snap-status tr[data-camera=gate] a');
      await page.waitForSelector('tr[data-camera=gate] td[data-field=today]');
      assert.equal((await page.textContent('tr[data-camera=gate] td[data-field=today]'))?.trim(), String(N));
      assert.equal((await page.textContent('tr[data-camera=gate] td[data-field=refused]'))?.trim(), '1');
      // The day strip: 24 hours, the snapshots in the hours they arrived, the rest marked empty.
      await page.waitForSelector('.snap-strip .snap-hour');
      const counts = await page.$$eval('.snap-strip .snap-hour', (els) =>
        els.map((e) => Number(e.getAttribute('data-count'))),
      );
      assert.equal(counts.length, 24);
      assert.equal(
        counts.reduce((a, n) => a + n, 0),
        N,
      );
      assert.ok((await page.$$('.snap-strip .snap-hour.gap')).length >= 22);
      assert.ok(await page.$('.snap-strip img'), 'thumbnails shown');
      assert.ok(await page.$('.snap-latest img'), 'the latest snapshot shown');
      // Make today's timelapse from the page: the player appears with it.
      await page.click('.snap-timelapse button');
      await page.waitForSelector('.snap-timelapse video[data-timelapse]', { timeout: 60_000 });
      const src = await page.getAttribute('.snap-timelapse video', 'src');
      const r = await page.request.get(`${base}${src}`);
      assert.equal(r.status(), 200);
      assert.ok((await r.body()).length > 1000);
      // Spanish.
      await Promise.all([page.waitForEvent('load'), page.selectOption('select[name=language]', 'es')]);
      await page.waitForSelector('main.snapshots h1', { timeout: 10_000 });
      assert.equal((await page.textContent('main.snapshots h1'))?.trim(), 'Instantáneas');
      await page.waitForSelector('th:has-text("Cámara")');
    } finally {
      await b.close();
    }
  });
});
