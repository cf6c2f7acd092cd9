/**
 * rtspOutputArgs with real ffmpeg 5.1 beside a recorded output: the network stream must never end
 * the recording. A relay that is not there at start, or that goes away mid-stream, leaves the
 * file whole (tee onfail=ignore); a plain rtsp output is shown to end ffmpeg (why tee is the
 * default). Encoded and stream-copied sources both reach players through the relay.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../src/adapters/logger.js';
import { rtspOutputArgs } from '../../../src/recorder/live/rtsp-output.js';
import { RtspRelay } from '../../../src/recorder/live/rtsp/relay.js';
import { freePort } from '../../kit/ports.js';
import { countFrames, RawRtspClient, run, until } from './rtsp-kit.js';

/** ffmpeg: `input` → output A (an MP4 file, `seconds` long) and the network stream. */
function recordWithStream(input: string[], file: string, stream: string[], seconds: number) {
  // prettier-ignore
  return run('ffmpeg', [
    '-hide_banner', '-loglevel', 'warning', '-nostdin', ...input,
    '-map', '0:v:0', '-c:v', 'libx264', '-preset', 'ultrafast', '-t', String(seconds), '-y', file,
    ...stream,
  ], 60_000);
}

const LAVFI = ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10'];

describe('rtspOutputArgs with real ffmpeg: the stream never ends the recording', { timeout: 120_000 }, () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'outpost-rtsp-out-'))));
  after(async () => rm(dir, { recursive: true, force: true }));

  it('relay not listening: through tee the recording completes; a plain rtsp output ends ffmpeg', async () => {
    const port = await freePort(); // nothing listens there
    const url = `rtsp://127.0.0.1:${port}/cam`;
    const teeFile = join(dir, 'tee.mp4');
    // -t on the stream output too, so ffmpeg ends when the file does.
    const r = await recordWithStream(LAVFI, teeFile, ['-t', '3', ...rtspOutputArgs({ url, copy: false })], 3);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Slave muxer #0 failed/);
    assert.ok(countFrames(teeFile) >= 29, 'the whole 3 s recorded');

    const plainFile = join(dir, 'plain.mp4');
    const p = await recordWithStream(
      LAVFI,
      plainFile,
      ['-t', '3', ...rtspOutputArgs({ url, copy: false, survive: false })],
      3,
    );
    assert.notEqual(p.code, 0, 'ffmpeg 5.1 gives up on all outputs when the rtsp one cannot connect');
  });

  it('relay up, then gone mid-stream: players saw the stream; the recording completes', async () => {
    const relay = new RtspRelay({}, silentLogger);
    const { port } = await relay.listen(0, '127.0.0.1');
    const url = `rtsp://127.0.0.1:${port}/cam`;
    const file = join(dir, 'mid.mp4');
    const rec = recordWithStream(LAVFI, file, ['-t', '6', ...rtspOutputArgs({ url, copy: false })], 6);
    let closed = false;
    try {
      await until(() => relay.status()[0]?.publishing === true, 10_000, 'the stream');
      const c = await RawRtspClient.open(port);
      const d = await c.request('DESCRIBE', url);
      assert.match(d.body, /sprop-parameter-sets=/, 'global headers reach the SDP through tee');
      await c.play(port, 'cam');
      await until(() => c.frames > 10, 5000, 'RTP at a player');
      c.close();
      await relay.close();
      closed = true;
      const r = await rec;
      assert.equal(r.code, 0, r.stderr);
      assert.ok(countFrames(file) >= 59, 'the whole 6 s recorded');
    } finally {
      if (!closed) await relay.close();
    }
  });

  it('an H.264 source is stream-copied to the relay and plays (ffprobe 320x240)', async () => {
    const src = join(dir, 'src.mp4');
    // prettier-ignore
    const mk = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i',
      'testsrc2=size=320x240:rate=10', '-t', '8', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-y', src]);
    assert.equal(mk.code, 0, mk.stderr);
    const relay = new RtspRelay({}, silentLogger);
    const { port } = await relay.listen(0, '127.0.0.1');
    try {
      const url = `rtsp://127.0.0.1:${port}/copy`;
      const args = rtspOutputArgs({ url, copy: true });
      assert.ok(args.includes('copy'));
      const rec = recordWithStream(['-re', '-i', src], join(dir, 'copy-rec.mp4'), args, 8);
      await until(() => relay.status()[0]?.publishing === true, 10_000, 'the stream');
      // prettier-ignore
      const probe = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp',
        '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', url]);
      assert.equal(probe.code, 0, probe.stderr);
      assert.equal(probe.stdout.trim(), 'h264,320,240');
      const r = await rec;
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await relay.close();
    }
  });
});
