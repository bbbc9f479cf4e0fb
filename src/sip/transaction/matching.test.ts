// RFC 3261 §17.2.3 request matching, including the RFC 2543 fallback when the top Via branch
// lacks the magic cookie, and what happens to messages that match nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse } from '../message/index.ts';
import { request, setup, source } from './test-support.ts';

test('RFC 2543: a retransmitted INVITE without a branch matches on Request-URI, tags, Call-ID, CSeq and top Via', () => {
  const { sender, layer, seen } = setup();
  layer.receive(request({ branch: '' }), source());
  const { req, tx } = seen.requests[0];
  tx.respond(createResponse(req, 180, 'Ringing', { toTag: 'uas' }));
  layer.receive(request({ branch: '' }), source());
  assert.equal(seen.requests.length, 1);
  assert.deepEqual(sender.responses().map((r) => r.status), [100, 180, 180]);
  // Any one of the key fields differing makes it a different transaction.
  layer.receive(request({ branch: '', callId: 'other@example.org' }), source());
  layer.receive(request({ branch: '', cseq: 2 }), source());
  layer.receive(request({ branch: '', fromTag: 'from-2' }), source());
  layer.receive(request({ branch: '', uri: 'sip:carol@example.com' }), source());
  layer.receive(request({ branch: '', sentBy: '198.51.100.7:5071' }), source());
  assert.equal(seen.requests.length, 6);
  assert.equal(layer.counts().ist, 6);
  layer.close();
});

test('RFC 2543: a branch without the magic cookie is just part of the top Via', () => {
  const { layer, seen } = setup();
  layer.receive(request({ branch: '1234abcd' }), source());
  layer.receive(request({ branch: '1234abcd' }), source());
  layer.receive(request({ branch: '1234abce' }), source());
  assert.equal(seen.requests.length, 2);
  layer.close();
});

test('RFC 2543: the ACK matches only with the To tag of our final response', () => {
  const { sender, layer, seen } = setup();
  layer.receive(request({ branch: '' }), source());
  const { req, tx } = seen.requests[0];
  tx.respond(createResponse(req, 486, 'Busy Here', { toTag: 'uas' }));
  layer.receive(request({ method: 'ACK', branch: '', toTag: 'someone-else', cseqMethod: 'ACK' }), source());
  assert.equal(tx.state, 'Completed');
  assert.equal(seen.acks.length, 1, 'a non-matching ACK is handed to the TU');
  layer.receive(request({ method: 'ACK', branch: '', toTag: 'uas', cseqMethod: 'ACK' }), source());
  assert.equal(tx.state, 'Confirmed');
  assert.equal(seen.acks.length, 1);
  assert.equal(sender.responses(486).length, 1);
  layer.close();
});

test('RFC 2543: ACK for a 2xx matches the Accepted transaction and is passed to the TU', () => {
  const { layer, seen } = setup();
  layer.receive(request({ branch: '' }), source());
  const { req, tx } = seen.requests[0];
  tx.respond(createResponse(req, 200, 'OK', { toTag: 'uas' }));
  layer.receive(request({ method: 'ACK', branch: '', toTag: 'uas', cseqMethod: 'ACK' }), source());
  assert.equal(seen.acks.length, 1);
  assert.equal(tx.state, 'Accepted');
  layer.close();
});

test('RFC 2543: CANCEL finds the INVITE by the same fields and gets 200', () => {
  const { sender, layer, seen } = setup();
  layer.receive(request({ branch: '' }), source());
  layer.receive(request({ method: 'CANCEL', branch: '' }), source());
  assert.equal(seen.cancels.length, 1);
  assert.deepEqual(sender.responses(200).map((r) => r.cseq?.method), ['CANCEL']);
  layer.receive(request({ method: 'CANCEL', branch: '', cseq: 9 }), source());
  assert.equal(sender.responses(481).length, 1);
  layer.close();
});

test('ACK and CANCEL match the INVITE transaction, yet CANCEL keeps a transaction of its own', () => {
  const { sender, layer, seen } = setup();
  layer.receive(request(), source());
  layer.receive(request({ method: 'CANCEL' }), source());
  assert.deepEqual(layer.counts(), { ict: 0, nict: 0, ist: 1, nist: 1 });
  layer.receive(request({ method: 'CANCEL' }), source());
  assert.equal(sender.responses(200).length, 2, 'the retransmitted CANCEL hits the CANCEL transaction');
  assert.equal(seen.cancels.length, 1);
  layer.close();
});

test('an ACK that matches nothing (ACK for a 2xx, §17.1.1.3) is passed to the TU', () => {
  const { layer, seen } = setup();
  const ack = request({ method: 'ACK', branch: 'z9hG4bK-fresh', toTag: 'uas', cseqMethod: 'ACK' });
  layer.receive(ack, source());
  assert.deepEqual(seen.acks, [ack]);
  assert.deepEqual(layer.counts(), { ict: 0, nict: 0, ist: 0, nist: 0 });
});

test('a response that matches no client transaction is a stray response', () => {
  const { layer, seen } = setup();
  const res = createResponse(request(), 200, 'OK', { toTag: 'x' });
  layer.receive(res, source());
  assert.deepEqual(seen.strays, [res]);
});

test('a message whose Via cannot be parsed is dropped without throwing', () => {
  const { layer, seen } = setup();
  const bad = request();
  bad.set('via', 'this is not a via');
  assert.doesNotThrow(() => layer.receive(bad, source()));
  assert.equal(seen.requests.length, 0);
});

test('a listener that throws does not escape receive()', () => {
  const { layer } = setup();
  layer.on('request', () => { throw new Error('TU bug'); });
  assert.doesNotThrow(() => layer.receive(request(), source()));
  assert.equal(layer.counts().ist, 1);
  layer.close();
});
