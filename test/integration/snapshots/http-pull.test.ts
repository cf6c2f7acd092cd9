import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { systemClock, type Clock } from '../../../src/adapters/clock.js';
import { silentLogger } from '../../../src/adapters/logger.js';
import {
  boundaryAtOrAfter,
  startSnapshotPuller,
  type PullCamera,
  type PulledSnapshot,
  type PullerOptions,
  type PullStatus,
} from '../../../src/snapshots/http-pull.js';
import { startFakeCamera, type FakeCamera, type Fault } from '../../kit/fake-camera.js';

const run = promisify(execFile);

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'outpost-pull-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A fresh temp dir per test, so "nothing left behind" is checked per test. */
async function dir(): Promise<string> {
  return mkdtemp(join(tmp, 't-'));
}

function camera(cam: FakeCamera, over: Partial<PullCamera> = {}): PullCamera {
  return {
    camera: 'gate',
    url: `${cam.url}/snap.jpg`,
    user: 'admin',
    password: 'secret pw',
    auth: 'auto',
    intervalS: 0.1,
    timeoutMs: 2000,
    maxBytes: 1_000_000,
    ...over,
  };
}

interface Harness {
  got: (PulledSnapshot & { data: Buffer })[];
  statuses: PullStatus[];
  stop(): Promise<void>;
  status(): PullStatus[];
  /** Resolves once `pred` holds for the camera's status (polled on each status change). */
  until(pred: (s: PullStatus) => boolean, ms?: number): Promise<PullStatus>;
}

function start(cams: PullCamera[], tmpDir: string, over: Partial<PullerOptions> = {}): Harness {
  const got: Harness['got'] = [];
  const statuses: PullStatus[] = [];
  const waiters: { pred: (s: PullStatus) => boolean; resolve: (s: PullStatus) => void }[] = [];
  const p = startSnapshotPuller({
    cameras: cams,
    tmpDir,
    clock: systemClock,
    log: silentLogger,
    maxBackoffMs: cams[0]!.intervalS * 1000,
    accept: async (s) => {
      const data = await readFile(s.file);
      got.push({ ...s, data });
      await rm(s.file);
    },
    onStatus: (_c, s) => {
      statuses.push(s);
      for (const w of [...waiters])
        if (w.pred(s)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(s);
        }
    },
    ...over,
  });
  return {
    got,
    statuses,
    stop: () => p.stop(),
    status: () => p.status(),
    until(pred, ms = 15_000) {
      const now = p.status().find(pred);
      if (now) return Promise.resolve(now);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`condition not met in ${ms} ms: ${JSON.stringify(p.status())}`)),
          ms,
        );
        waiters.push({
          pred,
          resolve: (s) => {
            clearTimeout(t);
            resolve(s);
          },
        });
      });
    },
  };
}

async function leftovers(d: string): Promise<string[]> {
  return readdir(d);
}

describe('the fake camera checks Digest right (real curl against it)', () => {
  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    it(`curl --digest passes with the password and fails without (${algorithm})`, async () => {
      const cam = await startFakeCamera({ auth: { algorithm } });
      try {
        const out = join(await dir(), 'curl.jpg');
        const ok = await run('curl', [
          '-sS',
          '--digest',
          '-u',
          'admin:secret pw',
          '-o',
          out,
          '-w',
          '%{http_code}',
          `${cam.url}/snap.jpg`,
        ]);
        assert.equal(ok.stdout, '200');
        assert.deepEqual(await readFile(out), cam.jpeg);
        assert.equal(cam.digestOk.length, 1);
        assert.equal(cam.digestOk[0]!.algorithm, algorithm);
        const bad = await run('curl', [
          '-sS',
          '--digest',
          '-u',
          'admin:wrong',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          `${cam.url}/snap.jpg`,
        ]);
        assert.equal(bad.stdout, '401');
        assert.equal(cam.digestOk.length, 1);
      } finally {
        await cam.close();
      }
    });
  }
});

describe('snapshot puller', () => {
  it('pulls a JPEG per interval on the interval grid, hashed, into tmpDir', async () => {
    const cam = await startFakeCamera();
    const d = await dir();
    const h = start([camera(cam, { user: undefined, password: undefined, intervalS: 0.2 })], d);
    try {
      await h.until((s) => s.counts.ok >= 3);
    } finally {
      await h.stop();
      await cam.close();
    }
    assert.ok(h.got.length >= 3);
    const sha = createHash('sha256').update(cam.jpeg).digest('hex');
    for (const g of h.got) {
      assert.deepEqual(g.data, cam.jpeg);
      assert.equal(g.sha256, sha);
      assert.equal(g.bytes, cam.jpeg.length);
      assert.equal(g.url, `${cam.url}/snap.jpg`);
      assert.ok(g.file.startsWith(d) && g.file.endsWith('.jpg'));
    }
    // Requests land just after multiples of 200 ms (not 200 ms after the last one finished).
    for (const r of cam.requests.slice(0, 3)) {
      const phase = r.at % 200;
      assert.ok(phase < 120, `request ${phase} ms after its boundary`);
    }
    assert.deepEqual(await leftovers(d), []);
    const st = h.status()[0]!;
    assert.equal(st.consecutiveFailures, 0);
    assert.equal(st.lastError, undefined);
    assert.ok(st.lastOkAt instanceof Date);
  });

  it('counts each kind of failure, recovers, and leaves no temp files', async () => {
    const cam = await startFakeCamera();
    const faults: Fault[] = [
      '500',
      '404',
      'html',
      'truncated',
      'cut-off',
      'big',
      'big-chunked',
      'stall-headers',
      'stall-body',
      'ok',
    ];
    cam.faults = [...faults];
    const d = await dir();
    const h = start(
      [camera(cam, { user: undefined, password: undefined, maxBytes: 1_000_000, timeoutMs: 1000 })],
      d,
    );
    let st: PullStatus;
    try {
      st = await h.until((s) => s.counts.ok >= 1);
      // Failures before the first success, and the status right after it.
      assert.deepEqual(st.counts, { ok: 1, 'http-error': 2, garbage: 3, 'too-big': 2, timeout: 2, auth: 0 });
      assert.equal(st.consecutiveFailures, 0);
      assert.equal(st.lastError?.kind, 'timeout');
      const failing = h.statuses.filter((s) => s.consecutiveFailures > 0);
      assert.equal(Math.max(...failing.map((s) => s.consecutiveFailures)), 9);
      const kinds = new Set(failing.map((s) => s.lastError?.kind));
      assert.deepEqual([...kinds].sort(), ['garbage', 'http-error', 'timeout', 'too-big']);
    } finally {
      await h.stop();
      await cam.close();
    }
    assert.deepEqual(await leftovers(d), []);
  });

  it('stop() aborts a request in flight at once and removes its partial file', async () => {
    const cam = await startFakeCamera();
    cam.faults = ['stall-body'];
    const d = await dir();
    const h = start([camera(cam, { user: undefined, password: undefined, timeoutMs: 60_000 })], d);
    try {
      await waitFor(() => cam.requests.length >= 1);
      await waitFor(async () => (await leftovers(d)).length === 1); // the .part being written
      const t0 = Date.now();
      await h.stop();
      assert.ok(Date.now() - t0 < 1000, 'stop waited for the request');
      assert.deepEqual(await leftovers(d), []);
      const st = h.status()[0]!;
      assert.equal(st.consecutiveFailures, 0, 'stopping is not a camera failure');
    } finally {
      await cam.close();
    }
  });

  it('removes the file when accept() throws, and goes on', async () => {
    const cam = await startFakeCamera();
    const d = await dir();
    let calls = 0;
    const h = start([camera(cam, { user: undefined, password: undefined })], d, {
      accept: async () => {
        calls++;
        throw new Error('catalogue busy');
      },
    });
    try {
      await h.until((s) => s.counts.ok >= 2);
    } finally {
      await h.stop();
      await cam.close();
    }
    assert.ok(calls >= 2);
    assert.deepEqual(await leftovers(d), []);
  });

  it('refuses a config without url or onvif, or with both', () => {
    const base = { camera: 'x', auth: 'auto' as const, intervalS: 1, timeoutMs: 1, maxBytes: 1 };
    const opts = (c: PullCamera): PullerOptions => ({
      cameras: [c],
      tmpDir: tmp,
      accept: async () => undefined,
      clock: systemClock,
      log: silentLogger,
    });
    assert.throws(() => startSnapshotPuller(opts(base)), /CONFIG_INVALID|url or onvif/);
    assert.throws(() => startSnapshotPuller(opts({ ...base, url: 'ftp://x/y' })), /not http/);
    assert.throws(
      () =>
        startSnapshotPuller(
          opts({ ...base, url: 'http://x/', onvif: { url: 'http://x/onvif/device_service' } }),
        ),
      /one of them/,
    );
  });
});

describe('snapshot puller: authentication', () => {
  it('auto answers a Basic challenge (the camera asked for it) and then sends Basic up front', async () => {
    const cam = await startFakeCamera({ auth: 'basic' });
    const h = start([camera(cam)], await dir());
    try {
      await h.until((s) => s.counts.ok >= 2);
    } finally {
      await h.stop();
      await cam.close();
    }
    assert.equal(cam.requests[0]!.authorization, undefined, 'no Basic before the camera asks');
    assert.match(cam.requests[1]!.authorization ?? '', /^Basic /);
    assert.match(cam.requests[2]!.authorization ?? '', /^Basic /);
    assert.equal(h.status()[0]!.counts.auth, 0);
  });

  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    it(`auto prefers Digest ${algorithm} over an offered Basic, reuses the nonce with nc counting up`, async () => {
      const cam = await startFakeCamera({ auth: { algorithm, offerBasic: true } });
      const h = start([camera(cam)], await dir());
      try {
        await h.until((s) => s.counts.ok >= 3);
      } finally {
        await h.stop();
        await cam.close();
      }
      assert.ok(
        cam.requests.every((r) => !r.authorization?.startsWith('Basic')),
        'Basic sent over plain http',
      );
      const first = cam.digestOk[0]!;
      assert.equal(first.algorithm, algorithm);
      assert.deepEqual(
        cam.digestOk.slice(0, 3).map((x) => [x.nonce, x.nc]),
        [
          [first.nonce, 1],
          [first.nonce, 2],
          [first.nonce, 3],
        ],
      );
      // One 401 at the start, then one request per poll.
      assert.equal(cam.requests.length, cam.digestOk.length + 1);
    });
  }

  it('a stale nonce is renewed without counting a failure', async () => {
    const cam = await startFakeCamera({ auth: { algorithm: 'SHA-256' } });
    const h = start([camera(cam)], await dir());
    try {
      await h.until((s) => s.counts.ok >= 2);
      cam.expireNonces();
      const okBefore = h.status()[0]!.counts.ok;
      await h.until((s) => s.counts.ok >= okBefore + 2);
    } finally {
      await h.stop();
      await cam.close();
    }
    const st = h.status()[0]!;
    assert.equal(st.counts.auth, 0);
    assert.equal(new Set(cam.digestOk.map((x) => x.nonce)).size, 2);
    assert.ok(cam.digestOk.some((x) => x.nc === 1 && x.nonce !== cam.digestOk[0]!.nonce));
  });

  it('a wrong password, a missing user, or digest asked of a Basic camera count as auth', async () => {
    const digestCam = await startFakeCamera({ auth: { algorithm: 'MD5' } });
    const basicCam = await startFakeCamera({ auth: 'basic' });
    const cams = [
      camera(digestCam, { camera: 'wrong-pw', password: 'nope' }),
      camera(digestCam, { camera: 'no-user', user: undefined, password: undefined }),
      camera(basicCam, { camera: 'digest-only', auth: 'digest' }),
      camera(basicCam, { camera: 'basic-wrong', auth: 'basic', password: 'nope' }),
    ];
    const h = start(cams, await dir());
    try {
      for (const c of cams) await h.until((s) => s.camera === c.camera && s.counts.auth >= 2);
    } finally {
      await h.stop();
      await digestCam.close();
      await basicCam.close();
    }
    for (const s of h.status()) {
      assert.equal(s.counts.ok, 0, s.camera);
      assert.equal(s.lastError?.kind, 'auth', s.camera);
    }
    assert.ok(basicCam.requests.every((r) => !(r.authorization ?? '').startsWith('Digest')));
    const digestOnly = h.status().find((s) => s.camera === 'digest-only')!;
    assert.match(digestOnly.lastError!.message, /digest/);
  });
});

describe('snapshot puller: ONVIF', () => {
  it('finds the snapshot URL (clock from the camera, UsernameToken digest) and fetches it with Digest', async () => {
    // The camera's clock is 3 h off ours: a token stamped with our time would be refused.
    const cam = await startFakeCamera({ auth: { algorithm: 'SHA-256' }, onvifClockOffsetMs: 3 * 3600_000 });
    const h = start(
      [
        camera(cam, {
          url: undefined,
          onvif: { url: `${cam.url}/onvif/device_service`, profile: 'SubStream' },
        }),
      ],
      await dir(),
    );
    try {
      await h.until((s) => s.counts.ok >= 2);
      const st = h.status()[0]!;
      assert.equal(st.url, `${cam.url}${cam.snapshotPath}?profile=SubStream&x=1`);
      assert.deepEqual(
        cam.onvifRequests.map((r) => [r.action, r.authorized]),
        [
          ['GetSystemDateAndTime', false],
          ['GetCapabilities', true],
          ['GetProfiles', true],
          ['GetSnapshotUri', true],
        ],
      );
      // The resolved URL is cached: no more SOAP while pulls succeed.
      const soap = cam.onvifRequests.length;
      await h.until((s) => s.counts.ok >= 4);
      assert.equal(cam.onvifRequests.length, soap);
      // After a failure the URL is asked for again.
      cam.faults = ['500', 'ok'];
      await h.until((s) => s.counts['http-error'] >= 1);
      const okNow = h.status()[0]!.counts.ok;
      await h.until((s) => s.counts.ok >= okNow + 1);
      assert.equal(cam.onvifRequests.length, soap + 4);
    } finally {
      await h.stop();
      await cam.close();
    }
  });

  it('uses the first profile when none is named; a wrong password is an auth failure', async () => {
    const cam = await startFakeCamera();
    const h = start(
      [
        camera(cam, { camera: 'first', url: undefined, onvif: { url: `${cam.url}/onvif/device_service` } }),
        camera(cam, {
          camera: 'bad',
          url: undefined,
          password: 'nope',
          onvif: { url: `${cam.url}/onvif/device_service` },
        }),
      ],
      await dir(),
    );
    try {
      await h.until((s) => s.camera === 'first' && s.counts.ok >= 1);
      await h.until((s) => s.camera === 'bad' && s.counts.auth >= 1);
    } finally {
      await h.stop();
      await cam.close();
    }
    const [first, bad] = h.status();
    assert.match(first!.url ?? '', /profile=MainStream/);
    assert.equal(bad!.counts.ok, 0);
    assert.match(bad!.lastError!.message, /ONVIF/);
  });
});

describe('snapshot puller: schedule and backoff (fake clock)', () => {
  /** A clock that only moves when the puller sleeps. */
  function fakeTime(t0: number): { clock: Clock; sleep: PullerOptions['sleep'] } {
    let t = t0;
    return {
      clock: { now: () => new Date(t) },
      sleep: async (ms) => {
        t += ms;
        await new Promise((r) => setImmediate(r));
      },
    };
  }

  async function pollTimes(faults: Fault[], random: number, polls: number): Promise<number[]> {
    const cam = await startFakeCamera();
    cam.faults = faults;
    const t0 = 60_000 * 28_333_334 + 12_345;
    const { clock, sleep } = fakeTime(t0);
    const times: number[] = [];
    let done!: () => void;
    const enough = new Promise<void>((r) => (done = r));
    const h = start(
      [camera(cam, { user: undefined, password: undefined, intervalS: 60, timeoutMs: 2000 })],
      await dir(),
      {
        clock,
        sleep,
        random: () => random,
        maxBackoffMs: 10 * 60_000,
        onStatus: (_c, s) => {
          if (s.nextPollAt && times.at(-1) !== s.nextPollAt.getTime()) times.push(s.nextPollAt.getTime());
          if (times.length >= polls) done();
        },
      },
    );
    await enough;
    await h.stop();
    await cam.close();
    return times.slice(0, polls).map((t) => t - boundaryAtOrAfter(t0, 60_000));
  }

  it('polls on minute boundaries, backs off 1, 1, 2 intervals (jitter 0.5), back to 1 on success', async () => {
    const s = 1000;
    assert.deepEqual(await pollTimes(['500', '500', '500', 'ok'], 0.5, 6), [
      0,
      60 * s,
      120 * s,
      240 * s,
      300 * s,
      360 * s,
    ]);
  });

  it('never waits less than the interval, nor more than the cap (10 min)', async () => {
    const times = await pollTimes(['500'], 0.999, 9);
    const gaps = times.slice(1).map((t, i) => (t - times[i]!) / 1000);
    assert.deepEqual(gaps, [60, 120, 240, 480, 600, 600, 600, 600]);
    const low = await pollTimes(['500'], 0, 5);
    assert.deepEqual(
      low.slice(1).map((t, i) => (t - low[i]!) / 1000),
      [60, 60, 60, 60],
    );
  });
});

async function waitFor(pred: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 10));
  }
}
