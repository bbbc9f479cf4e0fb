// OutboundRegistration against a real Registrar with digest auth on the other UA: register,
// refresh at half the granted expiry, back off on failure, unregister on stop (RFC 3261 §10.2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DigestServer } from '../auth/index.ts';
import { MemoryBindingStore, Registrar } from '../registrar/index.ts';
import { OutboundRegistration } from './outbound-registration.ts';
import { TestNetwork } from './test-network.ts';

function carrier(net: TestNetwork, password = 'pw') {
  const digest = new DigestServer({ realm: 'carrier', clock: net.clock, lookup: async () => ({ password }) });
  const registrar = new Registrar({
    store: new MemoryBindingStore(), clock: net.clock, minExpires: 60, maxExpires: 600,
    authenticate: async (req) => {
      const r = await digest.check(req);
      return r.ok ? { ok: true, username: r.username } : { ok: false, response: r.response };
    },
    mayRegister: () => true,
  });
  net.node('10.0.0.2', { registrar });
  return registrar;
}

describe('OutboundRegistration', () => {
  it('registers with digest auth, refreshes at half the granted expiry, unregisters on stop', async () => {
    const net = new TestNetwork();
    const registrar = carrier(net);
    const ua = net.node('10.0.0.1');
    const reg = new OutboundRegistration({
      ua, registrar: 'sip:10.0.0.2', aor: 'sip:alice@10.0.0.2', expires: 3600,
      credentials: { username: 'alice', password: 'pw' },
    });
    const granted: number[] = [];
    reg.on('registered', (e) => granted.push(e));
    reg.start();
    await net.settle(40);
    assert.deepEqual(granted, [600], 'the registrar shortened 3600 to its maximum');
    assert.equal((await registrar.lookup('sip:alice@10.0.0.2')).length, 1);
    await net.advance(301_000, 1000);
    assert.equal(granted.length, 2, 'refreshed after half of 600 s');
    const registers = net.requests('REGISTER', '10.0.0.1');
    assert.ok(registers.every((r) => r.callId === registers[0].callId), 'one Call-ID throughout (§10.2.4)');
    const seqs = registers.map((r) => r.cseq!.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    const stopped = new Promise<void>((r) => reg.once('unregistered', () => r()));
    const stopping = reg.stop();
    await net.settle(40);
    await stopping;
    await stopped;
    assert.equal((await registrar.lookup('sip:alice@10.0.0.2')).length, 0);
    assert.equal(reg.state, 'unregistered');
  });

  it('backs off exponentially (5 s, 10 s, 20 s …) while the registrar refuses', async () => {
    const net = new TestNetwork();
    carrier(net, 'other');
    const ua = net.node('10.0.0.1');
    const reg = new OutboundRegistration({
      ua, registrar: 'sip:10.0.0.2', aor: 'sip:alice@10.0.0.2', credentials: { username: 'alice', password: 'pw' },
      random: () => 0.5, // no jitter
    });
    const delays: number[] = [];
    reg.on('failed', (status, _r, delay) => {
      assert.equal(status, 401);
      delays.push(delay);
    });
    reg.start();
    await net.settle(40);
    await net.advance(34_000, 500); // attempts at 0, 5, 15 s; the next is due at 35 s
    assert.deepEqual(delays, [5000, 10_000, 20_000]);
    await reg.stop();
  });
});
