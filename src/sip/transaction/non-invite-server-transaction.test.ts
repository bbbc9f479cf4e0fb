// RFC 3261 §17.2.2: the non-INVITE server transaction, on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse } from '../message/index.ts';
import { request, setup, source } from './test-support.ts';

test('Trying discards retransmissions; Proceeding re-sends the provisional; Completed re-sends the final', () => {
  const { sender, layer, seen } = setup();
  layer.receive(request({ method: 'OPTIONS' }), source());
  assert.equal(sender.sent.length, 0, 'no automatic 100 for non-INVITE');
  const { req, tx } = seen.requests[0];
  assert.equal(tx.state, 'Trying');
  layer.receive(request({ method: 'OPTIONS' }), source());
  assert.equal(sender.sent.length, 0);
  tx.respond(createResponse(req, 100, 'Trying'));
  assert.equal(tx.state, 'Proceeding');
  layer.receive(request({ method: 'OPTIONS' }), source());
  assert.deepEqual(sender.responses().map((r) => r.status), [100, 100]);
  tx.respond(createResponse(req, 200, 'OK', { toTag: 'uas' }));
  assert.equal(tx.state, 'Completed');
  layer.receive(request({ method: 'OPTIONS' }), source());
  assert.deepEqual(sender.responses().map((r) => r.status), [100, 100, 200, 200]);
  tx.respond(createResponse(req, 500, 'Late'));
  assert.equal(sender.responses(500).length, 0, 'nothing after the final response');
  assert.equal(seen.requests.length, 1);
  layer.close();
});

test('timer J keeps the final response for 64·T1 over UDP', () => {
  const { clock, sender, layer, seen } = setup();
  layer.receive(request({ method: 'BYE' }), source());
  const { req, tx } = seen.requests[0];
  tx.respond(createResponse(req, 200, 'OK'));
  clock.advance(31_999);
  assert.equal(tx.state, 'Completed');
  assert.equal(sender.sent.length, 1, 'non-INVITE finals are not retransmitted by timers');
  clock.advance(1);
  assert.equal(tx.state, 'Terminated');
  assert.equal(layer.counts().nist, 0);
  assert.equal(clock.pending(), 0);
});

test('timer J is zero over TCP', () => {
  const { clock, layer, seen } = setup();
  layer.receive(request({ method: 'BYE', transport: 'TCP' }), source('TCP'));
  const { req, tx } = seen.requests[0];
  tx.respond(createResponse(req, 200, 'OK'));
  assert.equal(tx.state, 'Terminated');
  assert.equal(clock.pending(), 0);
});

test('a transaction the TU never answers is abandoned after 64·T1 (no leak)', () => {
  const { clock, layer, seen } = setup();
  layer.receive(request({ method: 'INFO' }), source());
  const { tx } = seen.requests[0];
  clock.advance(32_000);
  assert.equal(tx.state, 'Terminated');
  assert.equal(layer.counts().nist, 0);
  assert.equal(clock.pending(), 0);
});

test('the same branch from a different sent-by is a different transaction (§17.2.3)', () => {
  const { layer, seen } = setup();
  layer.receive(request({ method: 'OPTIONS' }), source());
  layer.receive(request({ method: 'OPTIONS', sentBy: '198.51.100.8:5070' }), source());
  assert.equal(seen.requests.length, 2);
  assert.equal(layer.counts().nist, 2);
  layer.close();
  assert.equal(layer.counts().nist, 0);
});
