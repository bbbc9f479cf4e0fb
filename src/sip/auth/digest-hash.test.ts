import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeHa1, computeResponse, parseAlgorithm } from './digest-hash.ts';

// RFC 7616 §3.9.1 (examples with MD5 and SHA-256).
const V = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  uri: '/dir/index.html',
  method: 'GET',
  nc: '00000001',
};

describe('Digest computation (RFC 7616 §3.4.1)', () => {
  for (const [hash, expected] of [
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ] as const) {
    it(`reproduces the RFC 7616 §3.9.1 ${hash} response`, () => {
      const ha1 = computeHa1(hash, V.username, V.realm, V.password);
      const r = computeResponse({ hash, sess: false, ha1, method: V.method, uri: V.uri, nonce: V.nonce, qop: 'auth', nc: V.nc, cnonce: V.cnonce });
      assert.equal(r, expected);
    });
  }

  it('computes the RFC 2069 form without qop and differs from the qop form', () => {
    const ha1 = computeHa1('MD5', V.username, V.realm, V.password);
    const r = computeResponse({ hash: 'MD5', sess: false, ha1, method: V.method, uri: V.uri, nonce: V.nonce });
    assert.match(r, /^[0-9a-f]{32}$/);
    assert.notEqual(r, '8ca523f5e9506fed4657c9700eebdbec');
  });

  it('reads algorithm names (absent = MD5, -sess, unknown)', () => {
    assert.deepEqual(parseAlgorithm(undefined), { hash: 'MD5', sess: false });
    assert.deepEqual(parseAlgorithm('sha-256-sess'), { hash: 'SHA-256', sess: true });
    assert.deepEqual(parseAlgorithm('SHA-512-256'), { hash: 'SHA-512-256', sess: false });
    assert.equal(parseAlgorithm('SHA-1'), undefined);
  });
});
