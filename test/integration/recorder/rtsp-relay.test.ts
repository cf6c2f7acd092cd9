/**
 * The RTSP relay with real ffmpeg on loopback: ffmpeg publishes testsrc2 (H.264, RTSP/TCP),
 * ffprobe and ffmpeg play it back over TCP interleaved; two players at once; a player that never
 * reads does not hold up the others; UDP is refused (461), unknown paths 404, garbage closes only
 * its own connection, a vanished publisher closes its players; publishing is guarded (token,
 * loopback). Then the same with a fake publisher pushing as fast as it can, to measure what a
 * stuck player costs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../src/adapters/logger.js';
import { isH264KeyframeStart } from '../../../src/recorder/live/rtsp/h264.js';
import { RtspRelay } from '../../../src/recorder/live/rtsp/relay.js';
import {
  countFrames,
  FAKE_SDP,
  RawRtspClient,
  run,
  startFastPublisher,
  startPublisher,
  until,
  type ProcResult,
} from './rtsp-kit.js';

const TOKEN = 'c0ffee0123456789';

describe('RTSP relay: real ffmpeg publisher and players on loopback', { timeout: 180_000 }, () => {
  let relay: RtspRelay;
  let port: number;
  let dir: string;
  let pub: ReturnType<typeof startPublisher>;
  const url = (path = 'cam'): string => `rtsp://127.0.0.1:${port}/${path}`;
  const status = (path = 'cam') => relay.status().find((s) => s.path === path);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outpost-rtsp-'));
    relay = new RtspRelay(
      { publishToken: (path) => (path === 'cam' || path === 'gone' ? TOKEN : undefined), maxPlayers: 4 },
      silentLogger,
    );
    ({ port } = await relay.listen(0, '127.0.0.1'));
    pub = startPublisher(`${url()}?token=${TOKEN}`);
    await until(() => status()?.publishing === true && status()!.bytesIn > 0, 15_000, 'the publisher');
  });

  after(async () => {
    pub?.proc.kill('SIGKILL');
    await relay?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ffprobe over TCP sees H.264 320x240', async () => {
    const r = await run('ffprobe', [
      '-v',
      'error',
      '-rtsp_transport',
      'tcp',
      '-show_entries',
      'stream=codec_name,width,height',
      '-of',
      'json',
      url(),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = (JSON.parse(r.stdout) as { streams: { codec_name: string; width: number; height: number }[] })
      .streams;
    assert.deepEqual(s, [{ codec_name: 'h264', width: 320, height: 240 }]);
  });

  it('two ffmpeg players record 2 s each at once (≥ 15 frames each), relay counts both', async () => {
    const rec = (name: string) =>
      run('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-rtsp_transport',
        'tcp',
        '-i',
        url(),
        '-t',
        '2',
        '-c',
        'copy',
        '-y',
        join(dir, name),
      ]);
    let maxPlayers = 0;
    const poll = setInterval(() => (maxPlayers = Math.max(maxPlayers, status()?.players ?? 0)), 50);
    const before = status()!.bytesOut;
    const [a, b] = await Promise.all([rec('a.mp4'), rec('b.mp4')]);
    clearInterval(poll);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const fa = countFrames(join(dir, 'a.mp4'));
    const fb = countFrames(join(dir, 'b.mp4'));
    assert.ok(fa >= 15, `a: ${fa} frames`);
    assert.ok(fb >= 15, `b: ${fb} frames`);
    assert.equal(maxPlayers, 2);
    assert.ok(status()!.bytesOut > before, 'bytes relayed grew');
  });

  it('a new player’s first RTP packet starts a keyframe (sprop-parameter-sets in the SDP)', async () => {
    const c = await RawRtspClient.open(port);
    try {
      const d = await c.request('DESCRIBE', url());
      assert.equal(d.status, 200);
      assert.match(d.body, /sprop-parameter-sets=/);
      assert.match(d.body, /a=control:trackID=0/);
      assert.doesNotMatch(d.body, new RegExp(TOKEN), 'the publisher token never reaches players');
      assert.equal(d.headers.get('content-base'), `${url()}/`);
      await c.play(port, 'cam');
      await until(() => c.firstRtp !== undefined, 5000, 'the first RTP packet');
      assert.equal(isH264KeyframeStart(c.firstRtp!), true);
    } finally {
      c.close();
    }
  });

  it('a player that never reads does not stall an ffmpeg player; its packets are dropped', async () => {
    const stuck = await RawRtspClient.open(port);
    await stuck.play(port, 'cam');
    stuck.socket.pause(); // never reads again: the kernel buffers fill, then the relay's bound
    const r = await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-rtsp_transport',
      'tcp',
      '-i',
      url(),
      '-t',
      '2',
      '-c',
      'copy',
      '-y',
      join(dir, 'c.mp4'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const n = countFrames(join(dir, 'c.mp4'));
    assert.ok(n >= 15, `${n} frames beside a stuck player`);
    stuck.close();
  });

  it('refuses UDP with 461 and a reason; plain ffprobe falls back to TCP', async () => {
    const c = await RawRtspClient.open(port);
    try {
      assert.equal((await c.request('DESCRIBE', url())).status, 200);
      const s = await c.request('SETUP', `${url()}/trackID=0`, {
        Transport: 'RTP/AVP;unicast;client_port=5000-5001',
      });
      assert.equal(s.status, 461);
      assert.match(s.headers.get('x-reason') ?? '', /TCP/);
      const m = await c.request('SETUP', `${url()}/trackID=0`, { Transport: 'RTP/AVP/TCP;multicast' });
      assert.equal(m.status, 461);
    } finally {
      c.close();
    }
    // ffmpeg's default tries UDP first and moves to TCP on 461.
    const r = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name',
      '-of',
      'csv=p=0',
      url(),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'h264');
  });

  it('404 for an unknown path (DESCRIBE, SETUP, ffprobe), 454 for a wrong session, 455 out of order', async () => {
    const c = await RawRtspClient.open(port);
    try {
      assert.equal((await c.request('DESCRIBE', url('nope'))).status, 404);
      const s = await c.request('SETUP', `${url('nope')}/trackID=0`, {
        Transport: 'RTP/AVP/TCP;interleaved=0-1',
      });
      assert.equal(s.status, 404);
      assert.equal((await c.request('PLAY', url(), { Session: 'deadbeef' })).status, 454);
      assert.equal((await c.request('PLAY', url())).status, 454, 'PLAY before SETUP: no session');
      assert.equal((await c.request('RECORD', url())).status, 455);
      assert.equal((await c.request('FLY', url())).status, 501);
      assert.equal((await c.request('OPTIONS', '*')).status, 200, 'the connection still works');
    } finally {
      c.close();
    }
    const r = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', url('nope')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /404/);
  });

  it('limits players: the fifth SETUP gets 453', async () => {
    const held: RawRtspClient[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const c = await RawRtspClient.open(port);
        held.push(c);
        await c.play(port, 'cam');
      }
      const extra = await RawRtspClient.open(port);
      held.push(extra);
      const s = await extra.request('SETUP', `${url()}/trackID=0`, {
        Transport: 'RTP/AVP/TCP;interleaved=0-1',
      });
      assert.equal(s.status, 453);
    } finally {
      for (const c of held) c.close();
    }
    await until(() => status()?.players === 0, 3000, 'players gone');
  });

  it('garbage, HTTP, huge heads and floods close only their own connection', async () => {
    const sendRaw = (bytes: Buffer): Promise<string> =>
      new Promise((resolve) => {
        let got = '';
        const s = connect(port, '127.0.0.1', () => s.write(bytes));
        s.on('data', (d: Buffer) => (got += d.toString('latin1')));
        s.on('error', () => undefined);
        s.on('close', () => resolve(got));
        setTimeout(() => s.destroy(), 3000);
      });
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) % 251;
    junk[0] = 0x47; // not '$', not a method
    const replies = await Promise.all([
      sendRaw(junk),
      sendRaw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')),
      sendRaw(Buffer.from(`OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX: ${'a'.repeat(100_000)}\r\n\r\n`)),
      sendRaw(Buffer.from('ANNOUNCE rtsp://h/x RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 99999999\r\n\r\n')),
    ]);
    assert.match(replies[0]!, /^RTSP\/1\.0 400 /);
    assert.match(replies[1]!, /^RTSP\/1\.0 400 /);
    assert.match(replies[2]!, /^RTSP\/1\.0 400 /);
    assert.match(replies[3]!, /^RTSP\/1\.0 413 /);
    // `$` frames from a non-publisher are read and ignored; the connection stays usable.
    const c = await RawRtspClient.open(port);
    c.socket.write(Buffer.from([0x24, 0, 0, 3, 1, 2, 3]));
    assert.equal((await c.request('OPTIONS', '*')).status, 200);
    c.close();
    // The stream is still served.
    assert.equal(status()?.publishing, true);
    const r = await run('ffprobe', [
      '-v',
      'error',
      '-rtsp_transport',
      'tcp',
      '-show_entries',
      'stream=width',
      url(),
    ]);
    assert.equal(r.code, 0, r.stderr);
  });

  it('publishing needs the token', async () => {
    const noToken = await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=5',
      '-t',
      '1',
      '-c:v',
      'libx264',
      '-f',
      'rtsp',
      '-rtsp_transport',
      'tcp',
      url('gone'),
    ]);
    assert.notEqual(noToken.code, 0);
    assert.match(noToken.stderr, /403/);
    assert.equal(status('gone'), undefined, 'no path made');
  });

  it('refuses a publisher that is not on loopback, even with the token', async (t) => {
    const lan = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!lan) return t.skip('no non-loopback IPv4 address on this machine');
    const r2 = new RtspRelay({}, silentLogger);
    const { port: p2 } = await r2.listen(0, '0.0.0.0');
    try {
      const c = await new Promise<RawRtspClient>((resolve, reject) => {
        const s = connect(p2, lan);
        s.once('connect', () => resolve(RawRtspClient.wrap(s)));
        s.once('error', reject);
      });
      const a = await c.request(
        'ANNOUNCE',
        `rtsp://${lan}:${p2}/cam`,
        { 'Content-Type': 'application/sdp' },
        'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n',
      );
      assert.equal(a.status, 403);
      c.close();
    } finally {
      await r2.close();
    }
  });

  it('when the publisher goes, its players get EOF and the path is gone', async () => {
    const p2 = startPublisher(`${url('gone')}?token=${TOKEN}`);
    try {
      await until(() => status('gone')?.publishing === true, 15_000, 'the second publisher');
      const raw = await RawRtspClient.open(port);
      await raw.play(port, 'gone');
      const player = run('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-rtsp_transport',
        'tcp',
        '-i',
        url('gone'),
        '-c',
        'copy',
        '-f',
        'null',
        '-',
      ]);
      await until(() => status('gone')?.players === 2 && raw.frames > 5, 10_000, 'two players');
      p2.proc.kill('SIGKILL');
      const t0 = Date.now();
      await raw.closed;
      const r: ProcResult = await player;
      assert.ok(Date.now() - t0 < 5000, `players closed in ${Date.now() - t0} ms`);
      assert.notEqual(r.code, null, 'ffmpeg player ended by itself');
      assert.equal(status('gone'), undefined);
      assert.equal(status()?.publishing, true, 'the other path goes on');
    } finally {
      p2.proc.kill('SIGKILL');
    }
  });
});

describe('RTSP relay: a second publisher on a path', { timeout: 30_000 }, () => {
  it('is refused (403) when no token guards the path; the first one goes on', async () => {
    const relay = new RtspRelay({}, silentLogger);
    const { port } = await relay.listen(0, '127.0.0.1');
    try {
      const first = await startFastPublisher(port, 'cam');
      const second = await RawRtspClient.open(port);
      const a = await second.request(
        'ANNOUNCE',
        `rtsp://127.0.0.1:${port}/cam`,
        { 'Content-Type': 'application/sdp' },
        FAKE_SDP,
      );
      assert.equal(a.status, 403);
      assert.match(a.headers.get('x-reason') ?? '', /already/);
      const sent = first.sent();
      await until(() => first.sent() > sent + 100, 5000, 'the first publisher going on');
      assert.equal(first.client.ended, false);
      second.close();
      await first.stop();
    } finally {
      await relay.close();
    }
  });

  it('takes over when it has the token (a restarted ffmpeg): the old publisher and its players are closed', async () => {
    const relay = new RtspRelay({ publishToken: 'tok' }, silentLogger);
    const { port } = await relay.listen(0, '127.0.0.1');
    try {
      const first = await startFastPublisher(port, 'cam?token=tok');
      const player = await RawRtspClient.open(port);
      await player.play(port, 'cam');
      await until(() => player.frames > 10, 5000, 'packets at the player');
      const second = await startFastPublisher(port, 'cam?token=tok');
      await first.client.closed;
      await player.closed;
      assert.equal(relay.status()[0]?.publishing, true);
      const again = await RawRtspClient.open(port);
      await again.play(port, 'cam');
      await until(() => again.frames > 10, 5000, 'packets from the new publisher');
      again.close();
      await second.stop();
      await first.stop();
    } finally {
      await relay.close();
    }
  });
});

describe('RTSP relay: a stuck player under a fast publisher', { timeout: 60_000 }, () => {
  it('drops the stuck player’s packets, closes it, and keeps the publisher and a good player at full pace', async () => {
    const relay = new RtspRelay({ maxPlayerQueueBytes: 64 * 1024, stuckCloseMs: 1000 }, silentLogger);
    const { port } = await relay.listen(0, '127.0.0.1');
    try {
      const pub = await startFastPublisher(port, 'fast');
      const good = await RawRtspClient.open(port);
      await good.play(port, 'fast');
      const stuck = await RawRtspClient.open(port);
      await stuck.play(port, 'fast');
      stuck.socket.pause();
      const sent0 = pub.sent();
      const t0 = Date.now();
      await until(() => relay.status()[0]!.playersClosedStuck === 1, 20_000, 'the stuck player closed');
      // A paused socket notices its end only once it reads what its buffers hold.
      stuck.socket.resume();
      await stuck.closed;
      const ms = Date.now() - t0;
      const st = relay.status()[0]!;
      const sent = pub.sent() - sent0;
      await pub.stop();
      assert.ok(st.packetsDropped > 0, 'packets dropped');
      // The good player got (nearly) everything the publisher sent after it joined.
      assert.ok(good.frames >= 0.9 * sent, `good player ${good.frames} of ${sent} packets`);
      assert.ok(stuck.frameBytes < 10_000_000, 'the stuck one got only what its buffers held');
      // The publisher was never held back: the stream went on at full speed while the stuck one hung.
      const mbps = (sent * 1404) / 1e6 / (ms / 1000);
      assert.ok(mbps > 5, `publisher pace ${mbps.toFixed(1)} MB/s`);
      console.log(
        `# stuck player closed after ${ms} ms; publisher ${mbps.toFixed(0)} MB/s; good player ${good.frames}/${sent} packets; dropped ${st.packetsDropped}`,
      );
      good.close();
    } finally {
      await relay.close();
    }
  });
});
