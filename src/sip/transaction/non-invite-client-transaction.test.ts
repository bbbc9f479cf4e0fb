// RFC 3261 §17.1.2: the non-INVITE client transaction, on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage } from '../message/index.ts';
import { flush, handlers, request, response, setup, TCP_DEST, UDP_DEST } from './test-support.ts';

const isOptions = (m: SipMessage) => m.isRequest() && m.method === 'OPTIONS';
const peer = { protocol: 'UDP', address: '192.0.2.20', port: 5060, localAddress: '192.0.2.1', localPort: 5060 } as const;

test('timer E doubles from T1 and caps at T2; timer F = 64·T1 times out', () => {
  const { clock, sender, layer } = setup();
  const h = handlers();
  const tx = layer.sendRequest(request({ method: 'OPTIONS' }), UDP_DEST, h);
  assert.equal(tx.state, 'Trying');
  assert.deepEqual(layer.counts(), { ict: 0, nict: 1, ist: 0, nist: 0 });
  clock.advance(31_999);
  assert.deepEqual(sender.timesOf(isOptions), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  assert.equal(h.timeouts, 0);
  clock.advance(1);
  assert.equal(h.timeouts, 1);
  assert.equal(tx.state, 'Terminated');
  assert.equal(layer.counts().nict, 0);
  assert.equal(clock.pending(), 0);
});

test('in Proceeding timer E retransmits every T2', () => {
  const { clock, sender, layer } = setup();
  const h = handlers();
  const req = request({ method: 'OPTIONS' });
  const tx = layer.sendRequest(req, UDP_DEST, h);
  clock.advance(600);
  layer.receive(response(req, 100, 'Trying'), peer);
  assert.equal(tx.state, 'Proceeding');
  clock.advance(12_000 - 600);
  // 0, 500 in Trying; the timer armed at 500 (1000 ms) fires at 1500, then every T2.
  assert.deepEqual(sender.timesOf(isOptions), [0, 500, 1500, 5500, 9500]);
  clock.advance(20_000);
  assert.equal(h.timeouts, 1, 'timer F also runs in Proceeding');
  assert.deepEqual(h.responses.map((r) => r.status), [100]);
});

test('a final response ends retransmissions; timer K (T4) absorbs retransmitted finals', () => {
  const { clock, sender, layer, seen } = setup();
  const h = handlers();
  const req = request({ method: 'REGISTER' });
  const tx = layer.sendRequest(req, UDP_DEST, h);
  clock.advance(700);
  layer.receive(response(req, 200, 'OK'), peer);
  assert.equal(tx.state, 'Completed');
  layer.receive(response(req, 200, 'OK'), peer);
  assert.deepEqual(h.responses.map((r) => r.status), [200]);
  clock.advance(4_999);
  assert.equal(tx.state, 'Completed');
  assert.equal(sender.requests('REGISTER').length, 2);
  clock.advance(1);
  assert.equal(tx.state, 'Terminated');
  assert.equal(clock.pending(), 0);
  layer.receive(response(req, 200, 'OK'), peer);
  assert.equal(seen.strays.length, 1);
});

test('over TCP: no retransmission, and timer K is zero', () => {
  const { clock, sender, layer } = setup();
  const h = handlers();
  const req = request({ method: 'BYE', transport: 'TCP' });
  const tx = layer.sendRequest(req, TCP_DEST, h);
  clock.advance(10_000);
  assert.equal(sender.requests('BYE').length, 1);
  layer.receive(response(req, 200, 'OK'), { ...peer, protocol: 'TCP' });
  assert.equal(tx.state, 'Terminated');
  assert.equal(clock.pending(), 0);
});

test('race: final response at the instant timer E is due prevents the retransmission', () => {
  const { clock, sender, layer } = setup();
  const req = request({ method: 'OPTIONS' });
  clock.setTimeout(() => layer.receive(response(req, 200, 'OK'), peer), 500);
  layer.sendRequest(req, UDP_DEST, handlers());
  clock.advance(500);
  assert.deepEqual(sender.timesOf(isOptions), [0]);
  layer.close();
  assert.equal(clock.pending(), 0);
});

test('a transport error ends the transaction and tells the TU', async () => {
  const { clock, sender, layer } = setup();
  sender.failure = 'reject';
  const h = handlers();
  const tx = layer.sendRequest(request({ method: 'MESSAGE' }), UDP_DEST, h);
  await flush();
  assert.equal(h.transportErrors.length, 1);
  assert.match(h.transportErrors[0].message, /refused/);
  assert.equal(tx.state, 'Terminated');
  assert.equal(clock.pending(), 0);
});

test('a response to a different method with the same branch does not match (§17.1.3)', () => {
  const { layer, seen } = setup();
  const h = handlers();
  const req = request({ method: 'OPTIONS' });
  layer.sendRequest(req, UDP_DEST, h);
  layer.receive(response(request({ method: 'CANCEL' }), 200, 'OK'), peer);
  assert.equal(h.responses.length, 0);
  assert.equal(seen.strays.length, 1);
  layer.close();
});
