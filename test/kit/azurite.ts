import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './ports.js';

/**
 * A throw-away Azure Blob server for tests: Azurite (npm, Microsoft's emulator) on loopback with
 * its well-known development account, data in a temp dir, telemetry off, removed at `stop()`.
 */
export interface TestAzurite {
  /** http://127.0.0.1:<port>/devstoreaccount1 */
  blobEndpoint: string;
  connectionString: string;
  accountName: string;
  accountKey: string;
  /** Stop the server (a store that went away); `start()` brings it back on the same port and data. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

/** Azurite's documented development account (public; only ever valid against an emulator). */
const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Azurite's blob server script, found as Node finds the package (this file also runs from dist/). */
function azuriteBin(): string | undefined {
  try {
    const pkgPath = createRequire(import.meta.url).resolve('azurite/package.json');
    const bin = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin: Record<string, string> }).bin[
      'azurite-blob'
    ];
    return bin ? join(dirname(pkgPath), bin) : undefined;
  } catch {
    return undefined;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((r) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      r(true);
    });
    c.once('error', () => r(false));
  });
}

export async function startTestAzurite(): Promise<TestAzurite> {
  const bin = azuriteBin();
  if (!bin || !existsSync(bin))
    throw new Error('azurite is not installed (npm ci installs it: a devDependency)');
  const dir = await mkdtemp(join(tmpdir(), 'outpost-azurite-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const start = async (): Promise<void> => {
    const args = [
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--location',
      dir,
      '--silent',
      '--disableTelemetry',
      '--skipApiVersionCheck',
    ];
    // The server dies with this process where setpriv can see to it (a crashed test leaves none).
    const c = existsSync('/usr/bin/setpriv')
      ? spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', process.execPath, bin, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child = c;
    const t0 = Date.now();
    while (!(await listening(port))) {
      if (c.exitCode !== null || Date.now() - t0 > 30_000)
        throw new Error(`Azurite did not start on port ${port}:\n${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stopServer = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(t);
  };
  try {
    await start();
  } catch (e) {
    await stopServer();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const blobEndpoint = `http://127.0.0.1:${port}/${ACCOUNT}`;
  return {
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};BlobEndpoint=${blobEndpoint};`,
    accountName: ACCOUNT,
    accountKey: KEY,
    stopServer,
    startServer: start,
    async stop() {
      await stopServer();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
