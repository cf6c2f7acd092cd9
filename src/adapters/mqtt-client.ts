/**
 * MQTT clients (mqtt.js) as the fleet makes them: TCP_NODELAY on every connection (fleet messages
 * are small; with Nagle's algorithm and delayed ACKs each waits ~40 ms on the wire), a client id,
 * a last will, credentials and a CA for mqtts://.
 */
import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';

export interface MqttSettings {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** PEM file of the CA that signed the broker's certificate (mqtts://). */
  ca?: string | undefined;
}

export function connectMqtt(
  s: MqttSettings,
  o: Pick<IClientOptions, 'clientId' | 'will' | 'keepalive' | 'reconnectPeriod' | 'connectTimeout'>,
): MqttClient {
  const client = connect(s.url, {
    ...o,
    ...(s.username !== undefined ? { username: s.username } : {}),
    ...(s.password !== undefined ? { password: s.password } : {}),
    ...(s.ca ? { ca: readFileSync(s.ca) } : {}),
  });
  const noDelay = (): void => {
    const stream = client.stream as { setNoDelay?: (on: boolean) => void } | undefined;
    stream?.setNoDelay?.(true);
  };
  client.on('connect', noDelay);
  client.on('packetsend', (p) => {
    if (p.cmd === 'connect') noDelay();
  });
  return client;
}

/**
 * Say goodbye and disconnect, never waiting longer than `ms`: a last QoS 1 message, then the
 * client's end, which waits for messages in flight — forever when the broker has gone away.
 * Past the time the connection is dropped (the broker then sends the last will instead).
 */
export async function closeMqtt(
  client: MqttClient,
  goodbye?: { topic: string; payload: string },
  ms = 2000,
): Promise<void> {
  const timeout = new Promise<'late'>((r) => setTimeout(() => r('late'), ms).unref());
  const polite = (async () => {
    if (goodbye && client.connected)
      await client
        .publishAsync(goodbye.topic, goodbye.payload, { qos: 1, retain: true })
        .catch(() => undefined);
    await client.endAsync().catch(() => undefined);
  })();
  if ((await Promise.race([polite, timeout])) === 'late') await client.endAsync(true).catch(() => undefined);
}
