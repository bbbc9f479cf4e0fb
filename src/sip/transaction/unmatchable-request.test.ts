// A request whose top Via does not parse cannot be matched to a transaction (§17.2.3) nor routed
// by its Via (§18.2.2); it must still get a 400 (RFC 4475 §3.1.2.1 badinv01) instead of being
// dropped silently. The answer goes statelessly back to the source; ACK and responses never.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flush, request, setup, source } from './test-support.ts';

const BAD_VIA = '192.0.2.15;;,;,,';

test('a request with an unparsable Via gets a stateless 400 back to its source', async () => {
  const { sender, layer, seen } = setup();
  const req = request({ method: 'INVITE', branch: '', sentBy: BAD_VIA });
  assert.throws(() => req.topVia);
  layer.receive(req, source());
  await flush();
  assert.equal(seen.requests.length, 0, 'not passed to the TU');
  const [res] = sender.responses(400);
  assert.ok(res, 'a 400 was sent');
  assert.equal(sender.sent.length, 1);
  assert.deepEqual(sender.sent[0].dest, { protocol: 'UDP', address: '198.51.100.7', port: 5070 });
  assert.equal(res.get('via'), `SIP/2.0/UDP ${BAD_VIA}`);
  assert.equal(res.callId, 'call-1@example.org');
  assert.match(res.get('to') ?? '', /;tag=/);
  assert.deepEqual(layer.counts(), { ict: 0, nict: 0, ist: 0, nist: 0 });
});

test('over a stream the 400 goes back on the same connection', async () => {
  const { sender, layer } = setup();
  layer.receive(request({ method: 'OPTIONS', branch: '', sentBy: BAD_VIA }), source('TCP'));
  await flush();
  assert.equal(sender.responses(400).length, 1);
  assert.equal(sender.sent[0].dest.connectionId, 'conn-1');
});

test('an ACK with an unparsable Via is dropped without an answer', async () => {
  const { sender, layer } = setup();
  layer.receive(request({ method: 'ACK', branch: '', sentBy: BAD_VIA }), source());
  await flush();
  assert.equal(sender.sent.length, 0);
});
