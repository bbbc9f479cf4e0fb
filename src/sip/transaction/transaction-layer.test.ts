// The layer as a whole: close(), counts(), and two layers talking over a lossy in-memory
// UDP wire (serialized and re-parsed), so client and server machines meet each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/index.ts';
import { createResponse, parseMessage, serialize } from '../message/index.ts';
import type { SipMessage, SipRequest } from '../message/index.ts';
import type { Destination, MessageSender, Source, TransportProtocol } from '../transport/types.ts';
import { newBranch } from './branch.ts';
import { flush, handlers, request, response, setup, source, UDP_DEST } from './test-support.ts';
import { TransactionLayer } from './transaction-layer.ts';

test('close() cancels every timer, forgets every transaction and emits nothing afterwards', async () => {
  const { clock, sender, layer, seen } = setup();
  const h = handlers();
  const inv = request({ branch: 'z9hG4bK-out' });
  layer.sendRequest(inv, UDP_DEST, h);
  layer.sendRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK-opt' }), UDP_DEST, h);
  layer.receive(request({ branch: 'z9hG4bK-in' }), source());
  seen.requests[0].tx.respond(createResponse(seen.requests[0].req, 486, 'Busy Here', { toTag: 'u' }));
  sender.failure = 'reject';
  layer.sendStateless(request({ method: 'ACK', branch: 'z9hG4bK-ack' }), UDP_DEST);
  assert.deepEqual(layer.counts(), { ict: 1, nict: 1, ist: 1, nist: 0 });
  layer.close();
  assert.equal(clock.pending(), 0);
  assert.deepEqual(layer.counts(), { ict: 0, nict: 0, ist: 0, nist: 0 });
  const sentBefore = sender.sent.length;
  layer.receive(response(inv, 180, 'Ringing'), source());
  layer.receive(request({ branch: 'z9hG4bK-late' }), source());
  await flush();
  clock.advance(100_000);
  assert.equal(sender.sent.length, sentBefore);
  assert.equal(h.responses.length + h.timeouts + h.transportErrors.length, 0);
  assert.equal(seen.requests.length, 1);
  layer.close(); // idempotent
});

test('newBranch() makes distinct RFC 3261 branches', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) seen.add(newBranch());
  assert.equal(seen.size, 2000);
  for (const b of seen) assert.match(b, /^z9hG4bK[0-9a-f]{16}$/);
});

/** A UDP wire between two layers with 10 ms latency; `drop` decides which datagrams are lost. */
class Wire {
  readonly clock = new FakeClock();
  drop: (msg: SipMessage, n: number) => boolean = () => false;
  private n = 0;
  readonly ends = new Map<string, TransactionLayer>();

  sender(self: string): MessageSender {
    return {
      send: (msg: SipMessage, dest: Destination) => {
        const bytes = serialize(msg);
        if (this.drop(msg, this.n++)) return;
        const to = this.ends.get(`${dest.address}:${dest.port}`);
        const [addr, port] = self.split(':');
        const src: Source = { protocol: 'UDP', address: addr, port: Number(port), localAddress: dest.address, localPort: dest.port };
        this.clock.setTimeout(() => to?.receive(parseMessage(bytes, { datagram: true }), src), 10);
      },
      isReliable: (p: TransportProtocol) => p !== 'UDP',
      viaFor: (dest: Destination) => ({ host: addr(self), port: Number(self.split(':')[1]), protocol: dest.protocol }),
    };
  }
}
const addr = (hp: string) => hp.split(':')[0];

function invite(branch: string): SipRequest {
  return request({ branch, sentBy: '10.0.0.1:5060' });
}

test('end to end over lossy UDP: lost INVITE and lost 486 are recovered by timers A and G; both sides end clean', () => {
  const wire = new Wire();
  const uac = new TransactionLayer({ sender: wire.sender('10.0.0.1:5060'), clock: wire.clock });
  const uas = new TransactionLayer({ sender: wire.sender('10.0.0.2:5060'), clock: wire.clock });
  wire.ends.set('10.0.0.1:5060', uac);
  wire.ends.set('10.0.0.2:5060', uas);
  let invites = 0;
  let finals = 0;
  wire.drop = (m) => {
    if (m.isRequest() && m.method === 'INVITE') return invites++ === 0; // first INVITE lost
    if (!m.isRequest() && (m as { status?: number }).status === 486) return finals++ === 0; // first 486 lost
    return false;
  };
  const requestsSeen: SipRequest[] = [];
  uas.on('request', (req, tx) => {
    requestsSeen.push(req);
    tx.respond(createResponse(req, 486, 'Busy Here', { toTag: 'uas-tag' }));
  });
  const h = handlers();
  const tx = uac.sendRequest(invite(newBranch()), { protocol: 'UDP', address: '10.0.0.2', port: 5060 }, h);
  wire.clock.advance(2_000);
  assert.equal(requestsSeen.length, 1);
  assert.deepEqual(h.responses.map((r) => r.status), [100, 486]);
  assert.equal(tx.state, 'Completed');
  assert.deepEqual(uas.counts(), { ict: 0, nict: 0, ist: 1, nist: 0 }, 'UAS is Confirmed, waiting out timer I');
  wire.clock.advance(40_000);
  assert.deepEqual(uac.counts(), { ict: 0, nict: 0, ist: 0, nist: 0 });
  assert.deepEqual(uas.counts(), { ict: 0, nict: 0, ist: 0, nist: 0 });
  assert.equal(wire.clock.pending(), 0);
});

test('end to end: ringing, CANCEL, 487, ACK — both sides end clean', () => {
  const wire = new Wire();
  const uac = new TransactionLayer({ sender: wire.sender('10.0.0.1:5060'), clock: wire.clock });
  const uas = new TransactionLayer({ sender: wire.sender('10.0.0.2:5060'), clock: wire.clock });
  wire.ends.set('10.0.0.1:5060', uac);
  wire.ends.set('10.0.0.2:5060', uas);
  uas.on('request', (req, tx) => tx.respond(createResponse(req, 180, 'Ringing', { toTag: 'uas-tag' })));
  uas.on('cancel', (inv) => inv.respond(createResponse(inv.request, 487, 'Request Terminated', { toTag: 'uas-tag' })));
  const h = handlers();
  const tx = uac.sendRequest(invite(newBranch()), { protocol: 'UDP', address: '10.0.0.2', port: 5060 }, h);
  tx.cancel(); // before any 1xx: held
  wire.clock.advance(1_000);
  assert.deepEqual(h.responses.map((r) => r.status), [100, 180, 487]);
  assert.equal(tx.state, 'Completed');
  wire.clock.advance(40_000);
  assert.deepEqual(uac.counts(), { ict: 0, nict: 0, ist: 0, nist: 0 });
  assert.deepEqual(uas.counts(), { ict: 0, nict: 0, ist: 0, nist: 0 });
  assert.equal(wire.clock.pending(), 0);
});
