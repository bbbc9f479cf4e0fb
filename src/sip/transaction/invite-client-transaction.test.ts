// RFC 3261 §17.1.1 and RFC 6026 §8.4: the INVITE client transaction, on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage } from '../message/index.ts';
import { flush, handlers, request, response, setup, TCP_DEST, UDP_DEST } from './test-support.ts';

const isInvite = (m: SipMessage) => m.isRequest() && m.method === 'INVITE';
const isAck = (m: SipMessage) => m.isRequest() && m.method === 'ACK';

test('it retransmits INVITE at T1, 2·T1, 4·T1… and times out at 64·T1 (timer B)', () => {
  const { clock, sender, layer } = setup();
  const h = handlers();
  const tx = layer.sendRequest(request(), UDP_DEST, h);
  assert.equal(tx.state, 'Calling');
  assert.deepEqual(layer.counts(), { ict: 1, nict: 0, ist: 0, nist: 0 });
  clock.advance(31_999);
  assert.deepEqual(sender.timesOf(isInvite), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.equal(h.timeouts, 0);
  clock.advance(1);
  assert.equal(h.timeouts, 1);
  assert.equal(tx.state, 'Terminated');
  assert.equal(layer.counts().ict, 0);
  assert.equal(clock.pending(), 0);
  assert.deepEqual(sender.sent.every((s) => s.dest === UDP_DEST), true);
});

test('it honours configured T1 for timers A and B', () => {
  const { clock, sender, layer } = setup({ timers: { t1: 100 } });
  const h = handlers();
  layer.sendRequest(request(), UDP_DEST, h);
  clock.advance(6400);
  assert.deepEqual(sender.timesOf(isInvite), [0, 100, 300, 700, 1500, 3100, 6300]);
  assert.equal(h.timeouts, 1);
});

test('it does not retransmit over TCP, and timer B still applies', () => {
  const { clock, sender, layer } = setup();
  const h = handlers();
  layer.sendRequest(request({ transport: 'TCP' }), TCP_DEST, h);
  clock.advance(31_999);
  assert.equal(sender.requests('INVITE').length, 1);
  clock.advance(1);
  assert.equal(h.timeouts, 1);
  assert.equal(clock.pending(), 0);
});

test('a provisional response stops retransmissions and timer B (Proceeding)', () => {
  const { clock, sender, layer } = setup();
  const h = handlers();
  const req = request();
  const tx = layer.sendRequest(req, UDP_DEST, h);
  clock.advance(600);
  layer.receive(response(req, 180, 'Ringing'), { protocol: 'UDP', address: '192.0.2.20', port: 5060, localAddress: '192.0.2.1', localPort: 5060 });
  assert.equal(tx.state, 'Proceeding');
  clock.advance(120_000);
  assert.equal(sender.requests('INVITE').length, 2);
  assert.equal(h.timeouts, 0);
  assert.deepEqual(h.responses.map((r) => r.status), [180]);
  layer.receive(response(req, 183, 'Session Progress'), sourceOfPeer());
  assert.deepEqual(h.responses.map((r) => r.status), [180, 183]);
  assert.equal(clock.pending(), 0, 'no timer runs in Proceeding');
  layer.close();
});

test('it ACKs a 486 and re-ACKs a retransmitted 486 without passing it up again (§17.1.1.3)', () => {
  const { clock, sender, layer } = setup();
  const h = handlers();
  const req = request({ routes: ['<sip:p1.example.net;lr>', '<sip:p2.example.net;lr>'], extraVia: 'SIP/2.0/UDP 10.9.9.9;branch=z9hG4bKlower' });
  const tx = layer.sendRequest(req, UDP_DEST, h);
  const busy = response(req, 486, 'Busy Here', 'callee-tag');
  layer.receive(busy, sourceOfPeer());
  assert.equal(tx.state, 'Completed');
  assert.deepEqual(h.responses.map((r) => r.status), [486]);
  const [ack] = sender.requests('ACK');
  assert.ok(ack);
  assert.equal(ack.uri, req.uri);
  assert.deepEqual(ack.getAll('via'), [req.getAll('via')[0]], 'one Via: the INVITE top Via, same branch');
  assert.equal(ack.topVia?.branch, 'z9hG4bK-test-1');
  assert.equal(ack.get('to'), busy.get('to'));
  assert.equal(ack.toTag, 'callee-tag');
  assert.equal(ack.get('from'), req.get('from'));
  assert.equal(ack.callId, req.callId);
  assert.deepEqual(ack.cseq, { seq: 1, method: 'ACK' });
  assert.deepEqual(ack.getAll('route'), ['<sip:p1.example.net;lr>', '<sip:p2.example.net;lr>']);
  assert.equal(sender.sent.find((s) => s.msg === ack)?.dest, UDP_DEST);

  clock.advance(1000);
  layer.receive(response(req, 486, 'Busy Here', 'callee-tag'), sourceOfPeer());
  assert.equal(sender.requests('ACK').length, 2);
  assert.equal(sender.requests('ACK')[1], ack, 'the same ACK is re-sent');
  assert.deepEqual(h.responses.map((r) => r.status), [486]);
  assert.equal(sender.requests('INVITE').length, 1, 'no retransmission after the 486');
});

test('timer D keeps the Completed state for 32 s on UDP, then terminates', () => {
  const { clock, layer } = setup();
  const req = request();
  const tx = layer.sendRequest(req, UDP_DEST, handlers());
  layer.receive(response(req, 603, 'Decline'), sourceOfPeer());
  clock.advance(31_999);
  assert.equal(tx.state, 'Completed');
  clock.advance(1);
  assert.equal(tx.state, 'Terminated');
  assert.equal(layer.counts().ict, 0);
  assert.equal(clock.pending(), 0);
});

test('timer D is zero over TCP', () => {
  const { clock, sender, layer } = setup();
  const req = request({ transport: 'TCP' });
  const tx = layer.sendRequest(req, TCP_DEST, handlers());
  layer.receive(response(req, 404, 'Not Found'), sourceOfPeer('TCP'));
  assert.equal(tx.state, 'Terminated');
  assert.equal(sender.requests('ACK').length, 1);
  assert.equal(clock.pending(), 0);
});

test('2xx → Accepted (RFC 6026): retransmitted 2xx reach the TU until timer M, then they are stray', () => {
  const { clock, sender, layer, seen } = setup();
  const h = handlers();
  const req = request();
  const tx = layer.sendRequest(req, UDP_DEST, h);
  layer.receive(response(req, 200, 'OK'), sourceOfPeer());
  assert.equal(tx.state, 'Accepted');
  assert.equal(sender.requests('ACK').length, 0, 'the TU ACKs a 2xx, not the transaction');
  clock.advance(4000);
  assert.equal(sender.requests('INVITE').length, 1, 'no retransmission after the 2xx');
  layer.receive(response(req, 200, 'OK'), sourceOfPeer());
  layer.receive(response(req, 180, 'Ringing'), sourceOfPeer());
  assert.deepEqual(h.responses.map((r) => r.status), [200, 200]);
  clock.advance(32_000 - 4000);
  assert.equal(tx.state, 'Terminated');
  assert.equal(clock.pending(), 0);
  layer.receive(response(req, 200, 'OK'), sourceOfPeer());
  assert.equal(seen.strays.length, 1);
  assert.equal(h.responses.length, 2);
});

test('200 responses from two forks both reach the TU (RFC 6026 §8.4)', () => {
  const { layer } = setup();
  const h = handlers();
  const req = request();
  layer.sendRequest(req, UDP_DEST, h);
  layer.receive(response(req, 200, 'OK', 'fork-a'), sourceOfPeer());
  layer.receive(response(req, 200, 'OK', 'fork-b'), sourceOfPeer());
  assert.deepEqual(h.responses.map((r) => r.toTag), ['fork-a', 'fork-b']);
  layer.close();
});

test('race: a final response delivered at the instant timer A is due wins, and no retransmission follows', () => {
  const { clock, sender, layer } = setup();
  const h = handlers();
  const req = request();
  // Scheduled before the transaction exists, so it fires first at t = 500.
  clock.setTimeout(() => layer.receive(response(req, 486, 'Busy Here'), sourceOfPeer()), 500);
  layer.sendRequest(req, UDP_DEST, h);
  clock.advance(500);
  assert.deepEqual(sender.timesOf(isInvite), [0]);
  assert.deepEqual(sender.timesOf(isAck), [500]);
  clock.advance(40_000);
  assert.equal(sender.requests('INVITE').length, 1);
  assert.equal(clock.pending(), 0);
});

test('race: timer A fires first, then the final response — one retransmission, one ACK', () => {
  const { clock, sender, layer } = setup();
  const req = request();
  layer.sendRequest(req, UDP_DEST, handlers());
  clock.setTimeout(() => layer.receive(response(req, 486, 'Busy Here'), sourceOfPeer()), 500);
  clock.advance(500);
  assert.deepEqual(sender.timesOf(isInvite), [0, 500]);
  assert.deepEqual(sender.timesOf(isAck), [500]);
  layer.close();
  assert.equal(clock.pending(), 0);
});

test('race: timer B and a 180 due at the same instant — whichever runs first decides', () => {
  const { clock, layer } = setup();
  const h = handlers();
  const req = request();
  const tx = layer.sendRequest(req, UDP_DEST, h);
  clock.setTimeout(() => layer.receive(response(req, 180, 'Ringing'), sourceOfPeer()), 32_000);
  clock.advance(32_000);
  assert.equal(h.timeouts, 1);
  assert.equal(tx.state, 'Terminated');
  assert.equal(h.responses.length, 0, 'the late 180 is stray, not passed to a terminated transaction');
});

test('a transport error while Calling ends the transaction and tells the TU (§8.1.3.1)', async () => {
  for (const failure of ['throw', 'reject'] as const) {
    const { clock, sender, layer } = setup();
    sender.failure = failure;
    const h = handlers();
    const tx = layer.sendRequest(request(), UDP_DEST, h);
    assert.equal(h.transportErrors.length, 0, `${failure}: never reported before sendRequest returns`);
    await flush();
    assert.equal(h.transportErrors.length, 1, failure);
    assert.equal(tx.state, 'Terminated');
    assert.equal(layer.counts().ict, 0);
    assert.equal(clock.pending(), 0);
  }
});

test('sendRequest refuses ACK, a branch without the magic cookie, and a branch already in use', () => {
  const { layer } = setup();
  assert.throws(() => layer.sendRequest(request({ method: 'ACK' }), UDP_DEST, handlers()), TypeError);
  assert.throws(() => layer.sendRequest(request({ branch: 'abc123' }), UDP_DEST, handlers()), TypeError);
  layer.sendRequest(request(), UDP_DEST, handlers());
  assert.throws(() => layer.sendRequest(request(), UDP_DEST, handlers()), /exists/);
  layer.close();
  assert.throws(() => layer.sendRequest(request({ branch: 'z9hG4bK-other' }), UDP_DEST, handlers()), /closed/);
});

test('a throwing onResponse handler does not break the state machine', () => {
  const { layer, sender } = setup();
  const req = request();
  const tx = layer.sendRequest(req, UDP_DEST, { onResponse: () => { throw new Error('TU bug'); } });
  layer.receive(response(req, 486, 'Busy Here'), sourceOfPeer());
  assert.equal(tx.state, 'Completed');
  assert.equal(sender.requests('ACK').length, 1);
  layer.close();
});

function sourceOfPeer(protocol: 'UDP' | 'TCP' = 'UDP') {
  return { protocol, address: '192.0.2.20', port: 5060, localAddress: '192.0.2.1', localPort: 5060 } as const;
}
