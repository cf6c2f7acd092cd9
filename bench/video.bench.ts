/**
 * `npm run bench:video` (issue 17): exporting time ranges and trimming clips.
 *   joinRatio            wall time of `exportRange` over one hour of 10 s recorded segments
 *                        (640×360 with sound, smart cut at both ends, item placed) ÷ 3600 s;
 *                        target ≤ 0.01. Baseline: a plain `ffmpeg -f concat -c copy` of the same
 *                        360 files, reported as rawJoinS and ourJoinVsRaw.
 *   smartCutRatio        a trim of a 10-minute 1080p clip with non-keyframe in and out points, ours
 *                        (smart cut) ÷ a full libx264 `veryfast` re-encode of the same range.
 *   reencodedFramesPerCut  the most frames re-encoded at one cut; ≤ gopFrames (the source's GOP).
 *   firstPlayMs          an hour's export asked for in the API → its first frame playable in headless
 *                        Chromium, watched while it is made (fragmented copy); target ≤ 2000.
 * Ends with one JSON line {"bench":"video", ...}. VIDEO_BENCH_CLIP_S shortens the clip (default 600).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock, systemClock } from '../src/adapters/clock.js';
import { addUser } from '../src/auth/users.js';
import type { Catalog } from '../src/library/catalog/open.js';
import type { Drive } from '../src/library/drive.js';
import type { MediaAnalyzer } from '../src/media/types.js';
import { buildApp } from '../src/server/app.js';
import { startServer } from '../src/server/server.js';
import { createVideoApi } from '../src/video/control.js';
import { CHROMIUM, launchBrowser } from '../test/kit/browser.js';
import { nodeProcessRunner } from '../src/adapters/process-runner.js';
import { DEFAULT_NAME_TEMPLATE } from '../src/core/naming.js';
import { openCatalog } from '../src/library/catalog/open.js';
import { initDrive } from '../src/library/drive.js';
import { createMediaAnalyzer } from '../src/media/analyzer.js';
import { keyframeExpr } from '../src/recorder/capture-command.js';
import { placeSegment } from '../src/recorder/segment-item.js';
import { exportRange } from '../src/video/export-range.js';
import { joinPieces } from '../src/video/join.js';

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const round = (n: number, d = 4): number => Number(n.toFixed(d));
const ff = (args: string[]): void => {
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
};
const time = async (fn: () => Promise<unknown> | unknown): Promise<number> => {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
};

async function joinHour(
  work: string,
): Promise<{ joinRatio: number; ourS: number; rawS: number; frames: number; firstPlayMs: number | null }> {
  const T0 = Date.parse('2026-11-21T14:00:00Z');
  log('join: making one hour of 10 s segments (one encoded, 360 distinct copies)');
  const one = join(work, 'one');
  mkdirSync(one, { recursive: true });
  // 10 s of recorder-style video with sound, then 360 files of it with distinct bytes (a tag).
  ff([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x360:rate=25',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    '10',
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-tune',
    'zerolatency',
    '-crf',
    '28',
    '-pix_fmt',
    'yuv420p',
    '-force_key_frames',
    keyframeExpr(10),
    '-c:a',
    'aac',
    '-b:a',
    '96k',
    join(one, 'seg.mp4'),
  ]);
  const drive = await initDrive(join(work, 'drive'), { now: new Date(T0) });
  const rec = join(work, 'rec');
  mkdirSync(rec, { recursive: true });
  const cat = await openCatalog(drive.layout.catalog);
  const analyzer = createMediaAnalyzer({ runner: nodeProcessRunner });
  const files: string[] = [];
  try {
    for (let i = 0; i < 360; i++) {
      const f = join(rec, `${String(i).padStart(6, '0')}.mp4`);
      ff(['-i', join(one, 'seg.mp4'), '-map', '0', '-c', 'copy', '-metadata', `comment=segment ${i}`, f]);
      const startMs = T0 + i * 10_000;
      const placed = await placeSegment(
        cat,
        drive.layout,
        {
          path: f,
          camera: 'gate',
          startMs,
          endMs: startMs + 10_000,
          index: i,
          runId: 'bench',
          runStartS: i * 10,
          runEndS: i * 10 + 10,
        },
        {
          runner: nodeProcessRunner,
          analyzer,
          clock: fixedClock(new Date(T0)),
          timeZone: 'UTC',
          nameTemplate: DEFAULT_NAME_TEMPLATE,
          thumbnailSize: 160,
          previewSize: 640,
        },
      );
      files.push(join(drive.layout.root, placed.item.path));
    }
    log('join: plain ffmpeg concat -c copy of the 360 files (baseline)');
    const list = join(work, 'raw.txt');
    writeFileSync(list, files.map((f) => `file '${f}'`).join('\n') + '\n');
    const rawS = await time(() =>
      ff(['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', join(work, 'raw.mp4')]),
    );
    log(`  raw ${rawS.toFixed(2)} s`);
    log('join: ours, 14:00:05.32 → 14:59:54.68 (smart cut at both ends, placed as an item)');
    let frames = 0;
    const ourS = await time(async () => {
      const r = await exportRange(
        cat,
        drive.layout,
        { camera: 'gate', fromMs: T0 + 5_320, toMs: T0 + 3_594_680, mode: 'smart' },
        {
          runner: nodeProcessRunner,
          analyzer,
          clock: fixedClock(new Date(T0 + 3_600_000)),
          timeZone: 'UTC',
          nameTemplate: DEFAULT_NAME_TEMPLATE,
          thumbnailSize: 160,
          previewSize: 640,
          lowPriority: false,
        },
      );
      frames = r.join.frames;
    });
    log(`  ours ${ourS.toFixed(2)} s, ${frames} frames`);
    const firstPlayMs = await firstPlay(cat, drive, analyzer);
    return { joinRatio: round(ourS / 3600, 5), ourS, rawS, frames, firstPlayMs };
  } finally {
    await cat.close();
  }
}

/**
 * Asking for an hour's export in the web app's API → its first frame playable in Chromium, from the
 * fragmented copy sent as the join runs (GET /api/video/exports/:id/stream). Null without Chromium.
 */
async function firstPlay(cat: Catalog, drive: Drive, analyzer: MediaAnalyzer): Promise<number | null> {
  if (!existsSync(CHROMIUM)) {
    log('firstPlayMs: skipped (no /usr/bin/chromium)');
    return null;
  }
  const T0 = Date.parse('2026-11-21T14:00:00Z');
  const video = createVideoApi(cat, drive.layout, {
    runner: nodeProcessRunner,
    analyzer,
    clock: systemClock,
    timeZone: 'UTC',
    nameTemplate: DEFAULT_NAME_TEMPLATE,
    thumbnailSize: 160,
    previewSize: 640,
    lowPriority: false,
  });
  const app = await buildApp({
    catalog: cat,
    drive,
    files: { root: drive.layout.root },
    node: 'bench',
    clock: systemClock,
    video,
  });
  const { url } = await startServer(app, { host: '127.0.0.1', port: 0 });
  const b = await launchBrowser();
  try {
    await addUser(cat, { name: 'bench', role: 'editor', password: 'bench-password-123', now: new Date() });
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
      body: JSON.stringify({ name: 'bench', password: 'bench-password-123' }),
    });
    const session = /outpost_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
    if (!session) throw new Error(`login failed: ${login.status}`);
    const headers = {
      cookie: `outpost_session=${session}`,
      'x-outpost-csrf': '1',
      'content-type': 'application/json',
    };
    await b.context.addCookies([{ name: 'outpost_session', value: session, url }]);
    log('firstPlay: an hour (14:00:07.3 → 14:59:51.2) asked for, watched while it is made');
    const t0 = performance.now();
    const res = await fetch(`${url}/api/video/exports`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        camera: 'gate',
        from: new Date(T0 + 7_300).toISOString(),
        to: new Date(T0 + 3_591_200).toISOString(),
      }),
    });
    const job = (await res.json()) as { id: string };
    for (;;) {
      const list = (await (await fetch(`${url}/api/video/exports`, { headers })).json()) as {
        exports: { id: string; streaming?: boolean; state: string }[];
      };
      const j = list.exports.find((x) => x.id === job.id);
      if (j?.streaming || j?.state === 'done') {
        log(`  streaming after ${Math.round(performance.now() - t0)} ms`);
        break;
      }
      if (j?.state === 'failed') throw new Error('the export failed');
      await new Promise((r) => setTimeout(r, 25));
    }
    await b.page.goto(`${url}/api/video/exports/${job.id}/stream`, { waitUntil: 'commit' });
    // A string: evaluated in the page (this file is compiled without the DOM types).
    await b.page.waitForFunction(
      "(() => { const v = document.querySelector('video'); return !!v && v.readyState >= 2; })()",
      undefined,
      {
        timeout: 60_000,
        polling: 20,
      },
    );
    const ms = Math.round(performance.now() - t0);
    log(`  first frame playable after ${ms} ms`);
    for (;;) {
      const list = (await (await fetch(`${url}/api/video/exports`, { headers })).json()) as {
        exports: { id: string; state: string }[];
      };
      if (list.exports.find((x) => x.id === job.id)?.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return ms;
  } finally {
    await b.close();
    await video.close();
    await app.close();
  }
}

async function smartCut(work: string): Promise<{
  smartCutRatio: number;
  ourS: number;
  fullS: number;
  reencodedFramesPerCut: number;
  gopFrames: number;
}> {
  const clipS = Number(process.env.VIDEO_BENCH_CLIP_S ?? 600);
  log(`smart cut: making a ${clipS} s 1080p clip (GOP 2 s, B-frames)`);
  const src = join(work, 'clip.mp4');
  ff([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1920x1080:rate=25',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    String(clipS),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    '50',
    '-bf',
    '2',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    src,
  ]);
  // Non-keyframe points well inside the clip, whatever its length.
  const inS = Math.min(37.32, clipS * 0.1 + 0.32);
  const outS = clipS - Math.min(22.68, clipS * 0.1 + 0.68);
  log('smart cut: ours');
  let reencoded: number[] = [];
  let gopFrames = 0;
  const ourS = await time(async () => {
    const r = await joinPieces(
      {
        pieces: [{ path: src, inS, outS, videoS: clipS, audioS: clipS }],
        mode: 'smart',
        out: join(work, 'smart.mp4'),
      },
      { runner: nodeProcessRunner, tmpDir: work, lowPriority: false },
    );
    reencoded = r.reencodedPerCut;
    gopFrames = r.gopFrames;
  });
  log(`  ours ${ourS.toFixed(1)} s, re-encoded ${reencoded.join(' + ')} frames`);
  log('smart cut: full libx264 veryfast re-encode of the same range (baseline)');
  const fullS = await time(() =>
    ff([
      '-ss',
      String(inS),
      '-i',
      src,
      '-t',
      String(outS - inS),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-c:a',
      'copy',
      join(work, 'full.mp4'),
    ]),
  );
  log(`  full ${fullS.toFixed(1)} s`);
  return {
    smartCutRatio: round(ourS / fullS),
    ourS,
    fullS,
    reencodedFramesPerCut: Math.max(0, ...reencoded),
    gopFrames,
  };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'outpost-bench-video-'));
  try {
    const j = await joinHour(join(work, 'join'));
    const s = await smartCut(work);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'video',
        joinRatio: j.joinRatio,
        joinS: round(j.ourS, 2),
        rawJoinS: round(j.rawS, 2),
        ourJoinVsRaw: round(j.ourS / j.rawS, 2),
        joinFrames: j.frames,
        smartCutRatio: s.smartCutRatio,
        smartCutS: round(s.ourS, 2),
        fullReencodeS: round(s.fullS, 2),
        reencodedFramesPerCut: s.reencodedFramesPerCut,
        gopFrames: s.gopFrames,
        firstPlayMs: j.firstPlayMs,
      })}\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
