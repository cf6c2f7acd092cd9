import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../../src/adapters/clock.js';
import type { HttpLimits } from '../../../src/server/http-limits.js';
import { startServer } from '../../../src/server/server.js';
import { appFor, emptyLibrary } from './library.js';

const LIMITS: HttpLimits = {
  maxConnectionsPerAddress: 4,
  bodyIdleTimeoutMs: 1000,
  bodyGraceMs: 1000,
  bodyMinBytesPerSecond: 1024,
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A raw connection that records what the server sends and when it hangs up. */
interface Raw {
  socket: Socket;
  received: () => string;
  closed: Promise<number>;
}

async function rawConnect(port: number, localAddress = '127.0.0.1'): Promise<Raw> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  let data = '';
  socket.on('data', (b: Buffer) => (data += b.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => data, closed };
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, sleep(ms).then(() => assert.fail(`${what}: not within ${ms} ms`))]);

/** GET /api/status from `localAddress` (loopback has all of 127/8): its status code. */
function getFrom(port: number, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { port, host: '127.0.0.1', localAddress, path: '/api/status', agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe(
  'connection and request-body limits (real server on loopback, raw sockets)',
  { timeout: 60_000 },
  () => {
    let lib: Awaited<ReturnType<typeof emptyLibrary>>;
    let app: FastifyInstance;
    let port: number;
    const raws: Raw[] = [];

    before(async () => {
      lib = await emptyLibrary();
      app = await appFor(lib, { clock: systemClock });
      ({ port } = await startServer(app, { host: '127.0.0.1', port: 0, limits: LIMITS }));
    });
    after(async () => {
      for (const r of raws) r.socket.destroy();
      await app?.close();
      await lib?.close();
    });

    const open = async (localAddress?: string): Promise<Raw> => {
      const r = await rawConnect(port, localAddress);
      raws.push(r);
      return r;
    };
    const loginHead = (length: number): string =>
      `POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

    it('a body trickled a byte at a time is cut off with 408 soon after the grace period', async () => {
      const r = await open();
      const t0 = Date.now();
      r.socket.write(loginHead(400));
      // 10 bytes/s: never idle for a second, but far below 1 KiB/s.
      const trickle = setInterval(() => r.socket.writable && r.socket.write('{'), 100);
      try {
        const closedAt = await within(r.closed, 5000, 'the trickled request was cut off');
        const ms = closedAt - t0;
        assert.ok(ms >= LIMITS.bodyGraceMs && ms < LIMITS.bodyGraceMs + 1500, `cut off after ${ms} ms`);
      } finally {
        clearInterval(trickle);
      }
      assert.match(r.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.match(r.received(), /"code":"REQUEST_TIMEOUT"/);
      assert.match(r.received(), /too slow/);
    });

    it('a body that stops is cut off with 408 after the idle timeout', async () => {
      const r = await open();
      const t0 = Date.now();
      r.socket.write(`${loginHead(100)}{"name":"ana",`);
      const closedAt = await within(r.closed, 5000, 'the stalled request was cut off');
      const ms = closedAt - t0;
      assert.ok(
        ms >= LIMITS.bodyIdleTimeoutMs && ms < LIMITS.bodyIdleTimeoutMs + 1000,
        `cut off after ${ms} ms`,
      );
      assert.match(r.received(), /"code":"REQUEST_TIMEOUT"/);
      assert.match(r.received(), /stalled/);
    });

    it('a slow body that keeps its pace gets its answer', async () => {
      const r = await open();
      const body = JSON.stringify({ name: 'ana', password: 'x'.repeat(4000) });
      r.socket.write(loginHead(Buffer.byteLength(body)));
      // 2 KiB/s for 2 s: longer than the grace period, above the minimum rate.
      for (let i = 0; i < body.length; i += 256) {
        r.socket.write(body.slice(i, i + 256));
        await sleep(125);
      }
      await within(
        (async () => {
          while (!/\r\n\r\n/.test(r.received())) await sleep(20);
        })(),
        5000,
        'an answer',
      );
      assert.doesNotMatch(r.received(), /^HTTP\/1\.1 408/);
      assert.match(r.received(), /^HTTP\/1\.1 [0-9]{3} /);
      r.socket.destroy();
    });

    it('connections beyond the cap per address are closed at once; another address still gets through', async () => {
      // Earlier tests' sockets are gone: wait until the server saw them close.
      await sleep(200);
      const held = [await open(), await open(), await open(), await open()];
      await sleep(100);
      const extra = await open();
      const closedAt = await within(extra.closed, 2000, 'the extra connection was closed');
      assert.equal(extra.received(), '', 'no answer, just closed');
      assert.ok(closedAt > 0);
      for (const h of held) assert.ok(!h.socket.destroyed, 'the held ones stay');
      // A normal client from another address is served meanwhile.
      assert.equal(await getFrom(port, '127.0.0.2'), 200);
      // A place freed is a place to take.
      held[0]!.socket.destroy();
      await held[0]!.closed;
      await sleep(100);
      assert.equal(await getFrom(port, '127.0.0.1'), 200);
    });
  },
);
