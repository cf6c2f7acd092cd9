/**
 * MQTT clients (mqtt.js) as the fleet makes them: TCP_NODELAY on every connection (fleet messages
 * are small; with Nagle's algorithm and delayed ACKs each waits ~40 ms on the wire), a client id,
 * a last will, credentials and a CA for mqtts://.
 */
import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { OutpostError, errnoCode } from '../core/errors.js';

export interface MqttSettings {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** PEM file of the CA that signed the broker's certificate (mqtts://). */
  ca?: string | undefined;
}

/**
 * A client connecting (and reconnecting) to `s.url`. For mqtts:// the broker's certificate must
 * chain to `s.ca` (else to the system's CAs) and name the URL's host: never accepted unverified.
 * An unreadable CA file is a `CONFIG_INVALID` thrown here, not a connection that fails later.
 */
export function connectMqtt(
  s: MqttSettings,
  o: Pick<IClientOptions, 'clientId' | 'will' | 'keepalive' | 'reconnectPeriod' | 'connectTimeout'>,
): MqttClient {
  const client = connect(s.url, {
    ...o,
    ...(s.username !== undefined ? { username: s.username } : {}),
    ...(s.password !== undefined ? { password: s.password } : {}),
    ...(s.ca ? { ca: readCa(s.ca) } : {}),
    // mqtt.js's default too; said here so no option or URL query can turn it off.
    rejectUnauthorized: true,
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

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new OutpostError(
      'CONFIG_INVALID',
      `the broker's CA file ${file} cannot be read (${errnoCode(e) ?? String(e)})`,
      {
        hint: "Set the CA file to the PEM certificate of the CA that signed the broker's certificate, readable by this user.",
        cause: e,
      },
    );
  }
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/**
 * What a client's `error` means for whoever configures the broker, and what to check: one
 * sentence naming the URL (never the password).
 */
export function explainMqttError(err: unknown, s: Pick<MqttSettings, 'url' | 'ca'>): string {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const url = s.url.replace(/\/\/[^@/]*@/, '//'); // credentials in the URL stay out of logs
  const at = `the broker at ${url}`;
  if (typeof code === 'string' && UNTRUSTED.has(code))
    return s.ca
      ? `${at} has a TLS certificate not signed by the CA in ${s.ca} (${message}): check that this file is the CA that signed the broker's certificate`
      : `${at} has a TLS certificate no CA of this machine trusts (${message}): set the broker's CA file to the PEM of the CA that signed it`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `${at} has a TLS certificate for another name (${message}): use a host name or address the certificate names`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return `${at} has a TLS certificate outside its dates (${message}): renew it, or check this machine's clock`;
  if (code === 4 || code === 5)
    return `${at} refused the username or password (${message}): check the broker's username and password`;
  if (code === 'ECONNREFUSED') return `nothing listens at ${url}: is the broker running, on this port?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `the host of ${url} is not found (${message}): check the URL and the network's DNS`;
  if (code === 'ECONNRESET' || code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER')
    return url.startsWith('mqtts:')
      ? `${at} closed the connection during the TLS handshake (${message}): is this port its TLS listener (mqtts://)?`
      : `${at} closed the connection (${message}): if this port is a TLS listener, use mqtts:// and the CA file`;
  return `${at}: ${message}`;
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
