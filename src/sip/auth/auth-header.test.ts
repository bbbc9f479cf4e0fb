import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthHeaderError, formatAuthValue, parseAuthValues, quote } from './auth-header.ts';

describe('auth headers (RFC 3261 §25.1, RFC 7616 §3.3)', () => {
  it('parses a Digest challenge with quoted strings, tokens and LWS', () => {
    const [v, ...rest] = parseAuthValues(
      'Digest realm="atlanta.com",\r\n  domain="sip:boxesbybob.com", qop="auth,auth-int", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5',
    );
    assert.equal(rest.length, 0);
    assert.equal(v.scheme, 'Digest');
    assert.equal(v.params.get('realm'), 'atlanta.com');
    assert.equal(v.params.get('qop'), 'auth,auth-int');
    assert.equal(v.params.get('opaque'), '');
    assert.equal(v.params.get('stale'), 'FALSE');
    assert.equal(v.params.get('algorithm'), 'MD5');
  });

  it('unescapes quoted-pairs and lower-cases parameter names', () => {
    const [v] = parseAuthValues('Digest USERNAME="a\\"b\\\\c", Realm="x,y"');
    assert.equal(v.params.get('username'), 'a"b\\c');
    assert.equal(v.params.get('realm'), 'x,y');
  });

  it('formats and parses back the same values', () => {
    const s = formatAuthValue('Digest', [
      { name: 'username', value: 'we"ird\\', quoted: true },
      { name: 'nc', value: '00000001', quoted: false },
    ]);
    assert.equal(s, 'Digest username="we\\"ird\\\\", nc=00000001');
    const [v] = parseAuthValues(s);
    assert.equal(v.params.get('username'), 'we"ird\\');
    assert.equal(quote('a'), '"a"');
  });

  it('reports an unknown scheme by name (RFC 4475 regaut01)', () => {
    const [v] = parseAuthValues('NoOneKnowsThisScheme opaque-data=here');
    assert.equal(v.scheme, 'NoOneKnowsThisScheme');
    assert.equal(v.params.get('opaque-data'), 'here');
  });

  it('splits several challenges in one line and reads token68', () => {
    const vs = parseAuthValues('Basic dXNlcjpwYXNz==, Digest realm="r", nonce="n", Newauth realm="apps", type=1');
    assert.deepEqual(vs.map((v) => v.scheme), ['Basic', 'Digest', 'Newauth']);
    assert.equal(vs[0].token68, 'dXNlcjpwYXNz==');
    assert.equal(vs[1].params.get('nonce'), 'n');
    assert.equal(vs[2].params.get('type'), '1');
  });

  for (const bad of ['Digest realm="open', 'Digest nonce="a", realm=', 'Digest realm="a" nonce="b"', '', 'Digest a=1, a=2', '"x"']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseAuthValues(bad), AuthHeaderError);
    });
  }
});
