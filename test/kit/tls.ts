/**
 * Throw-away TLS material for tests: a private CA and a server certificate for 127.0.0.1 and
 * localhost, made with Debian's `openssl` (P-256 keys: quick to make, valid for two days).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface TestCa {
  /** PEM certificate: what a client trusts. */
  certFile: string;
  keyFile: string;
}

export interface TestServerCert {
  certFile: string;
  keyFile: string;
}

/** A CA named `name`; its files are `<dir>/<name>.pem` and `<dir>/<name>.key`. */
export async function makeTestCa(dir: string, name = 'ca'): Promise<TestCa> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  await run('openssl', [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    `/CN=Outpost test ${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { certFile, keyFile };
}

/** A server certificate for 127.0.0.1 and localhost, signed by `ca`. */
export async function makeServerCert(dir: string, ca: TestCa, name = 'server'): Promise<TestServerCert> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(
    ext,
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  await run('openssl', ['req', ...EC, '-keyout', keyFile, '-out', csr, '-subj', '/CN=127.0.0.1']);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-out',
    certFile,
    '-days',
    '2',
    '-extfile',
    ext,
  ]);
  return { certFile, keyFile };
}
