/**
 * The real `outpost hq` as the cameras' FTP target: configured with `snapshots:`, it listens for
 * FTP, keeps what curl uploads in its snapshot library, and a timelapse made there (here with
 * `outpost timelapse --library <data>/snapshots`, as the nightly pass would) reaches HQ's own
 * catalogue and object store through HQ's upload protocol, without anyone adding a key.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getItem } from '../../src/library/catalog/items.js';
import { objectOf } from '../../src/library/catalog/objects.js';
import { openCatalog } from '../../src/library/catalog/open.js';
import { eventually, jpeg, run, sha256 } from '../integration/snapshots/ftp-kit.js';
import { json, outpost, spawnOutpost } from '../kit/cli.js';
import { freePort } from '../kit/ports.js';

let work: string;
let data: string;
let configFile: string;
let child: ChildProcess;
let ftpPort: number;
let stderr = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-hq-snapshots-'));
  data = join(work, 'hq');
  ftpPort = await freePort();
  const passive = 37000 + (process.pid % 50) * 20;
  configFile = join(work, 'config.yaml');
  await writeFile(
    configFile,
    [
      'node: hq-e2e',
      'timeZone: UTC',
      'station:',
      '  clock:',
      `    stateFile: ${join(work, 'clock.json')}`,
      'snapshots:',
      '  ftp:',
      '    enabled: true',
      '    host: 127.0.0.1',
      `    port: ${ftpPort}`,
      `    passivePorts: "${passive}-${passive + 19}"`,
      '    publicAddress: 127.0.0.1',
      `    areaDir: ${join(work, 'ftp')}`,
      '    users:',
      '      - { user: gatecam, password: gate-password, camera: gate }',
      '  timelapse: { fps: 10, preset: ultrafast }',
      '',
    ].join('\n'),
  );
  child = spawnOutpost(['--log-level', 'warn', 'hq', '--data', data, '--port', '0', '--host', '127.0.0.1'], {
    OUTPOST_CONFIG: configFile,
  });
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`hq did not start: ${stderr}`)), 20_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (/listening on http/.test(out)) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`hq exited ${code}: ${stderr}`)));
  });
});

after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  await rm(work, { recursive: true, force: true });
});

describe('outpost hq as the snapshot FTP target', () => {
  it('takes FTP uploads in, and the day’s timelapse lands in its own catalogue and object store', async () => {
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const bytes = await jpeg(100 + i);
      sent.push(sha256(bytes));
      const f = join(work, `s${i}.jpg`);
      await writeFile(f, bytes);
      const r = await run('curl', [
        '-sS',
        '--ftp-create-dirs',
        '-u',
        'gatecam:gate-password',
        '-T',
        f,
        `ftp://127.0.0.1:${ftpPort}/cam/2026/s${i}.jpg`,
      ]);
      assert.equal(r.code, 0, `${r.stderr}\n${stderr}`);
    }
    const today = new Date().toISOString().slice(0, 10);
    const made = await outpost(
      ['timelapse', 'gate', '--date', today, '--library', join(data, 'snapshots'), '--json'],
      { env: { OUTPOST_CONFIG: configFile } },
    );
    assert.equal(made.code, 0, made.stderr);
    const [rec] = json<{ id: string; snapshots: number }[]>(made);
    assert.ok(rec);
    assert.equal(rec.snapshots, 5, 'the timelapse is made of the five uploads');

    const cat = await openCatalog(join(data, '.outpost', 'catalog.sqlite'), { readonly: true });
    try {
      await eventually(async () => {
        const obj = await objectOf(cat, rec.id, 'original');
        assert.ok(obj, 'HQ holds the timelapse');
        assert.equal(obj.sha256, rec.id);
        assert.equal((await getItem(cat, rec.id))?.card_id, 'timelapse:gate');
      }, 60_000);
      // The JPEGs stay in the snapshot library only (`upload: timelapse`, the default).
      assert.equal(await getItem(cat, sent[0]!), undefined);
    } finally {
      await cat.close();
    }
    assert.ok(existsSync(join(data, 'snapshots', '.outpost', 'hq-upload.key')));
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 0, stderr);
  });
});
