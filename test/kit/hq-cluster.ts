import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outpost } from './cli.js';
import { OUTPOST_BIN } from './paths.js';
import { freePort } from './ports.js';

/** One `outpost hq` process of a cluster: killed and started again on the same port. */
export interface HqNode {
  name: string;
  port: number;
  url: string;
  /** SIGKILL (a node that dies mid-request); resolves once it is gone. */
  kill(): Promise<void>;
  start(): Promise<void>;
  alive(): boolean;
  /** The running process's id (undefined when it is not running). */
  pid(): number | undefined;
}

export interface HqCluster {
  nodes: HqNode[];
  /** The round-robin balancer in front of the nodes (no sticky sessions). */
  url: string;
  /** A station key, made with `outpost hq keys add` on the shared catalogue. */
  key(station: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A TCP balancer on loopback: each new connection goes to the next node in turn; a node that
 * refuses is skipped. A connection stays on its node (HTTP keep-alive), as with real balancers.
 */
async function roundRobin(ports: number[]): Promise<{ port: number; close(): Promise<void> }> {
  let next = 0;
  const live = new Set<Socket>();
  const server: Server = createServer((client) => {
    live.add(client);
    client.on('close', () => live.delete(client));
    client.pause();
    const tryNode = (tries: number): void => {
      const port = ports[next++ % ports.length]!;
      const up = connect(port, '127.0.0.1');
      up.once('connect', () => {
        live.add(up);
        up.on('close', () => live.delete(up));
        client.pipe(up).on('error', () => client.destroy());
        up.pipe(client).on('error', () => up.destroy());
        client.on('close', () => up.destroy());
        up.on('close', () => client.destroy());
        client.on('error', () => up.destroy());
        up.on('error', () => client.destroy());
        client.resume();
      });
      up.once('error', () => {
        if (up.readyState === 'open') return;
        if (tries + 1 < ports.length) tryNode(tries + 1);
        else client.destroy();
      });
    };
    tryNode(0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of live) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * Several `outpost hq` processes on one PostgreSQL database and one object store (the config
 * `extraConfig` gives: `hq.objects`), each with its own data directory and node name, behind a
 * round-robin balancer.
 */
export async function startHqCluster(o: {
  count: number;
  databaseUrl: string;
  /** YAML lines under `hq:` after `database:` (e.g. the `objects:` block), indented by 2. */
  hqYaml: string[];
}): Promise<HqCluster> {
  const work = await mkdtemp(join(tmpdir(), 'outpost-hq-cluster-'));
  const nodes: HqNode[] = [];
  for (let i = 0; i < o.count; i++) {
    const name = `hq-${String.fromCharCode(97 + i)}`;
    const port = await freePort();
    const cfg = join(work, `${name}.yaml`);
    const data = join(work, name);
    await writeFile(
      cfg,
      [
        `node: ${name}`,
        'log: { level: warn }',
        'station:',
        '  clock:',
        `    stateFile: ${join(work, `${name}-clock.json`)}`,
        'hq:',
        `  database: "${o.databaseUrl}"`,
        ...o.hqYaml,
        '',
      ].join('\n'),
    );
    let child: ChildProcess | undefined;
    let out = '';
    const node: HqNode = {
      name,
      port,
      url: `http://127.0.0.1:${port}`,
      alive: () => !!child && child.exitCode === null && child.signalCode === null,
      pid: () => (node.alive() ? child?.pid : undefined),
      async start() {
        out = '';
        const c = spawn(OUTPOST_BIN, ['hq', '--data', data, '--port', String(port), '--host', '127.0.0.1'], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, OUTPOST_CONFIG: cfg, TZ: 'UTC' },
        });
        child = c;
        c.stderr!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-4000)));
        await new Promise<void>((ok, fail) => {
          const t = setTimeout(() => fail(new Error(`${name} did not start:\n${out}`)), 30_000);
          c.stdout!.on('data', (b: Buffer) => {
            if (/outpost hq listening on/.test(b.toString())) {
              clearTimeout(t);
              ok();
            }
          });
          c.once('exit', (code) => {
            clearTimeout(t);
            fail(new Error(`${name} exited (${code}):\n${out}`));
          });
        });
      },
      async kill() {
        const c = child;
        if (!c || c.exitCode !== null || c.signalCode !== null) return;
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await gone;
      },
    };
    nodes.push(node);
  }
  // One at a time: the first start migrates the shared catalogue.
  for (const n of nodes) await n.start();
  const balancer = await roundRobin(nodes.map((n) => n.port));
  return {
    nodes,
    url: `http://127.0.0.1:${balancer.port}`,
    async key(station) {
      const r = await outpost(
        ['hq', 'keys', 'add', station, '--data', join(work, nodes[0]!.name), '--json'],
        {
          env: { OUTPOST_CONFIG: join(work, `${nodes[0]!.name}.yaml`) },
        },
      );
      if (r.code !== 0) throw new Error(`keys add: ${r.stderr}`);
      return (JSON.parse(r.stdout) as { key: string }).key;
    },
    async stop() {
      await balancer.close();
      for (const n of nodes) {
        await n.kill();
      }
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** The `hq.objects` lines (under `hq:`) for an S3 bucket: `hqYaml` of startHqCluster. */
export function s3ObjectsYaml(s: {
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
}): string[] {
  return [
    '  objects:',
    '    kind: s3',
    `    endpoint: ${s.endpoint}`,
    `    region: ${s.region}`,
    `    bucket: ${s.bucket}`,
    `    prefix: ${s.prefix}`,
    `    accessKeyId: "${s.accessKeyId}"`,
    `    secretAccessKey: "${s.secretAccessKey}"`,
  ];
}
