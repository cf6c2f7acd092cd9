import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import type { SessionManifest } from '../../src/fleet/manifest.js';
import { freePort } from '../kit/ports.js';
import { json, outpost, spawnOutpost } from '../kit/cli.js';
import { ROOT, startAgent, until, type TestAgent } from '../kit/fleet.js';

/**
 * `outpost fleet` as a lab runs it: the broker as its own process (`outpost fleet broker`),
 * stations on it (in-process agents with a fake camera device), and the CLI starting, following,
 * stopping and reading sessions.
 */
let work: string;
let broker: ChildProcess;
let url: string;
const agents: TestAgent[] = [];

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-fleet-cli-'));
  const port = await freePort();
  url = `mqtt://127.0.0.1:${port}`;
  broker = spawnOutpost(['fleet', 'broker', '--port', String(port)]);
  await new Promise<void>((resolve, reject) => {
    broker.stdout!.on('data', (b: Buffer) => b.toString().includes('listening') && resolve());
    broker.once('exit', (code) => reject(new Error(`broker exited ${code}`)));
  });
  for (const s of ['lab-1', 'lab-2', 'lab-3']) agents.push(startAgent(url, s));
  await until(() => agents.every((a) => a.client()?.connected), 5000, 'agents connected');
});
after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  broker?.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
});

const fleetYaml = (extra = ''): string =>
  [
    'group: lab-a',
    'session: trial',
    `broker: { url: "${url}", root: ${ROOT} }`,
    'maxDuration: 4s',
    'startDelay: 2',
    'defaults: { source: "testsrc:", resolution: 640x480, fps: 15 }',
    'cameras:',
    '  - { station: lab-1 }',
    '  - { station: lab-2, rotation: 180 }',
    '  - { station: lab-3 }',
    '  - { station: lab-9 }',
    extra,
  ].join('\n');

describe('outpost fleet', { timeout: 120_000 }, () => {
  it('start follows the session to its end and leaves a manifest; sessions and show read it', async () => {
    const cfg = join(work, 'fleet.yaml');
    await writeFile(cfg, fleetYaml());
    const sessions = join(work, 'sessions');
    const r = await outpost(['fleet', 'start', cfg, '--sessions', sessions, '--json'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const report = json<{ accepted: string[]; silent: string[]; session: { id: string } }>(r);
    assert.deepEqual(report.accepted, ['lab-1', 'lab-2', 'lab-3']);
    assert.deepEqual(report.silent, ['lab-9']);
    const list = json<{ sessions: { id: string; group: string; name: string }[] }>(
      await outpost(['fleet', 'sessions', '--sessions', sessions, '--json']),
    );
    assert.deepEqual(
      list.sessions.map((s) => `${s.group}/${s.name}/${s.id}`),
      [`lab-a/trial/${report.session.id}`],
    );
    const m = json<SessionManifest>(
      await outpost(['fleet', 'show', report.session.id, '--sessions', sessions, '--json']),
    );
    assert.equal(m.stations['lab-9']!.answer, 'silent');
    for (const s of ['lab-1', 'lab-2', 'lab-3']) {
      const cam = m.stations[s]!.cameras.cam!;
      assert.equal(m.stations[s]!.answer, 'accepted');
      assert.ok(cam.actualAt, `${s} started`);
      assert.equal(cam.stopReason, 'max-duration');
      const ran = Date.parse(cam.stoppedAt!) - Date.parse(cam.actualAt);
      assert.ok(Math.abs(ran - 4000) < 1000, `${s} ran ${ran} ms`);
    }
    assert.equal(m.stations['lab-2']!.cameras.cam!.settings.rotation, 180);
    assert.equal(m.stations['lab-1']!.cameras.cam!.settings.width, 640);
    const human = await outpost(['fleet', 'show', 'trial', '--sessions', sessions]);
    assert.match(human.stdout, /lab-9\s+silent/);
  });

  it('status lists the stations; stop ends a running session on all of them', async () => {
    const cfg = join(work, 'fleet-long.yaml');
    await writeFile(cfg, fleetYaml().replace('maxDuration: 4s', 'maxDuration: 10m'));
    const sessions = join(work, 'sessions');
    const r = await outpost(['fleet', 'start', cfg, '--sessions', sessions, '--detach', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const id = json<{ session: { id: string } }>(r).session.id;
    await until(
      () => agents.every((a) => a.cameras.recordings.some((x) => x.session === id)),
      8000,
      'recording',
    );
    const st = json<{
      stations: { station: string; online: boolean }[];
      sessions: { session: { id: string } }[];
    }>(await outpost(['fleet', 'status', '--broker', url, '--root', ROOT, '--json']));
    assert.deepEqual(
      st.stations.filter((s) => s.station.startsWith('lab-')).map((s) => `${s.station}:${s.online}`),
      ['lab-1:true', 'lab-2:true', 'lab-3:true'],
    );
    assert.ok(st.sessions.some((s) => s.session.id === id));
    const stop = await outpost(['fleet', 'stop', '--broker', url, '--root', ROOT, '--json']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.deepEqual(json<{ stopped: string[] }>(stop).stopped, ['lab-1', 'lab-2', 'lab-3']);
    for (const a of agents) assert.ok(a.cameras.recordings.find((x) => x.session === id)!.stoppedMs);
    // Nothing running now: stop says so.
    const again = await outpost(['fleet', 'stop', '--broker', url, '--root', ROOT, '--json']);
    assert.equal(again.code, 2);
    assert.match(again.stdout + again.stderr, /SESSION_NOT_FOUND/);
  });

  it('a bad fleet config lists every bad key; an unreachable broker says what to do', async () => {
    const bad = join(work, 'bad.yaml');
    await writeFile(
      bad,
      [
        'group: lab/a',
        'maxDuration: soon',
        'colour: red',
        'cameras:',
        '  - { station: x, rotation: 45, source: "testsrc:" }',
      ].join('\n'),
    );
    const r = await outpost(['fleet', 'start', bad, '--json']);
    assert.equal(r.code, 2);
    const problems = json<{ error: { details: { problems: string[] } } }>(r).error.details.problems.join(
      '\n',
    );
    for (const k of ['group', 'maxDuration', 'colour', 'cameras.0.rotation'])
      assert.match(problems, new RegExp(k.replace('.', '\\.')));
    const port = await freePort();
    const down = await outpost(['fleet', 'status', '--broker', `mqtt://127.0.0.1:${port}`, '--json']);
    assert.equal(down.code, 3, down.stderr);
    assert.match(down.stdout, /FLEET_BROKER_UNREACHABLE/);
  });
});
