/**
 * A camera's network stream end to end: the station's RTSP relay (started on first use), a real
 * Recorder whose ffmpeg records segments and publishes H.264 to it, and ffprobe playing it over
 * TCP as a lab tool would, while the recording goes on undisturbed. The same camera in a fleet
 * session (RecorderRecordingPort) reports the address players use for the manifest.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../../src/adapters/clock.js';
import { silentLogger } from '../../../src/adapters/logger.js';
import { cameraPlanSchema, sessionPlanSchema } from '../../../src/fleet/protocol.js';
import { initDrive, type Drive } from '../../../src/library/drive.js';
import { Recorder } from '../../../src/recorder/recorder.js';
import { RecorderRecordingPort } from '../../../src/station/fleet-recording.js';
import { createStationRtsp, type StationRtsp } from '../../../src/station/rtsp.js';
import { realRecorderDeps } from '../../kit/recorder.js';
import { run } from '../recorder/rtsp-kit.js';

let base: string;
let drive: Drive;
let rtsp: StationRtsp;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'outpost-rtsp-camera-'));
  drive = await initDrive(join(base, 'drive'), { now: new Date() });
  rtsp = createStationRtsp(
    { rtsp: { host: '127.0.0.1', port: 0, maxPlayers: 4, advertiseHost: '127.0.0.1' } },
    silentLogger,
  );
});

after(async () => {
  await rtsp.close();
  await rm(base, { recursive: true, force: true });
});

const probe = (url: string) =>
  run('ffprobe', [
    '-v',
    'error',
    '-rtsp_transport',
    'tcp',
    '-show_entries',
    'stream=codec_name,width,height',
    '-of',
    'json',
    url,
  ]);

describe(
  'a camera streamed over RTSP while it records (real relay, ffmpeg, ffprobe)',
  { timeout: 90_000 },
  () => {
    it('plays the camera turned as recorded, and the segments keep coming', async () => {
      const { publish, play } = await rtsp.urls('cam');
      assert.match(play, /^rtsp:\/\/127\.0\.0\.1:\d+\/cam$/);
      assert.ok(!play.includes('token'), 'players are not told the publishing secret');
      const r = new Recorder(
        {
          name: 'cam',
          source: 'testsrc:?size=320x240&rate=10',
          mode: 'continuous',
          segmentSeconds: 1,
          copy: 'auto',
          stallSeconds: 10,
          transform: { rotation: 90 },
          rtspUrl: publish,
        },
        { minFreeBytes: 0, deleteUnsent: false, ringRoot: join(base, 'ring') },
        drive,
        realRecorderDeps(),
      );
      const segments: string[] = [];
      r.on('segment', (s) => segments.push(s.path));
      await r.start();
      try {
        let streams: { codec_name: string; width: number; height: number }[] = [];
        for (let i = 0; i < 10 && !streams.length; i++) {
          const p = await probe(play);
          if (p.code === 0) streams = (JSON.parse(p.stdout) as { streams: typeof streams }).streams;
          else await new Promise((res) => setTimeout(res, 500));
        }
        assert.deepEqual(streams, [{ codec_name: 'h264', width: 240, height: 320 }]);
        const before = segments.length;
        await new Promise((res) => setTimeout(res, 2500));
        assert.ok(segments.length >= before + 1, `segments went on: ${before} → ${segments.length}`);
        assert.equal(r.status().restarts, 0, r.status().lastExit ?? '');
      } finally {
        await r.stop();
      }
    });

    it('a session camera with rtsp: the stream address is reported for the manifest', async () => {
      const port = new RecorderRecordingPort({
        cameras: ['lab'],
        drive,
        settings: { minFreeBytes: 0, deleteUnsent: false, ringRoot: join(base, 'ring') },
        deps: realRecorderDeps(),
        clock: systemClock,
        log: silentLogger,
        rtsp: (camera) => rtsp.urls(camera),
        prepareMs: 1500,
      });
      const plan = cameraPlanSchema.parse({
        camera: 'lab',
        source: 'testsrc:?size=320x240&rate=10',
        mode: 'continuous',
        segmentSeconds: 1,
        rtsp: true,
        live: false,
      });
      const at = new Date(Date.now() + 2000);
      const session = sessionPlanSchema.parse({
        id: 'sess_rtsp_0001',
        group: 'lab',
        name: 'streamed',
        startAt: at.toISOString(),
        maxDurationS: 60,
        cameras: [plan],
      });
      const h = await port.start(plan, session, at, {
        segment: () => undefined,
        gap: () => undefined,
        failed: () => undefined,
      });
      try {
        assert.match(h.applied?.rtspUrl ?? '', /^rtsp:\/\/127\.0\.0\.1:\d+\/lab$/);
        const p = await probe(h.applied!.rtspUrl!);
        assert.equal(p.code, 0, p.stderr);
        assert.match(p.stdout, /"codec_name": "h264"/);
      } finally {
        await h.stop();
        await port.close();
      }
    });
  },
);
