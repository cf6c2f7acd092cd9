/**
 * The baseline for bench:motion: Debian's `motion` daemon (4.x) watching the same clip.
 *
 * motion can read a file (`netcam_url file://…`), but then it paces itself loosely (it drifted
 * by seconds over a minute here), so its event times cannot be matched to the ground truth.
 * Instead the clip is served like a live camera: a loopback TCP server streams it in real time
 * (`ffmpeg -re … -c copy -f mpegts`, the same H.264 bytes, no re-encoding) to every connection,
 * and motion opens `tcp://127.0.0.1:<port>` through its ffmpeg-based netcam. motion opens the
 * stream more than once while it starts; the connection that receives the whole clip defines
 * clip time 0.
 *
 * CPU: utime+stime of the motion process (all threads) from /proc when the clip has been fully
 * sent. Events: `on_event_start` / `on_event_end` hooks append wall-clock stamps to a log; an
 * event's motion ends `event_gap` seconds before its end hook.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

export interface DaemonRun {
  cpuSeconds: number;
  /** Motion spans on the clip's time line. */
  events: { from: number; to: number }[];
  peakRssMB: number;
}

export interface DaemonOptions {
  clip: string;
  durationS: number;
  workDir: string;
  width: number;
  height: number;
  fps: number;
  /** Seconds of quiet that end an event (ours: mergeGapSeconds). */
  eventGap: number;
  log?: (s: string) => void;
}

const CLK_TCK = 100;

function procStat(pid: number): { cpu: number; rssKB: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(f[11]) + Number(f[12])) / CLK_TCK;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpu, rssKB: hwm ? Number(hwm[1]) : 0 };
  } catch {
    return null;
  }
}

/**
 * A motion.conf comparable to our defaults: changed pixels ≥ 0.5 % of the frame (threshold),
 * lightswitch at 50 % of the frame, a few frames in a row, same event gap; Debian's default
 * despeckle and automatic noise tuning; no pictures or movies written (detection only, as ours).
 */
export function motionConf(o: { url: string; dir: string; hook: string } & DaemonOptions): string {
  return [
    'daemon off',
    'setup_mode off',
    'log_level 6',
    `target_dir ${o.dir}`,
    `netcam_url ${o.url}`,
    `width ${o.width}`,
    `height ${o.height}`,
    `framerate ${o.fps}`,
    `threshold ${Math.round(o.width * o.height * 0.005)}`,
    'noise_tune on',
    'despeckle_filter EedDl',
    'lightswitch_percent 50',
    'lightswitch_frames 5',
    'minimum_motion_frames 3',
    `event_gap ${o.eventGap}`,
    'pre_capture 0',
    'post_capture 0',
    'picture_output off',
    'movie_output off',
    'stream_port 0',
    'webcontrol_port 0',
    // Hooks go through a script: motion would expand date's own % specifiers.
    `on_event_start ${o.hook} start`,
    `on_event_end ${o.hook} end`,
    '',
  ].join('\n');
}

interface Conn {
  at: number;
  ff: ChildProcess;
  done: Promise<number | null>;
}

function serveLive(clip: string, conns: Conn[]): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((sock: Socket) => {
      const ff = spawn(
        'ffmpeg',
        [
          '-hide_banner',
          '-nostdin',
          '-v',
          'error',
          '-re',
          '-i',
          clip,
          '-c',
          'copy',
          '-f',
          'mpegts',
          'pipe:1',
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const done = new Promise<number | null>((r) => ff.on('close', (code) => r(code)));
      conns.push({ at: Date.now() / 1000, ff, done });
      ff.stdout!.pipe(sock);
      ff.stdout!.on('end', () => sock.end());
      sock.on('error', () => ff.kill('SIGKILL'));
      sock.on('close', () => {
        if (ff.exitCode === null) ff.kill('SIGKILL');
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : 0 });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runMotionDaemon(o: DaemonOptions): Promise<DaemonRun> {
  const log = o.log ?? (() => {});
  const hookLog = join(o.workDir, 'motion-events.log');
  const hook = join(o.workDir, 'motion-hook.sh');
  writeFileSync(hook, `#!/bin/sh\necho "$1 $(date +%s.%N)" >> '${hookLog}'\n`);
  chmodSync(hook, 0o755);
  writeFileSync(hookLog, '');
  const conns: Conn[] = [];
  const { server, port } = await serveLive(o.clip, conns);
  const conf = join(o.workDir, 'motion.conf');
  writeFileSync(conf, motionConf({ ...o, url: `tcp://127.0.0.1:${port}`, dir: o.workDir, hook }));
  const motion = spawn('motion', ['-n', '-c', conf, '-l', join(o.workDir, 'motion.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  motion.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((r) => motion.on('close', () => r()));
  // If the bench is interrupted, take motion and the stream servers down with it.
  const onSignal = (): void => {
    motion.kill('SIGKILL');
    for (const c of conns) c.ff.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let peakKB = 0;
  const iv = setInterval(() => {
    const s = motion.pid ? procStat(motion.pid) : null;
    if (s) peakKB = Math.max(peakKB, s.rssKB);
  }, 200);
  try {
    // Wait for the connection that streams the whole clip (earlier ones are motion probing).
    const deadline = Date.now() + (o.durationS + 60) * 1000;
    let full: Conn | undefined;
    while (!full && Date.now() < deadline) {
      if (motion.exitCode !== null) throw new Error(`motion exited early: ${stderr.slice(-500)}`);
      for (const c of conns) {
        if (c.ff.exitCode === 0 && Date.now() / 1000 - c.at >= o.durationS * 0.95) full = c;
      }
      await sleep(100);
    }
    if (!full) throw new Error('motion never read the whole clip');
    const stat = procStat(motion.pid!);
    if (!stat) throw new Error('motion is gone before its CPU could be read');
    log(`  motion: ${conns.length} connection(s), clip streamed from t0=${full.at.toFixed(2)}`);
    // Let an event that is still open reach its end hook.
    await sleep((o.eventGap + 2) * 1000);
    const t0 = full.at;
    const events: { from: number; to: number }[] = [];
    let open: number | null = null;
    for (const line of readFileSync(hookLog, 'utf8').split('\n')) {
      const [kind, when] = line.split(' ');
      const t = Number(when) - t0;
      if (kind === 'start') open = t;
      else if (kind === 'end' && open !== null) {
        events.push({ from: open, to: Math.max(open, t - o.eventGap) });
        open = null;
      }
    }
    if (open !== null) events.push({ from: open, to: o.durationS });
    return {
      cpuSeconds: stat.cpu,
      events: events.filter((e) => e.from < o.durationS),
      peakRssMB: Math.round(peakKB / 1024),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    clearInterval(iv);
    if (motion.exitCode === null) motion.kill('SIGTERM');
    const killTimer = setTimeout(() => motion.exitCode === null && motion.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killTimer);
    for (const c of conns) if (c.ff.exitCode === null) c.ff.kill('SIGKILL');
    await Promise.all(conns.map((c) => c.done));
    server.close();
  }
}

export function motionInstalled(): boolean {
  return ['/usr/bin/motion', '/usr/local/bin/motion'].some((p) => existsSync(p));
}
