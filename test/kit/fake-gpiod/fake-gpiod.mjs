#!/usr/bin/env node
/**
 * A fake GPIO chip behind fake libgpiod tools (gpioset, gpiomon, gpioinfo), for tests without a
 * GPIO chip. Its state is a directory, $FAKE_GPIO_DIR:
 *   - levels.log: every level an output line was driven to, `<wall ms, µs precision> <line> <0|1>`;
 *   - edges.in:  the test appends `<line> <rising|falling> <realtime ns>` to raise an input edge
 *     (the timestamp the kernel would have given it); gpiomon prints it in its version's format;
 *   - argv.log:  every tool's command line.
 * $FAKE_GPIO_VERSION is 1 or 2; $FAKE_GPIO_INTERACTIVE=0 makes a v2 gpioset without --interactive.
 */
import { appendFileSync, existsSync, openSync, readSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setInterval } from 'node:timers';

const dir = process.env.FAKE_GPIO_DIR ?? '/tmp';
const version = process.env.FAKE_GPIO_VERSION === '1' ? 1 : 2;
const interactiveBuilt = process.env.FAKE_GPIO_INTERACTIVE !== '0';
const [tool, ...args] = process.argv.slice(2);
const nowMs = () => performance.timeOrigin + performance.now();
appendFileSync(join(dir, 'argv.log'), `${tool} ${args.join(' ')}\n`);

function level(line, v) {
  appendFileSync(join(dir, 'levels.log'), `${nowMs().toFixed(3)} ${line} ${v}\n`);
}
function busySleepUs(us) {
  const end = performance.now() + us / 1000;
  if (us > 5000) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, us / 1000 - 2);
  while (performance.now() < end);
}
function periodUs(text) {
  const m = /^(\d+)(us|ms|s)?$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 's' ? 1e6 : m[2] === 'us' ? 1 : 1000);
}

if (args[0] === '--version') {
  console.log(`${tool} (libgpiod) v${version === 1 ? '1.6.3' : '2.1.3'}`);
  process.exit(0);
}
if (args[0] === '--help') {
  console.log(`Usage: ${tool} [OPTIONS] <line=value>...`);
  if (version === 2 && interactiveBuilt)
    console.log('  -i, --interactive\tset the lines then wait for additional set commands');
  process.exit(0);
}

if (tool === 'gpioinfo') {
  console.log('gpiochip0 - 28 lines:');
  for (let i = 0; i < 28; i++)
    console.log(`\tline ${String(i).padStart(3)}:     "GPIO${i}"       unused   input  active-high`);
  process.exit(0);
}

if (tool === 'gpioset') {
  const opts = { interactive: false, toggle: undefined, usec: 0, mode: 'exit' };
  const lv = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-c') i++;
    else if (a === '-i' || a === '--interactive') opts.interactive = true;
    else if (a === '-t') opts.toggle = args[++i].split(',').map(periodUs);
    else if (a.startsWith('--usec=')) opts.usec = Number(a.slice(7));
    else if (a.startsWith('--mode=')) opts.mode = a.slice(7);
    else if (/^\d+=\d$/.test(a)) lv.push(a.split('=').map(Number));
  }
  if (opts.interactive && (version === 1 || !interactiveBuilt)) {
    console.error(`${tool}: unrecognized option '-i'`);
    process.exit(1);
  }
  for (const [l, v] of lv) level(l, v);
  if (opts.mode === 'time') busySleepUs(opts.usec);
  if (opts.toggle) {
    // Toggle after each period; a last period of 0 exits.
    for (const p of opts.toggle) {
      if (p === 0) break;
      busySleepUs(p);
      for (const x of lv) level(x[0], (x[1] = 1 - x[1]));
    }
  }
  if (!opts.interactive) {
    if (opts.mode === 'signal') setInterval(() => undefined, 1 << 30);
    else process.exit(0);
  } else {
    const prompt = () => process.stdout.write('gpioset> ');
    prompt();
    let rest = '';
    process.stdin.on('data', (b) => {
      rest += b.toString();
      let nl;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const words = rest.slice(0, nl).trim().split(/\s+/);
        rest = rest.slice(nl + 1);
        if (words[0] === 'set') for (const w of words.slice(1)) level(...w.split('=').map(Number));
        else if (words[0] === 'sleep') busySleepUs(periodUs(words[1]) ?? 0);
        else if (words[0] === 'exit') process.exit(0);
        prompt();
      }
    });
    // Like the real one, end-of-input does not end it (it waits for `exit` or a signal).
  }
}

if (tool === 'gpiomon') {
  const file = join(dir, 'edges.in');
  if (!existsSync(file)) appendFileSync(file, '');
  const fd = openSync(file, 'r');
  let pos = fstatSync(fd).size;
  const monoOffsetNs = BigInt(Math.round(nowMs() * 1e6)) - process.hrtime.bigint();
  const watched = new Set(args.filter((a) => /^\d+$/.test(a)).slice(version === 1 ? 0 : 0));
  let rest = '';
  setInterval(() => {
    const size = fstatSync(fd).size;
    if (size <= pos) return;
    const buf = Buffer.alloc(size - pos);
    readSync(fd, buf, 0, buf.length, pos);
    pos = size;
    rest += buf.toString();
    let nl;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const [line, edge, ns] = rest.slice(0, nl).trim().split(/\s+/);
      rest = rest.slice(nl + 1);
      if (!watched.has(line)) continue;
      const real = BigInt(ns);
      if (version === 2) {
        const s = real / 1_000_000_000n;
        const n = String(real % 1_000_000_000n).padStart(9, '0');
        process.stdout.write(`${line} ${edge === 'rising' ? 1 : 2} ${s}.${n}\n`);
      } else {
        const mono = real - monoOffsetNs;
        process.stdout.write(
          `${line} ${edge === 'rising' ? 1 : 0} ${mono / 1_000_000_000n} ${mono % 1_000_000_000n}\n`,
        );
      }
    }
  }, 2);
  process.on('SIGINT', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}
