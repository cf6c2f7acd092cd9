/**
 * The station's own certificate authority and its server certificate for the LAN (docs/https.md),
 * kept in one folder readable only by the service: `ca.key` and `server.key` (mode 0600),
 * `ca.crt` and `server.crt`. The CA is made once and kept (tablets install it once); the server
 * certificate is made again when it nears its end or when the station's names or addresses are
 * not all in it (core/lan-tls.ts). Keys are ECDSA P-256 (fast on a Pi), signatures SHA-256.
 */
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import {
  CA_DAYS,
  SERVER_CERT_DAYS,
  parseSubjectAltName,
  renewalReason,
  type CertFacts,
} from '../core/lan-tls.js';
import { writeFileAtomic } from './fs-atomic.js';

export interface LanCertificates {
  /** PEM key and certificate (with the CA's after it) for the HTTPS server. */
  key: string;
  cert: string;
  /** The CA certificate (PEM) tablets install, and its SHA-256 fingerprint (colon hex). */
  caCert: string;
  caFingerprint: string;
  /** Why the server certificate was made now (undefined: the kept one still serves). */
  renewed?: string;
  notAfter: string;
}

const DAY = 86_400_000;

async function readIf(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

async function writeSecret(path: string, pem: string): Promise<void> {
  await writeFileAtomic(path, pem, { mode: 0o600 });
  await chmod(path, 0o600);
}

function factsOf(pem: string): CertFacts & { cert: X509Certificate } {
  const cert = new X509Certificate(pem);
  return { cert, notAfterMs: Date.parse(cert.validTo), ...parseSubjectAltName(cert.subjectAltName) };
}

export async function ensureLanCertificates(o: {
  dir: string;
  /** The station's name, in the CA's name. */
  host: string;
  names: string[];
  ips: string[];
  now: Date;
}): Promise<LanCertificates> {
  await mkdir(o.dir, { recursive: true, mode: 0o700 });
  await chmod(o.dir, 0o700);
  const caKeyPath = join(o.dir, 'ca.key');
  const caCertPath = join(o.dir, 'ca.crt');
  let caKey = await readIf(caKeyPath);
  let caCert = await readIf(caCertPath);
  let caMade = false;
  if (!caKey || !caCert) {
    const ca = await generate(
      [
        { name: 'commonName', value: `Outpost station ${o.host}` },
        { name: 'organizationName', value: 'Outpost' },
      ],
      {
        keyType: 'ec',
        curve: 'P-256',
        algorithm: 'sha256',
        notBeforeDate: new Date(o.now.getTime() - DAY),
        notAfterDate: new Date(o.now.getTime() + CA_DAYS * DAY),
        extensions: [
          { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        ],
      },
    );
    caKey = ca.private;
    caCert = ca.cert;
    await writeSecret(caKeyPath, caKey);
    await writeFileAtomic(caCertPath, caCert, { mode: 0o644 });
    caMade = true;
  }
  const ca = new X509Certificate(caCert);
  const serverKeyPath = join(o.dir, 'server.key');
  const serverCertPath = join(o.dir, 'server.crt');
  const keptKey = await readIf(serverKeyPath);
  const keptCert = await readIf(serverCertPath);
  let kept: ReturnType<typeof factsOf> | undefined;
  try {
    kept = keptKey && keptCert ? factsOf(keptCert) : undefined;
  } catch {
    kept = undefined;
  }
  // A certificate of another CA (the CA was made again) serves no tablet that trusts this one.
  const reason = caMade
    ? 'a new certificate authority'
    : kept && !kept.cert.checkIssued(ca)
      ? 'it is not from this certificate authority'
      : renewalReason(kept, { names: o.names, ips: o.ips }, o.now.getTime());
  if (!reason && keptKey && keptCert)
    return {
      key: keptKey,
      cert: keptCert,
      caCert,
      caFingerprint: ca.fingerprint256,
      notAfter: kept!.cert.validTo,
    };
  const leaf = await generate([{ name: 'commonName', value: o.names[0] ?? 'outpost.local' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(o.now.getTime() - DAY),
    notAfterDate: new Date(o.now.getTime() + SERVER_CERT_DAYS * DAY),
    ca: { key: caKey, cert: caCert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...o.names.map((value) => ({ type: 2 as const, value })),
          ...o.ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  // The chain a client needs: the server's certificate, then the CA's.
  const chain = `${leaf.cert.trim()}\n${caCert.trim()}\n`;
  await writeSecret(serverKeyPath, leaf.private);
  await writeFileAtomic(serverCertPath, chain, { mode: 0o644 });
  return {
    key: leaf.private,
    cert: chain,
    caCert,
    caFingerprint: ca.fingerprint256,
    renewed: reason,
    notAfter: new X509Certificate(leaf.cert).validTo,
  };
}
