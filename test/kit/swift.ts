import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

/**
 * A throw-away S3 server for tests: OpenStack Swift from Debian's packages, one node on loopback
 * (account, container and object servers and a proxy with the s3api and tempauth middlewares),
 * rings built at start in a temp dir, everything removed at `stop()`. A real S3 implementation
 * with real quirks (no aws-chunked uploads, no SHA-256 checksums, DeleteObjects needs
 * Content-MD5), not an emulator of our own.
 */
export interface TestSwift {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  region: string;
  /** tempauth's S3 credentials: access key `account:user`, secret the user's key. */
  accessKeyId: string;
  secretAccessKey: string;
  /** Give a bucket a quota in bytes (Swift's container quota, set through Swift's own API). */
  setQuota(bucket: string, bytes: number): Promise<void>;
  /**
   * An object's headers as Swift itself has them (lower-case names), e.g. `x-static-large-object`
   * of an object completed from a multipart upload: what S3 does not show.
   */
  swiftHeaders(bucket: string, key: string): Promise<Record<string, string>>;
  /** Stop the proxy (a server that went away); `startProxy()` brings it back on the same port. */
  stopProxy(): Promise<void>;
  startProxy(): Promise<void>;
  stop(): Promise<void>;
}

const run = promisify(execFile);
const SERVERS = ['account', 'container', 'object'] as const;

/** Whether Swift's servers are installed (scripts/system-deps.sh installs them with OUTPOST_DEV=1). */
export function swiftInstalled(): boolean {
  return ['swift-proxy-server', 'swift-object-server', 'swift-ring-builder'].every((b) =>
    existsSync(`/usr/bin/${b}`),
  );
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

async function waitListening(port: number, what: string, log: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!(await listening(port))) {
    if (Date.now() - t0 > ms) {
      const tail = await readFile(log, 'utf8').catch(() => '');
      throw new Error(`Swift ${what} did not start on port ${port}:\n${tail.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const common = (dir: string, port: number): string => `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
user = ${userInfo().username}
swift_dir = ${dir}
devices = ${join(dir, 'srv')}
mount_check = false
log_level = WARNING
`;

const storageConf = (dir: string, port: number, kind: string): string => `${common(dir, port)}
[pipeline:main]
pipeline = ${kind}-server

[app:${kind}-server]
use = egg:swift#${kind}

[${kind}-replicator]
[${kind}-updater]
[${kind}-auditor]
`;

const proxyConf = (dir: string, port: number, account: string, user: string, key: string): string =>
  `${common(dir, port)}
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy container-quotas slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:tempauth]
use = egg:swift#tempauth
user_${account}_${user} = ${key} .admin

[filter:s3api]
use = egg:swift#s3api
location = us-east-1

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:container-quotas]
use = egg:swift#container_quotas
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
`;

export async function startTestSwift(): Promise<TestSwift> {
  if (!swiftInstalled())
    throw new Error(
      'OpenStack Swift is not installed (apt-get install swift-proxy swift-object swift-container ' +
        'swift-account; scripts/system-deps.sh does it with OUTPOST_DEV=1)',
    );
  const dir = await mkdtemp(join(tmpdir(), 'outpost-swift-'));
  await mkdir(join(dir, 'srv', 'd1'), { recursive: true });
  await writeFile(
    join(dir, 'swift.conf'),
    `[swift-hash]\nswift_hash_path_suffix = outpost-test\nswift_hash_path_prefix = outpost-test\n` +
      `[storage-policy:0]\nname = Policy-0\ndefault = yes\n`,
  );
  const ports = { account: 0, container: 0, object: 0, proxy: 0 };
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  // The three rings in one Python process (swift-ring-builder would take nine).
  const rings = SERVERS.map(
    (kind) =>
      `b = RingBuilder(1, 1, 1)\n` +
      `b.add_dev({'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': ${ports[kind]}, 'device': 'd1', 'weight': 100})\n` +
      `b.rebalance()\nb.get_ring().save(${JSON.stringify(join(dir, `${kind}.ring.gz`))})\n`,
  );
  await run('/usr/bin/python3', ['-c', `from swift.common.ring import RingBuilder\n${rings.join('')}`]);
  for (const kind of SERVERS)
    await writeFile(join(dir, `${kind}-server.conf`), storageConf(dir, ports[kind], kind));
  const account = 'outpost';
  const user = 'station';
  const key = `key-${Math.random().toString(36).slice(2)}`;
  await writeFile(join(dir, 'proxy-server.conf'), proxyConf(dir, ports.proxy, account, user, key));

  const children = new Map<string, ChildProcess>();
  // The servers die with this process (a crashed test leaves no Swift behind).
  const pdeath = existsSync('/usr/bin/setpriv');
  const start = async (kind: string, port: number): Promise<void> => {
    const log = join(dir, `${kind}.log`);
    const bin = `swift-${kind}-server`;
    const conf = join(dir, `${kind}-server.conf`);
    const fd = openSync(log, 'a');
    const child = pdeath
      ? spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', bin, conf], { stdio: ['ignore', fd, fd] })
      : spawn(bin, [conf], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    children.set(kind, child);
    await waitListening(port, kind, log);
  };
  const stopOne = async (kind: string): Promise<void> => {
    const c = children.get(kind);
    children.delete(kind);
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(t);
  };
  try {
    // In parallel: each Python server takes seconds to import its code.
    await Promise.all([...SERVERS.map((k) => start(k, ports[k])), start('proxy', ports.proxy)]);
  } catch (e) {
    for (const k of [...children.keys()]) await stopOne(k);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  /**
   * Run `line` with `c`, Swift's internal client (a proxy pipeline without auth, in-process):
   * tempauth hands out Swift tokens only with a memcached, which the tests do not run.
   */
  async function internal(line: string, args: string[]): Promise<string> {
    const conf = join(dir, 'internal-client.conf');
    await writeFile(
      conf,
      `[DEFAULT]\nswift_dir = ${dir}\nuser = ${userInfo().username}\n\n[pipeline:main]\n` +
        `pipeline = catch_errors proxy-server\n\n[app:proxy-server]\nuse = egg:swift#proxy\n` +
        `account_autocreate = true\n\n[filter:catch_errors]\nuse = egg:swift#catch_errors\n`,
    );
    const { stdout } = await run('/usr/bin/python3', [
      '-c',
      "import sys, json\nfrom swift.common.internal_client import InternalClient\nc = InternalClient(sys.argv[1], 'outpost-test', 1)\n" +
        line +
        '\n',
      conf,
      account,
      ...args,
    ]);
    return stdout;
  }
  return {
    endpoint: `http://127.0.0.1:${ports.proxy}`,
    region: 'us-east-1',
    accessKeyId: `${account}:${user}`,
    secretAccessKey: key,
    async setQuota(bucket, bytes) {
      await internal(
        "c.set_container_metadata('AUTH_' + sys.argv[2], sys.argv[3], {'X-Container-Meta-Quota-Bytes': sys.argv[4]})",
        [bucket, String(bytes)],
      );
    },
    async swiftHeaders(bucket, key) {
      const out = await internal(
        "print(json.dumps({k.lower(): v for k, v in c.get_object_metadata('AUTH_' + sys.argv[2], sys.argv[3], sys.argv[4], metadata_prefix='').items()}))",
        [bucket, key],
      );
      return JSON.parse(out) as Record<string, string>;
    },
    stopProxy: () => stopOne('proxy'),
    startProxy: () => start('proxy', ports.proxy),
    async stop() {
      for (const k of [...children.keys()]) await stopOne(k);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
