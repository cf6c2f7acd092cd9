import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type IncomingMessage, createServer as createHttpServer, request } from 'node:http';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { type FlakyProxy, kbit, mbit, startFlakyProxy } from '../../kit/flaky-proxy.js';

const servers: Server[] = [];
const proxies: FlakyProxy[] = [];

after(async () => {
  for (const p of proxies) await p.close();
  for (const s of servers) s.close();
});

async function listen(s: Server): Promise<number> {
  servers.push(s);
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return (s.address() as AddressInfo).port;
}

async function proxyTo(
  port: number,
  opts: { rateBitsPerSec?: number; latencyMs?: number } = {},
): Promise<FlakyProxy> {
  const p = await startFlakyProxy({ target: { host: '127.0.0.1', port }, ...opts });
  proxies.push(p);
  return p;
}

async function dial(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port });
  await once(s, 'connect');
  return s;
}

/** Echo server: every byte comes back. */
async function echoServer(): Promise<number> {
  return listen(createServer((s) => s.pipe(s)));
}

/** Round trip of one byte through an echo path, ms. */
async function ping(s: Socket): Promise<number> {
  const t0 = performance.now();
  s.write('x');
  await once(s, 'data');
  return performance.now() - t0;
}

/** Measure delivery rate of `total` bytes: from the first byte in to the last, bytes/s (first read excluded). */
function measureSink(s: Socket, total: number): Promise<{ rate: number; bytes: number }> {
  return new Promise((resolve) => {
    let first = 0;
    let firstLen = 0;
    let got = 0;
    s.on('data', (b: Buffer) => {
      if (got === 0) {
        first = performance.now();
        firstLen = b.length;
      }
      got += b.length;
      if (got >= total) {
        const secs = (performance.now() - first) / 1000;
        resolve({ rate: (got - firstLen) / secs, bytes: got });
      }
    });
  });
}

describe('flaky-link proxy', () => {
  it('limits the rate accurately in each direction (2 Mbit/s up, 256 kbit/s down)', async () => {
    const upTotal = 750_000; // 3 s at 2 Mbit/s
    const downTotal = 96_000; // 3 s at 256 kbit/s
    let upResult!: Promise<{ rate: number; bytes: number }>;
    const port = await listen(
      createServer((s) => {
        upResult = measureSink(s, upTotal);
        s.write(Buffer.alloc(downTotal, 1));
      }),
    );
    const p = await startFlakyProxy({
      target: { host: '127.0.0.1', port },
      rateBitsPerSec: mbit(2),
      downRateBitsPerSec: kbit(256),
    });
    proxies.push(p);
    const c = await dial(p.port);
    const downResult = measureSink(c, downTotal);
    c.write(Buffer.alloc(upTotal, 2));
    const [up, down] = await Promise.all([
      (async () => {
        while (!upResult) await sleep(5);
        return upResult;
      })(),
      downResult,
    ]);
    const upBits = up.rate * 8;
    const downBits = down.rate * 8;
    assert.ok(Math.abs(upBits - 2e6) / 2e6 < 0.1, `up ${(upBits / 1e6).toFixed(3)} Mbit/s`);
    assert.ok(Math.abs(downBits - 256e3) / 256e3 < 0.1, `down ${(downBits / 1e3).toFixed(1)} kbit/s`);
    const st = p.stats();
    assert.equal(st.bytesUp, upTotal);
    assert.equal(st.bytesDown, downTotal);
    c.destroy();
  });

  it('shares one rate among all connections, like a real link', async () => {
    const total = 180_000;
    const results: Promise<{ rate: number; bytes: number }>[] = [];
    const port = await listen(createServer((s) => results.push(measureSink(s, total))));
    const p = await proxyTo(port, { rateBitsPerSec: mbit(2) });
    const clients = await Promise.all([dial(p.port), dial(p.port)]);
    const t0 = performance.now();
    for (const c of clients) c.write(Buffer.alloc(total));
    while (results.length < 2) await sleep(5);
    await Promise.all(results);
    const secs = (performance.now() - t0) / 1000;
    const aggregateBits = (2 * total * 8) / secs;
    // Both together may not exceed the link (small slack: the initial burst and connect time).
    assert.ok(
      aggregateBits < 2e6 * 1.1 && aggregateBits > 2e6 * 0.85,
      `aggregate ${(aggregateBits / 1e6).toFixed(3)}`,
    );
    for (const c of clients) c.destroy();
  });

  it('adds the configured one-way latency in each direction', async () => {
    const p = await proxyTo(await echoServer(), { latencyMs: 100 });
    const c = await dial(p.port);
    const rtts: number[] = [];
    for (let i = 0; i < 5; i++) rtts.push(await ping(c));
    rtts.sort((a, b) => a - b);
    const median = rtts[2] as number;
    assert.ok(median >= 200 && median < 260, `median RTT ${median.toFixed(1)} ms`);
    p.setLatency(0);
    const fast = await ping(c);
    assert.ok(fast < 50, `after setLatency(0): ${fast.toFixed(1)} ms`);
    c.destroy();
  });

  it('cut() kills an in-flight HTTP upload', async () => {
    let received = 0;
    const port = await listen(
      createHttpServer((req, res) => {
        req.on('data', (b: Buffer) => (received += b.length));
        req.on('end', () => res.end('ok'));
        req.on('error', () => undefined);
      }),
    );
    const p = await proxyTo(port, { rateBitsPerSec: kbit(256) });
    const body = Buffer.alloc(1_000_000);
    const req = request({
      host: '127.0.0.1',
      port: p.port,
      method: 'PATCH',
      path: '/up',
      headers: { 'content-length': body.length },
    });
    const outcome = new Promise<string>((resolve) => {
      req.on('response', (res: IncomingMessage) => resolve(`response ${res.statusCode}`));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
    });
    req.end(body);
    await sleep(500);
    assert.equal(p.stats().active, 1);
    assert.equal(p.cut(), 1);
    const r = await outcome;
    assert.match(r, /^error (ECONNRESET|EPIPE|socket hang up)/);
    assert.ok(received > 0 && received < body.length, `server got ${received} bytes`);
    const st = p.stats();
    assert.equal(st.cuts, 1);
    assert.equal(st.connectionsCut, 1);
    assert.equal(st.active, 0);
  });

  it('refuse() takes the link down for new connections; refuse(false) brings it back', async () => {
    const port = await listen(createHttpServer((_req, res) => res.end('hello')));
    const p = await proxyTo(port);
    const get = (): Promise<string> =>
      new Promise((resolve) => {
        // agent: false: a kept-alive connection would not meet the refusal (only new ones do).
        const r = request({ host: '127.0.0.1', port: p.port, path: '/', agent: false }, (res) => {
          let s = '';
          res.on('data', (b: Buffer) => (s += b.toString()));
          res.on('end', () => resolve(`ok ${s}`));
        });
        r.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
        r.end();
      });
    assert.equal(await get(), 'ok hello');
    p.refuse(true);
    assert.match(await get(), /^error (ECONNRESET|ECONNREFUSED|EPIPE)/);
    assert.equal(p.stats().refused, 1);
    p.refuse(false);
    assert.equal(await get(), 'ok hello');
    assert.equal(p.stats().connections, 2);
  });

  it('stall() holds data without closing; it flows again afterwards', async () => {
    const p = await proxyTo(await echoServer());
    const c = await dial(p.port);
    assert.ok((await ping(c)) < 50);
    p.stall(400);
    const stalled = await ping(c);
    assert.ok(stalled >= 390 && stalled < 600, `ping during stall ${stalled.toFixed(0)} ms`);
    assert.ok((await ping(c)) < 50);
    assert.equal(p.stats().active, 1);
    c.destroy();
  });

  it('setRate(0) pauses and a new rate resumes', async () => {
    const p = await proxyTo(await echoServer(), { rateBitsPerSec: mbit(1) });
    const c = await dial(p.port);
    p.setRate(0);
    const pending = ping(c);
    await sleep(300);
    p.setRate(mbit(1));
    const rtt = await pending;
    assert.ok(rtt >= 290, `held while paused: ${rtt.toFixed(0)} ms`);
    c.destroy();
  });

  it('scheduleCuts() cuts at the given times and can be cancelled', async () => {
    const p = await proxyTo(await echoServer());
    const c1 = await dial(p.port);
    const closed = once(c1, 'close');
    const cancel = p.scheduleCuts([100]);
    await closed;
    assert.equal(p.stats().cuts, 1);
    const stopEvery = p.scheduleCuts(50);
    await sleep(180);
    stopEvery();
    const n = p.stats().cuts;
    assert.ok(n >= 3 && n <= 5, `cuts ${n}`);
    await sleep(120);
    assert.equal(p.stats().cuts, n, 'cancelled');
    cancel();
  });

  it('never buffers unboundedly when the receiver stops reading', async () => {
    const port = await listen(createServer((s) => s.pause()));
    const p = await proxyTo(port, { latencyMs: 50 });
    const c = await dial(p.port);
    const chunk = Buffer.alloc(64 * 1024);
    let written = 0;
    const deadline = performance.now() + 1000;
    while (performance.now() < deadline) {
      if (!c.write(chunk)) await Promise.race([once(c, 'drain'), sleep(100)]);
      written += chunk.length;
    }
    const st = p.stats();
    // Loopback socket buffers absorb some megabytes; the proxy itself holds at most its bound.
    assert.ok(st.maxBuffered <= 64 * 1024 + 1024 * 1024 + 64 * 1024, `proxy held ${st.maxBuffered}`);
    assert.ok(written < 200 * 1024 * 1024, 'the sender was slowed down');
    c.destroy();
  });

  it('counts bytes each way and closes cleanly (half-close passes through)', async () => {
    const port = await listen(
      createServer((s) => {
        let n = 0;
        s.on('data', (b: Buffer) => (n += b.length));
        s.on('end', () => s.end(Buffer.alloc(n * 2)));
      }),
    );
    const p = await proxyTo(port, { rateBitsPerSec: mbit(50), latencyMs: 5 });
    const c = await dial(p.port);
    let got = 0;
    c.on('data', (b: Buffer) => (got += b.length));
    c.end(Buffer.alloc(12_345));
    await once(c, 'end');
    assert.equal(got, 24_690);
    await sleep(20);
    const st = p.stats();
    assert.equal(st.bytesUp, 12_345);
    assert.equal(st.bytesDown, 24_690);
    assert.equal(st.active, 0);
  });
});
