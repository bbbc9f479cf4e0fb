import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatNameAddr, formatParams, formatUri, formatVia, parseCSeq, parseNameAddr, parseUri, parseVia,
  SipParseError, splitList,
} from './index.ts';

const throws400 = (f: () => unknown): void => {
  assert.throws(f, (e: unknown) => e instanceof SipParseError && e.status === 400);
};

describe('parseUri (RFC 3261 §19.1)', () => {
  it('splits a full SIP URI into its parts', () => {
    const u = parseUri('sip:Alice:secret@Atlanta.Example.com:5061;Transport=TCP;lr?Subject=hi%20there&Priority=urgent');
    assert.equal(u.scheme, 'sip');
    assert.equal(u.user, 'Alice');
    assert.equal(u.password, 'secret');
    assert.equal(u.host, 'atlanta.example.com');
    assert.equal(u.port, 5061);
    assert.deepEqual([...u.params], [['transport', 'TCP'], ['lr', null]]);
    assert.deepEqual([...u.headers], [['Subject', 'hi there'], ['Priority', 'urgent']]);
  });

  it('unescapes the user part and lets it hold ; and ? (RFC 4475 §3.1.1.9)', () => {
    assert.equal(parseUri('sip:%61lice@h').user, 'alice');
    assert.equal(parseUri('sip:user;par=u%40example.net@example.com').user, 'user;par=u@example.net');
    assert.equal(parseUri('sip:null-%00-null@h').user, 'null-\u0000-null');
    assert.equal(parseUri('sip:caf%C3%A9@h').user, 'café');
  });

  it('keeps IPv6 references in brackets', () => {
    const u = parseUri('sips:[2001:DB8::10]:5061;maddr=[2001:db8::1]');
    assert.equal(u.scheme, 'sips');
    assert.equal(u.host, '[2001:db8::10]');
    assert.equal(u.port, 5061);
    assert.equal(u.params.get('maddr'), '[2001:db8::1]');
    assert.equal(u.user, undefined);
  });

  it('reads tel URIs and keeps unknown schemes raw', () => {
    const t = parseUri('tel:+1-201-555-0123;phone-context=example.com');
    assert.equal(t.user, '+1-201-555-0123');
    assert.equal(t.params.get('phone-context'), 'example.com');
    const x = parseUri('soap.beep://192.0.2.103:3002');
    assert.equal(x.scheme, 'soap.beep');
    assert.equal(x.host, '');
    assert.equal(x.raw, 'soap.beep://192.0.2.103:3002');
  });

  it('rejects malformed URIs with 400', () => {
    for (const s of ['', 'nocolon', '<sip:a@b>', 'sip:', 'sip:a@', 'sip:a@b:99999', 'sip:a@b:x', 'sip:a@b;;lr',
      'sip:a@b c', 'sip:@b', 'sip:a@[::1', '1sip:a@b']) {
      throws400(() => parseUri(s));
    }
  });

  it('formats from the fields, escaping what needs it', () => {
    for (const s of ['sip:alice@atlanta.example.com:5060;transport=tcp;lr', 'sips:[2001:db8::10]:5061',
      'sip:sips%3Auser%40example.com@example.net', 'sip:user@example.com?Route=%3Csip:sip.example.com%3E',
      'tel:+15551234;phone-context=+1', 'urn:service:sos']) {
      assert.equal(formatUri(parseUri(s)), s);
    }
    const u = parseUri('sip:a@b');
    u.user = 'has space';
    u.params.set('x', 'a b');
    assert.equal(formatUri(u), 'sip:has%20space@b;x=a%20b');
  });
});

describe('parseNameAddr (RFC 3261 §20.10)', () => {
  it('reads quoted display names with escapes', () => {
    const n = parseNameAddr('"J Rosenberg \\\\\\""  <sip:jdrosen@example.com> ; tag = 98asjd8');
    assert.equal(n.displayName, 'J Rosenberg \\"');
    assert.equal(n.uri.user, 'jdrosen');
    assert.equal(n.params.get('tag'), '98asjd8');
  });

  it('reads token display names, with or without LWS before <', () => {
    assert.equal(parseNameAddr('Bob Smith <sip:bob@b>').displayName, 'Bob Smith');
    assert.equal(parseNameAddr('caller<sip:caller@example.com>;tag=323').displayName, 'caller');
  });

  it('in addr-spec form, parameters after the URI belong to the header', () => {
    const a = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam');
    assert.equal(a.uri.params.size, 0);
    assert.equal(a.params.get('unknownparam'), null);
    const b = parseNameAddr('<sip:+19725552222@gw1.example.net;unknownparam>');
    assert.equal(b.uri.params.get('unknownparam'), null);
    assert.equal(b.params.size, 0);
  });

  it('knows Contact: *', () => {
    assert.equal(parseNameAddr(' * ').star, true);
    assert.equal(formatNameAddr(parseNameAddr('*')), '*');
  });

  it('rejects what the grammar forbids with 400', () => {
    for (const s of ['"Mr. J. User <sip:j.user@example.com>', 'Bell, Alexander <sip:a@b>', '<sip:a@b',
      'sip:user@example.com?Route=%3Csip:x%3E', '"Joe" <sip:joe@example.org>;;;;', '<sip:a@b>;tag=', '']) {
      throws400(() => parseNameAddr(s));
    }
  });

  it('formats to name-addr and back', () => {
    const s = '"A \\"B\\"" <sip:a@b;lr>;tag=x;expires=60;flag';
    const n = parseNameAddr(s);
    assert.equal(n.displayName, 'A "B"');
    assert.equal(formatNameAddr(n), s);
  });
});

describe('parseVia (RFC 3261 §20.42, RFC 3581)', () => {
  it('reads sent-protocol, sent-by and the known params', () => {
    const v = parseVia('SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bKabc;received=198.51.100.1;rport=61000;ttl=1');
    assert.equal(v.protocol, 'SIP/2.0');
    assert.equal(v.transport, 'TLS');
    assert.equal(v.host, '[2001:db8::1]');
    assert.equal(v.port, 5061);
    assert.equal(v.branch, 'z9hG4bKabc');
    assert.equal(v.received, '198.51.100.1');
    assert.equal(v.rport, 61000);
    assert.equal(v.params.get('ttl'), '1');
  });

  it('allows LWS around the slashes and colon', () => {
    const v = parseVia('SIP  /    2.0   / udp  192.168.255.111 : 5070  ; branch= z9hG4bK30239 ;rport');
    assert.equal(v.transport, 'UDP');
    assert.equal(v.host, '192.168.255.111');
    assert.equal(v.port, 5070);
    assert.equal(v.branch, 'z9hG4bK30239');
    assert.equal(v.rport, null);
  });

  it('rejects malformed values with 400', () => {
    for (const s of ['SIP/2.0/UDP', 'SIP/2.0 UDP h', 'SIP/2.0/UDP 192.0.2.15;;', ';', 'SIP/2.0/UDP h:70000',
      'SIP/2.0/UDP h;rport=x', 'SIP/2.0/UDP h;branch']) {
      throws400(() => parseVia(s));
    }
  });

  it('formats back', () => {
    const s = 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport=5060;received=192.0.2.9';
    assert.equal(formatVia(parseVia(s)), s);
    const v = parseVia('SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK2');
    v.received = '203.0.113.4';
    v.rport = 443;
    assert.equal(formatVia(v), 'SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK2;received=203.0.113.4;rport=443');
  });
});

describe('parseCSeq (RFC 3261 §20.16)', () => {
  it('reads leading zeros and LWS', () => {
    assert.deepEqual(parseCSeq('0009 INVITE'), { seq: 9, method: 'INVITE' });
    assert.deepEqual(parseCSeq(' 4294967295   BYE '), { seq: 4294967295, method: 'BYE' });
  });
  it('rejects numbers above 2^32-1 and junk with 400', () => {
    for (const s of ['4294967296 INVITE', '36893488147419103232 REGISTER', 'INVITE', '1', '1 INV ITE', '-1 BYE']) {
      throws400(() => parseCSeq(s));
    }
  });
});

describe('splitList and formatParams', () => {
  it('splits on commas outside quotes and <>', () => {
    assert.deepEqual(splitList('"Bell, A." <sip:a@b;x=1,2>;q=1, <sip:c@d> , ,sip:e@f'),
      ['"Bell, A." <sip:a@b;x=1,2>;q=1', '<sip:c@d>', 'sip:e@f']);
    assert.deepEqual(splitList('"a \\", b" <sip:x@y>'), ['"a \\", b" <sip:x@y>']);
    assert.deepEqual(splitList('  '), []);
  });
  it('formats params in order, flags without =', () => {
    assert.equal(formatParams(new Map([['tag', 'x'], ['lr', null]])), ';tag=x;lr');
  });
});
