import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  basicAuthorization,
  DigestSession,
  parseWwwAuthenticate,
  pickDigestChallenge,
} from '../../../src/snapshots/digest-auth.js';

// RFC 7616 §3.9.1: the worked example, MD5 and SHA-256.
const RFC_PARAMS = {
  realm: 'http-auth@example.org',
  qop: 'auth, auth-int',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  opaque: 'FQhe/qaU925kfnJaCtdNIyAkBeq3iwd_UCvE7Kwu7UY',
};
const RFC_CNONCE = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';

function field(header: string, name: string): string | undefined {
  const m = new RegExp(`(?:^Digest |, )${name}=(?:"([^"]*)"|([^,]+))`).exec(header);
  return m?.[1] ?? m?.[2];
}

describe('parseWwwAuthenticate', () => {
  it('reads several challenges from one header, quoted commas and all', () => {
    const c = parseWwwAuthenticate(
      'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="abc", opaque="x", ' +
        'Digest realm="http-auth@example.org", qop="auth", algorithm=MD5, nonce="def", Basic realm="cam"',
    );
    assert.deepEqual(
      c.map((x) => [x.scheme, x.params.algorithm, x.params.nonce]),
      [
        ['digest', 'SHA-256', 'abc'],
        ['digest', 'MD5', 'def'],
        ['basic', undefined, undefined],
      ],
    );
    assert.equal(c[0]!.params.qop, 'auth, auth-int');
    assert.equal(c[2]!.params.realm, 'cam');
  });

  it('reads separate header values, escapes, unquoted values and junk without throwing', () => {
    const c = parseWwwAuthenticate(['Basic realm="a \\"b\\""', 'digest  REALM=cam,nonce=n1 , stale=TRUE']);
    assert.equal(c[0]!.params.realm, 'a "b"');
    assert.equal(c[1]!.scheme, 'digest');
    assert.equal(c[1]!.params.realm, 'cam');
    assert.equal(c[1]!.params.stale, 'TRUE');
    assert.deepEqual(parseWwwAuthenticate(undefined), []);
    for (const junk of ['', ',,,', '="', 'Digest', 'Negotiate abc==', '"unterminated'])
      assert.doesNotThrow(() => parseWwwAuthenticate(junk));
  });

  it('picks the strongest Digest algorithm it knows, ignoring unknown ones', () => {
    const c = parseWwwAuthenticate([
      'Digest realm="r", nonce="1", algorithm=MD5',
      'Digest realm="r", nonce="2", algorithm=SHA-256',
      'Digest realm="r", nonce="3", algorithm=SHA-1024',
    ]);
    assert.equal(pickDigestChallenge(c)?.params.nonce, '2');
    assert.equal(pickDigestChallenge(parseWwwAuthenticate('Basic realm="x"')), undefined);
    // No algorithm means MD5 (RFC 7616 §3.3).
    assert.equal(pickDigestChallenge(parseWwwAuthenticate('Digest realm="r", nonce="9"'))?.params.nonce, '9');
  });
});

describe('DigestSession', () => {
  it('answers the RFC 7616 example with MD5', () => {
    const s = new DigestSession(
      { scheme: 'digest', params: { ...RFC_PARAMS, algorithm: 'MD5' } },
      'Mufasa',
      'Circle of Life',
      () => RFC_CNONCE,
    );
    const h = s.authorization('GET', '/dir/index.html');
    assert.equal(field(h, 'response'), '8ca523f5e9506fed4657c9700eebdbec');
    assert.equal(field(h, 'nc'), '00000001');
    assert.equal(field(h, 'qop'), 'auth');
    assert.equal(field(h, 'opaque'), RFC_PARAMS.opaque);
    assert.equal(field(h, 'algorithm'), 'MD5');
  });

  it('answers the RFC 7616 example with SHA-256', () => {
    const s = new DigestSession(
      { scheme: 'digest', params: { ...RFC_PARAMS, algorithm: 'SHA-256' } },
      'Mufasa',
      'Circle of Life',
      () => RFC_CNONCE,
    );
    const h = s.authorization('GET', '/dir/index.html');
    assert.equal(field(h, 'response'), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    assert.equal(field(h, 'algorithm'), 'SHA-256');
  });

  it('counts nc up for each request on the same nonce', () => {
    const s = new DigestSession({ scheme: 'digest', params: { ...RFC_PARAMS } }, 'u', 'p', () => 'c');
    assert.equal(field(s.authorization('GET', '/a'), 'nc'), '00000001');
    assert.equal(field(s.authorization('GET', '/a'), 'nc'), '00000002');
    for (let i = 0; i < 13; i++) s.authorization('GET', '/a');
    assert.equal(field(s.authorization('GET', '/a'), 'nc'), '00000010');
    assert.equal(s.count, 16);
  });

  it('falls back to RFC 2069 without qop, and hashes the user when asked (userhash)', () => {
    const legacy = new DigestSession({ scheme: 'digest', params: { realm: 'r', nonce: 'n' } }, 'u', 'p');
    const h = legacy.authorization('GET', '/x');
    assert.equal(field(h, 'qop'), undefined);
    assert.equal(field(h, 'nc'), undefined);
    const hashed = new DigestSession(
      {
        scheme: 'digest',
        params: { realm: 'r', nonce: 'n', qop: 'auth', userhash: 'true', algorithm: 'SHA-256' },
      },
      'Mufasa',
      'p',
    );
    const u = field(hashed.authorization('GET', '/x'), 'username');
    assert.match(u ?? '', /^[0-9a-f]{64}$/);
    assert.ok(new DigestSession({ scheme: 'digest', params: { nonce: 'n', stale: 'TRUE' } }, 'u', 'p').stale);
  });

  it('refuses an algorithm it does not know', () => {
    assert.throws(
      () => new DigestSession({ scheme: 'digest', params: { nonce: 'n', algorithm: 'SHA-1' } }, 'u', 'p'),
      RangeError,
    );
  });

  it('Basic is base64 of user:password', () => {
    assert.equal(basicAuthorization('Aladdin', 'open sesame'), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  });
});
