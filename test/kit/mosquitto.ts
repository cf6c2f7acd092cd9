import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { makeServerCert, makeTestCa } from './tls.js';

/**
 * A throw-away MQTT broker for tests: Mosquitto from Debian's package (no system service), one
 * listener on a free loopback port, config, password file and logs in a temp dir, everything
 * removed at `stop()`. The fleet's tests run on the embedded aedes broker; this is the broker a
 * deployment is likely to run instead, with its own quirks.
 */
export interface TestMosquitto {
  /** mqtt://127.0.0.1:<port>, or mqtts:// with `tls` */
  url: string;
  port: number;
  /** With `tls`: the PEM file of the private CA that signed the broker's certificate. */
  caFile?: string;
  /** Kill the broker and remove its temp dir. */
  stop(): Promise<void>;
  /**
   * Kill the broker (a broker that went away), wait `downMs`, and start it again on the same
   * port.
   */
  restart(downMs?: number): Promise<void>;
}

const run = promisify(execFile);
const BIN = '/usr/sbin/mosquitto';
const PASSWD = '/usr/bin/mosquitto_passwd';

/** Whether Mosquitto is installed (scripts/system-deps.sh installs it with OUTPOST_DEV=1). */
export function mosquittoInstalled(): boolean {
  return existsSync(BIN);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/**
 * `username`/`password`: the only account, anonymous clients refused; without them anyone may
 * connect. `tls`: the listener speaks TLS only (mqtts://), with a certificate for 127.0.0.1 and
 * localhost signed by a private CA made for this broker (`caFile`).
 */
export async function startTestMosquitto(
  o: { username?: string; password?: string; tls?: boolean } = {},
): Promise<TestMosquitto> {
  if (!mosquittoInstalled())
    throw new Error(
      'Mosquitto is not installed (apt-get install mosquitto; scripts/system-deps.sh does it with OUTPOST_DEV=1)',
    );
  const dir = await mkdtemp(join(tmpdir(), 'outpost-mosquitto-'));
  const log = join(dir, 'mosquitto.log');
  // What Mosquitto says before its log file is open (config errors, the warning about root).
  const out = join(dir, 'stderr.log');
  const conf = join(dir, 'mosquitto.conf');
  let port: number;
  let caFile: string | undefined;
  try {
    port = await freePort();
    const lines = [`listener ${port} 127.0.0.1`, 'persistence false', `log_dest file ${log}`];
    if (o.tls) {
      const ca = await makeTestCa(dir);
      const server = await makeServerCert(dir, ca);
      caFile = ca.certFile;
      // Settings of the listener above (Mosquitto applies them to the last listener defined).
      lines.push(`cafile ${ca.certFile}`, `certfile ${server.certFile}`, `keyfile ${server.keyFile}`);
    }
    // Started as root, Mosquitto 2 switches to the user `mosquitto` (and then cannot open its log in
    // a temp dir of root's, and goes on without one) unless the config names root.
    if (process.getuid?.() === 0) lines.push('user root');
    if (o.username !== undefined) {
      const pw = join(dir, 'passwd');
      await run(PASSWD, ['-b', '-c', pw, o.username, o.password ?? '']);
      lines.push('allow_anonymous false', `password_file ${pw}`);
    } else lines.push('allow_anonymous true');
    await writeFile(conf, `${lines.join('\n')}\n`);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }

  let child: ChildProcess | undefined;
  // The broker dies with this process (a crashed test leaves no Mosquitto behind).
  const pdeath = existsSync('/usr/bin/setpriv');
  const tail = async (): Promise<string> => {
    const [a, b] = await Promise.all([
      readFile(out, 'utf8').catch(() => ''),
      readFile(log, 'utf8').catch(() => ''),
    ]);
    return `${a}${b}`.slice(-2000);
  };
  const start = async (): Promise<void> => {
    const fd = openSync(out, 'a');
    const c = pdeath
      ? spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', BIN, '-c', conf], { stdio: ['ignore', fd, fd] })
      : spawn(BIN, ['-c', conf], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child = c;
    let exited: string | undefined;
    c.once('exit', (code, signal) => (exited = `exited (${signal ?? code})`));
    c.once('error', (e) => (exited = `could not run (${e.message})`));
    const t0 = Date.now();
    while (!(await listening(port))) {
      const why = exited ?? (Date.now() - t0 > 10_000 ? 'did not listen within 10 s' : undefined);
      if (why) {
        await stopProcess();
        throw new Error(`Mosquitto on port ${port} ${why}:\n${await tail()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stopProcess = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 3_000);
    await gone;
    clearTimeout(t);
  };
  try {
    await start();
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url: `${o.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    ...(caFile ? { caFile } : {}),
    async stop() {
      await stopProcess();
      await rm(dir, { recursive: true, force: true });
    },
    async restart(downMs = 0) {
      await stopProcess();
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
  };
}
