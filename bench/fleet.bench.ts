/**
 * bench:fleet — the fleet conductor with 50 station agents on the embedded broker (loopback):
 *   startSkewP99Ms     spread of the agents' actual start instants around the scheduled one, p99
 *                      over 5 sessions × 50 agents (target ≤ 5 ms)
 *   ackP50Ms, ackP99Ms session sent → each station's answer (target ≤ 50 / ≤ 250 ms)
 *   rawEchoP50Ms       baseline: the same fan-out in raw MQTT (50 clients echo a message sent
 *                      to each at once), p50; ackRatio = ackP50Ms ÷ rawEchoP50Ms
 *   offlineDetectS     a station process frozen (SIGSTOP: socket open, silent) → shown offline,
 *                      keepalive 2 s (target ≤ 1.5 × keepalive = 3 s); killedDetectS for SIGKILL
 *   firstFrameSpreadMs six `outpost fleet agent` processes recording `testsrc:` (10 fps) started
 *                      by one session: spread of their first frames, against one frame period
 * The agents' camera device is the test kit's fake (no video): this measures the protocol.
 * Ends with one JSON line {"bench":"fleet", ...}.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MqttClient } from 'mqtt';
import { connectMqtt } from '../src/adapters/mqtt-client.js';
import { startEmbeddedBroker } from '../src/adapters/mqtt-broker.js';
import { ROOT, plan, startAgent, startConductor, until } from '../test/kit/fleet.js';
import { OUTPOST_BIN } from '../test/kit/paths.js';

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const round2 = (x: number): number => Math.round(x * 100) / 100;
const quick = process.argv.includes('--quick');
const AGENTS = 50;
const SESSIONS = quick ? 2 : 5;
const KEEPALIVE_S = 2;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

/**
 * Baseline: the same fan-out in raw MQTT. `n` clients each echo what arrives on their own topic;
 * one client sends to all `n` at once and notes when each echo is back (ms), `rounds` times.
 */
async function rawFanOut(url: string, n: number, rounds: number): Promise<number[]> {
  const ready = (c: MqttClient): Promise<void> =>
    new Promise((r) => (c.connected ? r() : c.once('connect', () => r())));
  const echoes = Array.from({ length: n }, (_, i) => connectMqtt({ url }, { clientId: `bench-echo-${i}` }));
  const sender = connectMqtt({ url }, { clientId: 'bench-echo-sender' });
  await Promise.all([...echoes, sender].map(ready));
  await Promise.all(
    echoes.map(async (c, i) => {
      await c.subscribeAsync(`bench/echo/${i}`, { qos: 1 });
      c.on('message', (_t, p) => c.publish('bench/back', p, { qos: 1 }));
    }),
  );
  await sender.subscribeAsync('bench/back', { qos: 1 });
  const out: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const t0 = performance.now();
    let got = 0;
    const all = new Promise<void>((r) => {
      const on = (): void => {
        out.push(performance.now() - t0);
        if (++got === n) {
          sender.off('message', on);
          r();
        }
      };
      sender.on('message', on);
    });
    await Promise.all(
      echoes.map((_, i) => sender.publishAsync(`bench/echo/${i}`, JSON.stringify({ k, i }), { qos: 1 })),
    );
    await all;
  }
  await Promise.all([...echoes, sender].map((c) => c.endAsync()));
  return out;
}

/** Seconds from `signal` to the conductor showing the station offline. */
async function offlineAfter(
  url: string,
  c: Awaited<ReturnType<typeof startConductor>>,
  station: string,
  signal: NodeJS.Signals,
): Promise<number> {
  const script = resolve(import.meta.dirname, 'lib', 'fleet-agent-proc.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, url, station, String(KEEPALIVE_S)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((r, j) => {
    child.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && r());
    child.once('exit', (code) => j(new Error(`agent process exited (${code})`)));
  });
  await until(
    () => !!c.conductor.list().find((x) => x.station === station)?.online,
    5000,
    `${station} online`,
  );
  const t0 = performance.now();
  child.kill(signal);
  await until(
    () => c.conductor.list().find((x) => x.station === station)?.online === false,
    20_000,
    `${station} offline`,
  );
  const s = (performance.now() - t0) / 1000;
  child.kill('SIGKILL');
  return s;
}

/**
 * Six `outpost fleet agent` processes, each with its own library drive and a `testsrc:` camera
 * (320×240, 10 fps: one frame is 100 ms), started by one session: the spread of their first
 * frames (ms) around the scheduled instant.
 */
async function firstFrames(
  url: string,
  c: Awaited<ReturnType<typeof startConductor>>,
): Promise<{ spreadMs: number; afterInstantMs: number[] }> {
  const work = mkdtempSync(join(tmpdir(), 'outpost-bench-fleet-'));
  const procs: ChildProcess[] = [];
  try {
    const stations = Array.from({ length: 6 }, (_, i) => `rec-${i + 1}`);
    for (const s of stations) {
      const lib = join(work, s);
      execFileSync(OUTPOST_BIN, ['init-drive', lib], { stdio: 'ignore' });
      const p = spawn(
        OUTPOST_BIN,
        ['fleet', 'agent', '--library', lib, '--station', s, '--broker', url, '--root', ROOT],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      procs.push(p);
      await new Promise<void>((r, j) => {
        p.stdout!.on('data', (b: Buffer) => b.toString().includes('outpost fleet agent') && r());
        p.once('exit', (code) => j(new Error(`agent ${s} exited (${code})`)));
      });
    }
    await until(
      () => stations.every((s) => c.conductor.list().find((x) => x.station === s)?.online),
      10_000,
      'recording agents online',
    );
    const r = await c.conductor.startSession({
      group: 'bench',
      name: 'first-frames',
      plans: new Map(
        stations.map((s) => [s, [{ ...plan(), source: 'testsrc:?size=320x240&rate=10', segmentSeconds: 2 }]]),
      ),
      maxDurationS: 4,
      startDelayS: 3,
    });
    if (r.accepted.length !== 6) throw new Error(`recording agents: ${JSON.stringify(r)}`);
    const startMs = Date.parse(r.session.startAt);
    const starts = () => c.events.filter((e) => e.kind === 'started' && e.session === r.session.id);
    await until(() => starts().length === 6, 30_000, 'six first frames');
    const firsts = starts().map((e) => (e.kind === 'started' ? Date.parse(e.actualAt) : NaN));
    await until(
      () => c.events.filter((e) => e.kind === 'stopped' && e.session === r.session.id).length === 6,
      20_000,
      'six stops',
    );
    return {
      spreadMs: Math.max(...firsts) - Math.min(...firsts),
      afterInstantMs: firsts.map((f) => f - startMs).sort((a, b) => a - b),
    };
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const broker = await startEmbeddedBroker({ port: 0 });
  const agents = Array.from({ length: AGENTS }, (_, i) =>
    startAgent(broker.url, `st-${String(i + 1).padStart(2, '0')}`),
  );
  const c = await startConductor(broker.url);
  try {
    await until(
      () => c.conductor.list().filter((s) => s.online).length === AGENTS,
      15_000,
      'all agents online',
    );
    log(`bench:fleet: ${AGENTS} agents online on the embedded broker`);
    const echo = await rawFanOut(broker.url, AGENTS, SESSIONS);
    const skews: number[] = [];
    const acks: number[] = [];
    for (let k = 0; k < SESSIONS; k++) {
      const plans = new Map(agents.map((a) => [a.station, [plan()]]));
      const r = await c.conductor.startSession({
        group: 'bench',
        name: `s${k}`,
        plans,
        maxDurationS: 60,
        startDelayS: 2,
      });
      if (r.accepted.length !== AGENTS)
        throw new Error(
          `only ${r.accepted.length} accepted: ${JSON.stringify(r.refused)} silent ${r.silent.join(',')}`,
        );
      acks.push(...Object.values(r.answerMs));
      const startMs = Date.parse(r.session.startAt);
      await until(
        () => agents.every((a) => a.cameras.recordings.some((x) => x.session === r.session.id)),
        10_000,
        'all started',
      );
      for (const a of agents) {
        const rec = a.cameras.recordings.find((x) => x.session === r.session.id)!;
        skews.push(Math.abs(rec.firstFrameMs - startMs));
      }
      const stop = await c.conductor.stopSession(r.session.id);
      if (stop.silent.length) throw new Error(`stop: silent ${stop.silent.join(',')}`);
      log(
        `session ${k + 1}/${SESSIONS}: answers p50 ${pct(Object.values(r.answerMs), 50).toFixed(1)} ms, start skew max ${Math.max(...skews.slice(-AGENTS))} ms`,
      );
    }
    const frozen = await offlineAfter(broker.url, c, 'frozen', 'SIGSTOP');
    const killed = await offlineAfter(broker.url, c, 'killed', 'SIGKILL');
    const ff = await firstFrames(broker.url, c);
    log(
      `six testsrc recorders: first frames spread over ${ff.spreadMs} ms (one frame: 100 ms); after the instant: ${ff.afterInstantMs.join(', ')} ms`,
    );
    log(
      `offline: frozen station after ${frozen.toFixed(2)} s (keepalive ${KEEPALIVE_S} s), killed after ${killed.toFixed(2)} s`,
    );
    const ackP50 = pct(acks, 50);
    const rawP50 = pct(echo, 50);
    const result = {
      bench: 'fleet',
      quick,
      agents: AGENTS,
      sessions: SESSIONS,
      startSkewP99Ms: round2(pct(skews, 99)),
      startSkewMaxMs: round2(Math.max(...skews)),
      ackP50Ms: round2(ackP50),
      ackP99Ms: round2(pct(acks, 99)),
      rawEchoP50Ms: round2(rawP50),
      ackRatio: round2(ackP50 / rawP50),
      keepaliveS: KEEPALIVE_S,
      offlineDetectS: round2(frozen),
      killedDetectS: round2(killed),
      firstFrameSpreadMs: ff.spreadMs,
      firstFrameAfterInstantMs: ff.afterInstantMs,
      framePeriodMs: 100,
      notBuilt: [],
      targets: { startSkewP99Ms: 5, ackP50Ms: 50, ackP99Ms: 250, offlineDetectS: 1.5 * KEEPALIVE_S },
      met: {
        startSkewP99Ms: pct(skews, 99) <= 5,
        ackP50Ms: ackP50 <= 50,
        ackP99Ms: pct(acks, 99) <= 250,
        offlineDetectS: frozen <= 1.5 * KEEPALIVE_S,
      },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await c.close();
    await Promise.all(agents.map((a) => a.close()));
    await broker.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    log(String((e as Error).stack ?? e));
    process.exit(1);
  },
);
