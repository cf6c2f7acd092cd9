import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectMqtt } from '../../src/adapters/mqtt-client.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';
import { outpost, spawnOutpost } from '../kit/cli.js';
import { probeVideo } from '../kit/ffprobe.js';
import { freePort } from '../kit/ports.js';

/**
 * The Fleet page in real Chromium against a real `outpost station` that runs the conductor, the
 * embedded broker and its own agent (fleet: in its config): the station is listed online with
 * its camera; a session started from a fleet config says at once who accepted and who is silent;
 * it can be stopped from the page; its manifest page shows the segments; an invalid config says
 * why; the page speaks Spanish.
 */
let work: string;
let station: ChildProcess;
let log = '';
let base = '';
let b: TestBrowser & { errors: string[] };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-webapp-fleet-'));
  const port = await freePort();
  const configDir = join(work, 'fleet-configs');
  await mkdir(configDir);
  await mkdir(join(work, 'empty'));
  await writeFile(
    join(configDir, 'office.yaml'),
    [
      'group: office',
      'session: morning',
      `broker: { url: "mqtt://127.0.0.1:${port}" }`,
      'maxDuration: 60s',
      'startDelay: 2',
      'defaults: { source: "testsrc:?size=160x120&rate=10", segment: 2s }',
      'cameras:',
      '  - { station: office }',
      '  - { station: ghost }',
    ].join('\n'),
  );
  await writeFile(join(configDir, 'broken.yaml'), 'group: lab\nmaxDuration: forever\ncameras: []\n');
  const cfg = join(work, 'config.yaml');
  await writeFile(
    cfg,
    [
      'station:',
      `  statusFile: ${join(work, 'run', 'status.json')}`,
      `  clock:\n    stateFile: ${join(work, 'state', 'clock.json')}`,
      '  devices:\n    manage: false',
      `  cameraSettingsFile: ${join(work, 'state', 'camera-settings.json')}`,
      'recorder:\n  minFreeGB: 0',
      'cameras:',
      '  - { name: cam, source: "testsrc:?size=160x120&rate=10", segmentSeconds: 2, live: { enabled: false } }',
      'fleet:',
      '  enabled: true',
      '  station: office',
      '  minFreeGB: 0',
      `  broker: { url: "mqtt://127.0.0.1:${port}" }`,
      '  conductor:',
      '    enabled: true',
      `    configDir: ${configDir}`,
      `    sessionsDir: ${join(work, 'sessions')}`,
      '    clockSampleSeconds: 5',
      '    alertAfterSeconds: 1',
      `    embeddedBroker: { enabled: true, host: 127.0.0.1, port: ${port} }`,
    ].join('\n'),
  );
  const lib = join(work, 'lib');
  assert.equal((await outpost(['init-drive', lib, '--label', 'A'])).code, 0);
  station = spawnOutpost(['station', '--library', lib, '--watch', join(work, 'empty'), '--port', '0'], {
    OUTPOST_CONFIG: cfg,
  });
  station.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  station.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  for (let i = 0; i < 80 && !/web app and API listening/.test(log); i++) await sleep(250);
  base = /"url":"(http:[^"]+)"/.exec(log)?.[1]?.replace('0.0.0.0', '127.0.0.1') ?? '';
  assert.ok(base, `no server URL in the log:\n${log}`);
  const code = /setup code ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(log)![1]!;
  const setup = await fetch(`${base}/api/auth/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
    body: JSON.stringify({ name: 'ana', password: 'correct horse battery staple', setupCode: code }),
  });
  assert.equal(setup.status, 201, await setup.text());
  b = await launchBrowser();
});

after(async () => {
  await b?.close();
  if (station && station.exitCode === null) {
    const exited = new Promise((r) => station.once('exit', r));
    station.kill('SIGTERM');
    const t = setTimeout(() => station.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
  await rm(work, { recursive: true, force: true });
});

describe('Fleet page (headless Chromium, a real station conducting)', { timeout: 180_000 }, () => {
  it('lists the station, starts a session with every answer, stops it, and shows its manifest', async () => {
    const page = b.page;

    await page.goto(base);
    await page.waitForSelector('form.login');
    await page.fill('input[name=name]', 'ana');
    await page.fill('input[name=password]', 'correct horse battery staple');
    await page.click('form.login button[type=submit]');
    await page.click('nav.nav a[href="/fleet"]');
    await page.waitForSelector('tr[data-station=office][data-online=yes]', { timeout: 20_000 });
    assert.equal(await page.getAttribute('[data-broker]', 'data-broker'), 'up');
    // The invalid config is offered disabled, with its problems.
    await page.waitForSelector('.config-problems[data-file="broken.yaml"]');
    assert.match((await page.textContent('.config-problems[data-file="broken.yaml"]')) ?? '', /maxDuration/);
    assert.equal(await page.isDisabled('select[name=config] option[value="broken.yaml"]'), true);
    await page.selectOption('select[name=config]', 'office.yaml');
    await page.fill('input[name=name]', 'from-the-page');
    const t0 = Date.now();
    await page.click('form.fleet-start button[type=submit]');
    await page.waitForSelector('.fleet-report li[data-answer=accepted]', { timeout: 10_000 });
    const answeredMs = Date.now() - t0;
    assert.match((await page.textContent('.fleet-report li[data-answer=accepted]')) ?? '', /office/);
    assert.match((await page.textContent('.fleet-report li[data-answer=silent]')) ?? '', /ghost/);
    assert.ok(answeredMs < 6000, `answers shown ${answeredMs} ms after the click`);
    // Recording on the station: its camera shows the session's state.
    await page.waitForSelector('tr[data-station=office] [data-camera=cam][data-state=recording]', {
      timeout: 20_000,
    });
    // The session's camera is on the Cameras page too: its session named, its live view fed
    // (the station's own config has no live view for it; the session's plan has).
    const t1 = Date.now();
    let shown: { session: string | null; lastFrameAt: string | null } | undefined;
    while (Date.now() - t1 < 10_000) {
      const r = await page.request.get(`${base}/api/cameras`);
      const j = (await r.json()) as {
        cameras: { name: string; session: string | null; lastFrameAt: string | null }[];
      };
      shown = j.cameras.find((c) => c.name === 'cam');
      if (shown?.session && shown.lastFrameAt) break;
      await sleep(250);
    }
    assert.equal(shown?.session, 'office/from-the-page', JSON.stringify(shown));
    assert.ok(shown?.lastFrameAt, 'live frames from the session camera');
    await sleep(Math.max(0, 5000 - (Date.now() - t1)));
    const running = page.locator('ul.fleet-running li').first();
    assert.match((await running.textContent()) ?? '', /office\/from-the-page/);
    await running.locator('button.danger').click();
    await page.waitForFunction(
      `/Stopped on office\\./.test(document.querySelector('p.stop-note')?.textContent ?? '')`,
      undefined,
      {
        timeout: 20_000,
      },
    );
    assert.match((await page.textContent('p.stop-note')) ?? '', /Stopped on office\..*ghost/);
    // The manifest page: the station's camera, its segments, why it stopped.
    await page.waitForSelector('table.fleet-sessions tr[data-session] a', { timeout: 10_000 });
    await page.click('table.fleet-sessions tr[data-session] a');
    await page.waitForSelector('.fleet-station[data-station=office] .fleet-camera[data-camera=cam]');
    await page.waitForFunction(
      `Number(document.querySelector('.fleet-station[data-station=office] .fleet-camera[data-camera=cam]').dataset.segments) >= 1`,
      undefined,
      { timeout: 15_000 },
    );
    const cam = (await page.textContent('.fleet-station[data-station=office] .fleet-camera')) ?? '';
    assert.match(cam, /stopped .*\(asked\)/);
    assert.equal(await page.getAttribute('.fleet-station[data-station=ghost]', 'data-answer'), 'silent');
    // The kept manifest agrees, and its files are where the session's folder says.
    const res = await page.request.get(`${base}/api/fleet/sessions`);
    const m = (
      (await res.json()) as {
        sessions: {
          name: string;
          stations: Record<string, { cameras: Record<string, { segments: { path: string }[] }> }>;
        }[];
      }
    ).sessions[0]!;
    assert.equal(m.name, 'from-the-page');
    // The clock was measured again while the session ran (every 5 s here).
    const samples =
      (m.stations.office as unknown as { clockSamples?: { offsetMs: number }[] }).clockSamples ?? [];
    assert.ok(samples.length >= 1, 'clock samples during the session');
    assert.ok(Math.abs(samples[0]!.offsetMs) < 1000, `offset ${samples[0]!.offsetMs} ms on one machine`);
    for (const s of m.stations.office!.cameras.cam!.segments)
      assert.match(s.path, /^library\/office\/from-the-page\/cam\//);
    // No script errors (a resource the browser asks for itself, such as an icon, may 404).
    assert.deepEqual(
      b.errors.filter((e) => !e.startsWith('Failed to load resource')),
      [],
    );
    // A reload of the page's own address is the app, not a 404.
    await page.reload();
    await page.waitForSelector('.fleet-page');
  });

  it("an editor turns the station's camera on the fly: the next segments are turned, the change is kept", async () => {
    const page = b.page;
    await page.goto(`${base}/cameras`);
    await page.click('details.camera-settings[data-camera=cam] summary');
    await page.waitForSelector('details.camera-settings[data-camera=cam] select[name=rotation]');
    await page.selectOption('details.camera-settings[data-camera=cam] select[name=rotation]', '90');
    await page.fill('details.camera-settings[data-camera=cam] input[name=segment]', '1');
    const appliedAt = Date.now();
    await page.click('details.camera-settings[data-camera=cam] button[type=submit]');
    await page.waitForFunction(
      `/Applied: 90°/.test(document.querySelector('.camera-settings .applied-note')?.textContent ?? '')`,
      undefined,
      { timeout: 15_000 },
    );
    // Kept across restarts: the settings file holds the change.
    const kept = JSON.parse(await readFile(join(work, 'state', 'camera-settings.json'), 'utf8')) as Record<
      string,
      { rotation: number; segmentSeconds: number }
    >;
    assert.deepEqual(kept.cam, { rotation: 90, segmentSeconds: 1 });
    // A segment recorded after the change is turned (160x120 → 120x160) and one second long.
    const day = join(work, 'lib', 'library', 'cam');
    let turned: string | undefined;
    for (let i = 0; i < 60 && !turned; i++) {
      await sleep(500);
      for (const d of await readdir(day).catch(() => [] as string[]))
        for (const f of await readdir(join(day, d))) {
          const p = join(day, d, f);
          if (!f.endsWith('.mp4') || (await stat(p)).mtimeMs < appliedAt + 500) continue;
          if (probeVideo(p).width === 120) turned = p;
        }
    }
    assert.ok(turned, 'a segment recorded after the change is turned 90°');
    assert.deepEqual(probeVideo(turned), { width: 120, height: 160, avg_frame_rate: '10/1' });
    // Back to the config: the camera records as configured again, and the file forgets it.
    await page.click('details.camera-settings[data-camera=cam] button.secondary');
    await page.waitForFunction(
      `/Applied: 0°/.test(document.querySelector('.camera-settings .applied-note')?.textContent ?? '')`,
      undefined,
      { timeout: 15_000 },
    );
    const after = JSON.parse(await readFile(join(work, 'state', 'camera-settings.json'), 'utf8')) as object;
    assert.deepEqual(after, {});
    // A hostile or wrong patch is refused with the field named, and changes nothing.
    const bad = await page.request.patch(`${base}/api/cameras/cam/settings`, {
      headers: { 'x-outpost-csrf': '1' },
      data: { rotation: 45, width: 100 },
    });
    assert.equal(bad.status(), 400);
    assert.match(await bad.text(), /rotation/);
    // Pi camera controls on a camera that is not a Pi camera: refused, nothing kept.
    const notPi = await page.request.patch(`${base}/api/cameras/cam/settings`, {
      headers: { 'x-outpost-csrf': '1' },
      data: { controls: { brightness: 0.2 } },
    });
    assert.equal(notPi.status(), 400, await notPi.text());
    assert.match(await notPi.text(), /Pi cameras/);
    assert.deepEqual(JSON.parse(await readFile(join(work, 'state', 'camera-settings.json'), 'utf8')), {});
  });

  it('alerts: a failed camera, then its station gone, shown once they last; gone when they end', async () => {
    const page = b.page;
    await page.goto(`${base}/fleet`);
    await page.waitForSelector('tr[data-station=office][data-online=yes]', { timeout: 20_000 });
    // Another station on the broker (plain MQTT, as an agent speaks it) with a failed camera.
    const port = Number(
      /mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(await readFile(join(work, 'config.yaml'), 'utf8'))![1],
    );
    const topic = 'outpost/fleet/field-2/status';
    const instance = 'field-2-instance';
    const at = () => new Date().toISOString();
    const mq = connectMqtt(
      { url: `mqtt://127.0.0.1:${port}` },
      {
        clientId: 'field-2',
        keepalive: 1,
        reconnectPeriod: 0,
        will: {
          topic,
          payload: Buffer.from(
            JSON.stringify({ v: 1, station: 'field-2', instance, at: at(), state: 'offline' }),
          ),
          qos: 1,
          retain: true,
        },
      },
    );
    await new Promise<void>((ok, fail) => {
      mq.once('connect', () => ok());
      mq.once('error', fail);
    });
    const status = {
      v: 1,
      station: 'field-2',
      instance,
      at: at(),
      state: 'online',
      startedAt: at(),
      cameras: [{ camera: 'gate', state: 'failed', session: null, restarts: 3, droppedFrames: 0 }],
      health: {
        freeBytes: 1e9,
        secondsUntilFull: null,
        temperatureC: null,
        throttled: null,
        uplinkBacklogBytes: null,
      },
    };
    await mq.publishAsync(topic, JSON.stringify(status), { qos: 1, retain: true });
    await page.waitForSelector('.fleet-alerts li[data-alert=camera-failed][data-station=field-2]', {
      timeout: 10_000,
    });
    assert.match((await page.textContent('.fleet-alerts')) ?? '', /Camera gate on field-2 failed/);
    // The station dies (no goodbye): the broker's last will, and a second later the alert.
    (mq as unknown as { stream: { destroy(): void } }).stream.destroy();
    mq.end(true);
    await page.waitForSelector('.fleet-alerts li[data-alert=station-offline][data-station=field-2]', {
      timeout: 15_000,
    });
    assert.equal(await page.locator('.fleet-alerts li[data-alert=camera-failed]').count(), 0);
    const j = (await (await page.request.get(`${base}/api/fleet`)).json()) as {
      alerts: { kind: string; station: string }[];
    };
    assert.deepEqual(
      j.alerts.map((a) => `${a.kind}:${a.station}`),
      ['station-offline:field-2'],
    );
    // The station's name is cleared from the broker (as `fleet` tools do): the alert ends.
    const admin = connectMqtt({ url: `mqtt://127.0.0.1:${port}` }, { clientId: 'admin', reconnectPeriod: 0 });
    await new Promise<void>((ok) => admin.once('connect', () => ok()));
    await admin.publishAsync(topic, '', { qos: 1, retain: true });
    await admin.endAsync();
    await page.waitForSelector('.fleet-alerts', { state: 'detached', timeout: 10_000 });
  });

  it('speaks Spanish', async () => {
    const page = b.page;
    await page.goto(`${base}/fleet`);
    await page.waitForSelector('select[name=language]');
    await Promise.all([page.waitForEvent('load'), page.selectOption('select[name=language]', 'es')]);
    await page.waitForSelector('h1:has-text("Flota")');
    // The stations come with the page's first poll, after the heading.
    await page.waitForSelector('tr[data-station=office][data-online=yes]');
    assert.match((await page.textContent('.fleet-page')) ?? '', /Estaciones.*en línea/s);
  });

  it('a viewer cannot start or stop (the server refuses, the page offers nothing)', async () => {
    const r = await fetch(`${base}/api/fleet/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
      body: JSON.stringify({ config: 'office.yaml' }),
    });
    assert.equal(r.status, 401, 'no session cookie, no start');
    const traversal = await b.page.request.post(`${base}/api/fleet/sessions`, {
      headers: { 'x-outpost-csrf': '1' },
      data: { config: '../../etc/passwd' },
    });
    assert.equal(traversal.status(), 400);
  });
});
