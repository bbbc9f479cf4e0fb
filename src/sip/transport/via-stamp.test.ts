import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipRequest } from '../message/index.ts';
import { stampVia } from './via-stamp.ts';

function req(...vias: string[]): SipRequest {
  return new SipRequest('OPTIONS', 'sip:a@b', [
    { name: 'from', value: '<sip:x@y>;tag=1' },
    ...vias.map((value) => ({ name: 'via', value })),
    { name: 'call-id', value: 'c' },
  ]);
}

test('§18.2.1: received is added when sent-by differs from the source address', () => {
  const r = req('SIP/2.0/UDP pc33.example.com:5060;branch=z9hG4bK776');
  assert.equal(stampVia(r, '192.0.2.4', 5060), true);
  assert.equal(r.get('via'), 'SIP/2.0/UDP pc33.example.com:5060;branch=z9hG4bK776;received=192.0.2.4');
});

test('§18.2.1: nothing changes when sent-by is the source address and rport is absent', () => {
  const r = req('SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK776');
  stampVia(r, '192.0.2.4', 5060);
  assert.equal(r.get('via'), 'SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK776');
});

test('RFC 3581 §4: rport is filled and received added even when the host matches', () => {
  const r = req('SIP/2.0/UDP 192.0.2.4:5060;rport;branch=z9hG4bK776');
  stampVia(r, '192.0.2.4', 40123);
  assert.equal(r.get('via'), 'SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK776;received=192.0.2.4;rport=40123');
});

test('only the top value of a multi-value Via line is rewritten; order is kept', () => {
  const r = req('SIP/2.0/TCP  [2001:db8::1]:5060 ;rport;branch=z9hG4bKa , SIP/2.0/UDP p1.example.com;branch=z9hG4bKb', 'SIP/2.0/UDP p2;branch=z9hG4bKc');
  stampVia(r, '::ffff:10.1.2.3', 5555);
  const vias = r.headers.filter((h) => h.name === 'via').map((h) => h.value);
  assert.deepEqual(vias, [
    'SIP/2.0/TCP  [2001:db8::1]:5060;branch=z9hG4bKa;received=10.1.2.3;rport=5555',
    'SIP/2.0/UDP p1.example.com;branch=z9hG4bKb',
    'SIP/2.0/UDP p2;branch=z9hG4bKc',
  ]);
  assert.equal(r.headers[1].name, 'via', 'the stamped Via stays where the top Via was');
});

test('a request without a readable Via is left alone', () => {
  const r = req();
  assert.equal(stampVia(r, '1.2.3.4', 1), false);
  const bad = req('garbage');
  assert.equal(stampVia(bad, '1.2.3.4', 1), false);
  assert.equal(bad.get('via'), 'garbage');
});
