/**
 * The embedded MQTT broker (aedes, MQTT 3.1.1) on a TCP port: what a fleet uses when it has no
 * broker of its own. Optional username/password; loopback by default.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  url: string;
  port: number;
  /** Clients connected now. */
  clients(): number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(o: {
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  /** Seconds of silence after which a client is dropped is 1.5 × its own keepalive (MQTT). */
}): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker({
    ...(o.username !== undefined
      ? {
          authenticate: (_client, username, password, done) => {
            const ok = username === o.username && password?.toString() === o.password;
            if (ok) return done(null, true);
            const e = Object.assign(new Error('bad username or password'), { returnCode: 4 });
            done(e as Parameters<typeof done>[0], false);
          },
        }
      : {}),
  });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 1883, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (o.port ?? 1883);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    // Small messages both ways: Nagle plus delayed ACKs would hold each back ~40 ms.
    s.setNoDelay(true);
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return {
    url: `mqtt://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    clients: () => broker.connectedClients,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}
