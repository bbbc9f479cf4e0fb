// RFC 3261 §17.2.1 and RFC 6026 §7.1: the INVITE server transaction, on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage, SipRequest, SipResponse } from '../message/index.ts';
import { createResponse } from '../message/index.ts';
import { flush, request, setup, source } from './test-support.ts';

const status = (code: number) => (m: SipMessage) => !m.isRequest() && (m as { status?: number }).status === code;

/** The ACK a UAC sends for a non-2xx final response: same branch as the INVITE. */
function ackFor(invite: SipRequest, toTag: string, branch = invite.topVia?.branch ?? ''): SipRequest {
  return request({ method: 'ACK', branch, toTag, cseqMethod: 'ACK' });
}

test('it sends 100 Trying at once and hands the INVITE to the TU', () => {
  const { sender, layer, seen } = setup();
  const inv = request();
  layer.receive(inv, source());
  assert.equal(seen.requests.length, 1);
  assert.equal(seen.requests[0].req, inv);
  assert.equal(seen.requests[0].tx.state, 'Proceeding');
  const [trying] = sender.responses(100);
  assert.ok(trying);
  assert.equal(trying.get('via'), inv.get('via'));
  assert.equal(trying.toTag, undefined);
  assert.equal(trying.cseq?.method, 'INVITE');
  assert.deepEqual(sender.sent[0].dest, { protocol: 'UDP', address: '198.51.100.7', port: 5070 });
  assert.deepEqual(layer.counts(), { ict: 0, nict: 0, ist: 1, nist: 0 });
  layer.close();
});

test("with trying 'after200ms', 100 goes out only if the TU has not answered within 200 ms", () => {
  const { clock, sender, layer, seen } = setup({ trying: 'after200ms' });
  layer.receive(request({ branch: 'z9hG4bK-a' }), source());
  layer.receive(request({ branch: 'z9hG4bK-b' }), source());
  const [a, b] = seen.requests;
  clock.advance(150);
  a.tx.respond(createResponse(a.req, 180, 'Ringing', { toTag: 'uas' }));
  clock.advance(50);
  assert.equal(sender.responses(100).length, 1);
  assert.equal(sender.responses(100)[0].topVia?.branch, b.req.topVia?.branch);
  layer.close();
});

test('it absorbs a retransmitted INVITE by re-sending the last provisional (180)', () => {
  const { sender, layer, seen } = setup();
  layer.receive(request(), source());
  const { req, tx } = seen.requests[0];
  const ringing = createResponse(req, 180, 'Ringing', { toTag: 'uas' });
  tx.respond(ringing);
  layer.receive(request(), source());
  layer.receive(request(), source());
  assert.equal(seen.requests.length, 1, 'a retransmission is not a new request');
  assert.deepEqual(sender.sent.map((s) => (s.msg as SipResponse).status), [100, 180, 180, 180]);
  assert.equal(sender.sent[3].msg, ringing);
  layer.close();
});

test('a retransmission before any TU response gets the 100 again', () => {
  const { sender, layer } = setup();
  layer.receive(request(), source());
  layer.receive(request(), source());
  assert.equal(sender.responses(100).length, 2);
  layer.close();
});

test('timer G retransmits a 486 at T1, 2·T1 … capped at T2; ACK → Confirmed; timer I = T4', () => {
  const { clock, sender, layer, seen } = setup();
  layer.receive(request(), source());
  const { req, tx } = seen.requests[0];
  tx.respond(createResponse(req, 486, 'Busy Here', { toTag: 'uas' }));
  assert.equal(tx.state, 'Completed');
  clock.advance(16_000);
  assert.deepEqual(sender.timesOf(status(486)), [0, 500, 1500, 3500, 7500, 11500, 15500]);
  // A retransmitted INVITE in Completed gets the final response again.
  layer.receive(request(), source());
  assert.equal(sender.responses(486).length, 8);
  layer.receive(ackFor(req, 'uas'), source());
  assert.equal(tx.state, 'Confirmed');
  assert.equal(seen.acks.length, 0, 'the ACK for a non-2xx stays in the transaction');
  clock.advance(4_999);
  layer.receive(ackFor(req, 'uas'), source());
  layer.receive(request(), source());
  assert.equal(sender.responses(486).length, 8, 'Confirmed absorbs ACKs and INVITEs silently');
  assert.equal(tx.state, 'Confirmed');
  clock.advance(1);
  assert.equal(tx.state, 'Terminated');
  assert.equal(layer.counts().ist, 0);
  assert.equal(clock.pending(), 0);
});

test('timer H: no ACK within 64·T1 terminates the transaction and tells the TU', () => {
  const { clock, sender, layer, seen } = setup();
  layer.receive(request(), source());
  const { req, tx } = seen.requests[0];
  tx.respond(createResponse(req, 500, 'Server Internal Error', { toTag: 'uas' }));
  clock.advance(31_999);
  assert.equal(seen.errors.length, 0);
  clock.advance(1);
  assert.deepEqual(seen.errors.map((e) => e.reason), ['timeout']);
  assert.equal(seen.errors[0].tx, tx);
  assert.equal(tx.state, 'Terminated');
  // 0, .5, 1.5, 3.5, 7.5, then every 4 s up to 31.5
  assert.deepEqual(sender.timesOf(status(500)), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  assert.equal(clock.pending(), 0);
});

test('over TCP: no timer G, and timer I is zero', () => {
  const { clock, sender, layer, seen } = setup();
  layer.receive(request({ transport: 'TCP' }), source('TCP'));
  const { req, tx } = seen.requests[0];
  tx.respond(createResponse(req, 480, 'Temporarily Unavailable', { toTag: 'uas' }));
  clock.advance(20_000);
  assert.equal(sender.responses(480).length, 1);
  assert.equal(sender.sent[0].dest.connectionId, 'conn-1');
  layer.receive(request({ method: 'ACK', transport: 'TCP', toTag: 'uas', cseqMethod: 'ACK' }), source('TCP'));
  assert.equal(tx.state, 'Terminated');
  assert.equal(clock.pending(), 0);
});

test('2xx → Accepted: retransmitted INVITE absorbed, TU 2xx retransmissions sent, ACK passed to TU, timer L', () => {
  const { clock, sender, layer, seen } = setup();
  layer.receive(request(), source());
  const { req, tx } = seen.requests[0];
  const ok = createResponse(req, 200, 'OK', { toTag: 'uas' });
  tx.respond(ok);
  assert.equal(tx.state, 'Accepted');
  clock.advance(500);
  assert.equal(sender.responses(200).length, 1, 'the transaction does not retransmit a 2xx');
  layer.receive(request(), source());
  assert.equal(sender.sent.length, 2, 'a retransmitted INVITE is absorbed (RFC 6026 §8.7)');
  tx.respond(ok); // the TU's own retransmission (§13.3.1.4)
  assert.equal(sender.responses(200).length, 2);
  tx.respond(createResponse(req, 486, 'Busy Here', { toTag: 'uas' }));
  assert.equal(sender.responses(486).length, 0, 'no non-2xx after a 2xx');
  // The ACK for a 2xx carries a new branch and never matches the transaction…
  layer.receive(request({ method: 'ACK', branch: 'z9hG4bK-ack', toTag: 'uas', cseqMethod: 'ACK' }), source());
  // …but one that does (same branch, as some stacks send it) still reaches the TU here.
  layer.receive(ackFor(req, 'uas'), source());
  assert.equal(seen.acks.length, 2);
  clock.advance(32_000 - 500 - 1);
  assert.equal(tx.state, 'Accepted');
  clock.advance(1);
  assert.equal(tx.state, 'Terminated');
  assert.equal(clock.pending(), 0);
  // After timer L, a late INVITE retransmission would be a new transaction (the UA core sees a dup by Call-ID/CSeq).
  assert.equal(layer.counts().ist, 0);
});

test('a transport error when responding terminates the server transaction and tells the TU (§17.2.4)', async () => {
  const { clock, sender, layer, seen } = setup();
  layer.receive(request(), source());
  const { req, tx } = seen.requests[0];
  sender.failure = 'reject';
  tx.respond(createResponse(req, 486, 'Busy Here', { toTag: 'uas' }));
  await flush();
  assert.equal(tx.state, 'Terminated');
  assert.deepEqual(seen.errors.map((e) => e.reason), ['transport']);
  assert.equal(clock.pending(), 0);
  assert.equal(layer.counts().ist, 0);
});

test('responses go where §18.2.2 says: rport → source address and port', () => {
  const { sender, layer } = setup();
  const inv = request({ sentBy: '10.0.0.5:5080;rport' });
  layer.receive(inv, source('UDP', '203.0.113.9', 40000));
  assert.deepEqual(sender.sent[0].dest, { protocol: 'UDP', address: '203.0.113.9', port: 40000 });
  layer.close();
});

test('respond() rejects a status outside 100–699', () => {
  const { layer, seen } = setup();
  layer.receive(request(), source());
  const { req, tx } = seen.requests[0];
  assert.throws(() => tx.respond(createResponse(req, 99, 'Bad')), RangeError);
  layer.close();
});
