// CANCEL (RFC 3261 §9): the server answers it through its own transaction and tells the TU;
// the client builds it per §9.1 and holds it until a provisional response arrived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipRequest } from '../message/index.ts';
import { createResponse } from '../message/index.ts';
import { handlers, request, response, setup, source, UDP_DEST } from './test-support.ts';

const peer = { protocol: 'UDP', address: '192.0.2.20', port: 5060, localAddress: '192.0.2.1', localPort: 5060 } as const;

function cancelOf(invite: SipRequest): SipRequest {
  return request({ method: 'CANCEL', branch: invite.topVia?.branch });
}

test('CANCEL → 200 OK through its own transaction, a cancel event, and the INVITE gets 487', () => {
  const { clock, sender, layer, seen } = setup();
  layer.receive(request(), source());
  const { req, tx } = seen.requests[0];
  tx.respond(createResponse(req, 180, 'Ringing', { toTag: 'uas' }));
  layer.on('cancel', (invite) => invite.respond(createResponse(invite.request, 487, 'Request Terminated', { toTag: 'uas' })));
  const cancel = cancelOf(req);
  layer.receive(cancel, source());
  assert.equal(seen.cancels.length, 1);
  assert.equal(seen.cancels[0].invite, tx);
  assert.equal(seen.cancels[0].cancel, cancel);
  assert.equal(seen.requests.length, 1, 'CANCEL is not passed up as a request');
  const ok = sender.responses(200)[0];
  assert.ok(ok);
  assert.equal(ok.cseq?.method, 'CANCEL');
  assert.equal(ok.toTag, 'uas', '§9.2: same To tag as the INVITE responses');
  assert.equal(sender.responses(487).length, 1);
  assert.equal(tx.state, 'Completed');
  // The 200 is sent before the 487 (the event is emitted after the 200).
  assert.ok(sender.sent.findIndex((s) => s.msg === ok) < sender.sent.findIndex((s) => (s.msg as { status?: number }).status === 487));
  // A retransmitted CANCEL gets the 200 again, and no second event.
  layer.receive(cancelOf(req), source());
  assert.equal(sender.responses(200).length, 2);
  assert.equal(seen.cancels.length, 1);
  layer.receive(request({ method: 'ACK', toTag: 'uas', cseqMethod: 'ACK' }), source());
  assert.equal(tx.state, 'Confirmed');
  clock.advance(40_000);
  assert.equal(clock.pending(), 0);
  assert.deepEqual(layer.counts(), { ict: 0, nict: 0, ist: 0, nist: 0 });
});

test('CANCEL without a matching INVITE transaction → 481', () => {
  const { sender, layer, seen } = setup();
  layer.receive(request({ method: 'CANCEL', branch: 'z9hG4bK-nothing' }), source());
  assert.equal(sender.responses(481).length, 1);
  assert.equal(seen.cancels.length, 0);
  assert.equal(seen.requests.length, 0);
  layer.close();
});

test('CANCEL after the final response: 200, but nothing to cancel (§9.2)', () => {
  const { sender, layer, seen } = setup();
  layer.receive(request(), source());
  const { req, tx } = seen.requests[0];
  tx.respond(createResponse(req, 200, 'OK', { toTag: 'uas' }));
  layer.receive(cancelOf(req), source());
  assert.equal(sender.responses(200).length, 2);
  assert.equal(sender.responses(200)[1].cseq?.method, 'CANCEL');
  assert.equal(seen.cancels.length, 0);
  layer.close();
});

test('client: CANCEL is built per §9.1 and sent once a provisional arrived', () => {
  const { sender, layer } = setup();
  const inv = request({ routes: ['<sip:edge.example.net;lr>'], extraVia: 'SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKlow' });
  const tx = layer.sendRequest(inv, UDP_DEST, handlers());
  layer.receive(response(inv, 180, 'Ringing', 'uas'), peer);
  tx.cancel();
  const [cancel] = sender.requests('CANCEL');
  assert.ok(cancel);
  assert.equal(cancel.uri, inv.uri);
  assert.equal(cancel.callId, inv.callId);
  assert.equal(cancel.get('to'), inv.get('to'), 'the To of the request, without the tag of the response');
  assert.equal(cancel.get('from'), inv.get('from'));
  assert.deepEqual(cancel.cseq, { seq: 1, method: 'CANCEL' });
  assert.deepEqual(cancel.getAll('via'), [inv.getAll('via')[0]]);
  assert.deepEqual(cancel.getAll('route'), ['<sip:edge.example.net;lr>']);
  assert.equal(sender.sent.find((s) => s.msg === cancel)?.dest, UDP_DEST);
  assert.deepEqual(layer.counts(), { ict: 1, nict: 1, ist: 0, nist: 0 });
  tx.cancel();
  assert.equal(sender.requests('CANCEL').length, 1, 'cancel() is idempotent');
  layer.close();
});

test('client: CANCEL before any provisional response is held until the first 1xx', () => {
  const { clock, sender, layer } = setup();
  const inv = request();
  const tx = layer.sendRequest(inv, UDP_DEST, handlers());
  tx.cancel();
  clock.advance(1000);
  assert.equal(sender.requests('CANCEL').length, 0);
  layer.receive(response(inv, 100, 'Trying'), peer);
  assert.equal(sender.requests('CANCEL').length, 1);
  layer.close();
});

test('client: a CANCEL held when the final response comes is never sent', () => {
  const { clock, sender, layer } = setup();
  const inv = request();
  const tx = layer.sendRequest(inv, UDP_DEST, handlers());
  tx.cancel();
  layer.receive(response(inv, 486, 'Busy Here'), peer);
  clock.advance(40_000);
  assert.equal(sender.requests('CANCEL').length, 0);
  tx.cancel();
  assert.equal(sender.requests('CANCEL').length, 0, 'nothing to cancel after a final response');
  assert.equal(clock.pending(), 0);
});

test('client: CANCEL crosses 200 OK — the 200 still reaches the TU, the CANCEL completes on its own', () => {
  const { clock, sender, layer, seen } = setup();
  const h = handlers();
  const inv = request();
  const tx = layer.sendRequest(inv, UDP_DEST, h);
  layer.receive(response(inv, 180, 'Ringing', 'uas'), peer);
  tx.cancel();
  const cancel = sender.requests('CANCEL')[0];
  layer.receive(response(inv, 200, 'OK', 'uas'), peer);
  assert.equal(tx.state, 'Accepted');
  assert.deepEqual(h.responses.map((r) => r.status), [180, 200], 'the TU must ACK and BYE this call');
  layer.receive(response(cancel, 200, 'OK', 'uas'), peer);
  assert.deepEqual(h.responses.map((r) => r.status), [180, 200], 'the response to CANCEL is not the INVITE TU’s');
  assert.equal(seen.strays.length, 0);
  clock.advance(40_000);
  assert.equal(clock.pending(), 0);
  assert.deepEqual(layer.counts(), { ict: 0, nict: 0, ist: 0, nist: 0 });
});

test('server: CANCEL crosses the 200 OK the TU just sent — 200 to CANCEL, no cancel event', () => {
  const { sender, layer, seen } = setup();
  layer.receive(request(), source());
  const { req, tx } = seen.requests[0];
  tx.respond(createResponse(req, 180, 'Ringing', { toTag: 'uas' }));
  tx.respond(createResponse(req, 200, 'OK', { toTag: 'uas' }));
  layer.receive(cancelOf(req), source());
  assert.equal(seen.cancels.length, 0);
  assert.deepEqual(sender.responses(200).map((r) => r.cseq?.method), ['INVITE', 'CANCEL']);
  assert.equal(sender.responses(200)[1].toTag, 'uas');
  layer.close();
});
