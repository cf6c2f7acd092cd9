import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PullFailure } from '../../../src/snapshots/camera-http.js';
import { passwordDigest, soapBody, usernameToken } from '../../../src/snapshots/onvif.js';

describe('ONVIF WS-Security', () => {
  it('PasswordDigest is Base64(SHA-1(nonce + created + password))', () => {
    // The OASIS UsernameToken Profile 1.0 example shape, checked against an independent computation:
    // (echo -n LKqI6G/AikKCQrN0zqZFlg== | base64 -d; printf 2010-09-16T07:50:45Zuserpassword) |
    //   openssl sha1 -binary | base64
    const nonce = Buffer.from('LKqI6G/AikKCQrN0zqZFlg==', 'base64');
    assert.equal(
      passwordDigest(nonce, '2010-09-16T07:50:45Z', 'userpassword'),
      'tuOSpGlFlIXsozq4HFNeeGeFLEI=',
    );
  });

  it('the token carries user, digest, nonce and a second-precision Created', () => {
    const t = usernameToken(
      'ad<min',
      'pw',
      new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
      Buffer.alloc(16, 1),
    );
    assert.match(t, /<wsse:Username>ad&lt;min<\/wsse:Username>/);
    assert.match(t, /<wsu:Created>2024-01-02T03:04:05Z<\/wsu:Created>/);
    assert.match(t, /#PasswordDigest">[A-Za-z0-9+/=]{28}</);
  });
});

describe('ONVIF replies', () => {
  it('a NotAuthorized fault is an auth failure, other faults http errors, junk garbage', () => {
    const fault = (sub: string): string =>
      `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:${sub}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">why</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`;
    const kind = (xml: string): string | undefined => {
      try {
        soapBody(xml);
        return undefined;
      } catch (e) {
        return e instanceof PullFailure ? e.kind : 'other';
      }
    };
    assert.equal(kind(fault('NotAuthorized')), 'auth');
    assert.equal(kind(fault('NoProfile')), 'http-error');
    assert.equal(kind('<html><body>hello</body></html>'), 'garbage');
    assert.equal(kind('not xml at all <<<'), 'garbage');
    assert.equal(kind('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'), 'garbage');
  });
});
