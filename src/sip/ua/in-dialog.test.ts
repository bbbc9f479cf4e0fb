// In-dialog behaviour between two UserAgents: re-INVITE hold/resume (RFC 3261 §14), UPDATE
// (RFC 3311), INFO dtmf-relay (RFC 6086), REFER with NOTIFY and with Refer-Sub: false (RFC
// 3515, RFC 4488), the 2xx-until-ACK rule (§13.3.1.4), PRACK (RFC 3262), session timers
// (RFC 4028), and the 401 challenge-retry of invite() (§22.2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DigestServer } from '../auth/index.ts';
import type { SipResponse } from '../message/index.ts';
import type { IncomingSession } from './incoming-session.ts';
import type { OutgoingSession } from './outgoing-session.ts';
import type { ReferNotify } from './session-state.ts';
import { TestNetwork } from './test-network.ts';
import type { UserAgentOptions } from './user-agent.ts';

const OFFER = 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n';
const ANSWER = 'v=0\r\no=- 2 2 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n';

async function established(opts: { alice?: Partial<UserAgentOptions>; bob?: Partial<UserAgentOptions> } = {}) {
  const net = new TestNetwork();
  const alice = net.node('10.0.0.1', opts.alice);
  const bob = net.node('10.0.0.2', opts.bob);
  const incoming = new Promise<IncomingSession>((r) => bob.once('invite', (s) => { s.answer({ body: ANSWER }); r(s); }));
  const call: OutgoingSession = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
  await net.settle();
  const callee = await incoming;
  assert.equal(call.state, 'established');
  assert.equal(callee.state, 'established');
  return { net, alice, bob, call, callee };
}

describe('in-dialog requests', () => {
  it('re-INVITE puts the call on hold and resumes it; the answer comes back to the caller', async () => {
    const { net, call, callee } = await established();
    const offers: string[] = [];
    callee.on('offer', (offer, reply) => {
      offers.push(offer.body.toString());
      reply.accept(offer.body.toString().includes('sendonly') ? ANSWER.replace('sendrecv', 'recvonly') : ANSWER);
    });
    const held = await call.reinvite(OFFER.replace('sendrecv', 'sendonly'));
    assert.equal(held.status, 200);
    assert.match(call.remoteBody!.body.toString(), /recvonly/);
    const resumed = await call.reinvite(OFFER);
    assert.match(resumed.body.toString(), /sendrecv/);
    await net.settle();
    assert.equal(offers.length, 2);
    assert.equal(net.requests('ACK').length, 3, 'one ACK per 2xx');
    assert.deepEqual(net.requests('INVITE').map((r) => r.cseq?.seq), [1, 2, 3]);
    assert.match(callee.remoteBody!.body.toString(), /sendrecv/);
  });

  it('a re-INVITE nobody handles is answered with the current SDP', async () => {
    const { call } = await established();
    const res = await call.reinvite(OFFER);
    assert.equal(res.body.toString(), ANSWER);
  });

  it('an offer the callee rejects leaves the session up', async () => {
    const { call, callee } = await established();
    callee.on('offer', (_o, reply) => reply.reject(488));
    await assert.rejects(call.reinvite(OFFER), (e: { response?: SipResponse }) => e.response?.status === 488);
    assert.equal(call.state, 'established');
  });

  it('UPDATE carries an offer and its answer (RFC 3311)', async () => {
    const { call, callee } = await established();
    callee.on('offer', (_o, reply) => reply.accept('v=0 updated'));
    const res = await call.update(OFFER);
    assert.equal(res.body.toString(), 'v=0 updated');
  });

  it('INFO with application/dtmf-relay is delivered and answered 200', async () => {
    const { call, callee } = await established();
    const got = new Promise<string>((r) => callee.once('info', (i) => r(`${i.contentType}|${i.body.toString()}`)));
    const res = await call.sendInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n');
    assert.equal(res.status, 200);
    assert.equal(await got, 'application/dtmf-relay|Signal=5\r\nDuration=160\r\n');
  });

  it('REFER → 202, then NOTIFYs with sipfrag until a final status (RFC 3515)', async () => {
    const { net, call, callee } = await established();
    const notes: ReferNotify[] = [];
    call.on('referNotify', (n) => notes.push(n));
    callee.on('refer', (refer) => {
      assert.equal(refer.referTo, '<sip:carol@10.0.0.3>');
      const sub = refer.accept()!;
      void sub.notify(180);
      void sub.notify(200);
      void sub.notify(486); // after the final status: ignored
    });
    const res = await call.refer('sip:carol@10.0.0.3');
    assert.equal(res.status, 202);
    await net.settle();
    assert.deepEqual(notes.map((n) => [n.status, n.terminated]), [[100, false], [180, false], [200, true]]);
    const notify = net.requests('NOTIFY')[0];
    assert.match(notify.get('event') ?? '', /^refer/);
    assert.equal(notify.contentType, 'message/sipfrag;version=2.0');
  });

  it('REFER with Refer-Sub: false gets 202 and no NOTIFY (RFC 4488)', async () => {
    const { net, call, callee } = await established();
    callee.on('refer', (refer) => {
      assert.equal(refer.noSubscription, true);
      assert.equal(refer.accept(), undefined);
    });
    const res = await call.refer('sip:carol@10.0.0.3', { noSubscription: true, replaces: 'abc@x;to-tag=1;from-tag=2' });
    assert.equal(res.status, 202);
    assert.equal(res.get('refer-sub'), 'false');
    await net.settle();
    assert.equal(net.requests('NOTIFY').length, 0);
    assert.match(net.requests('REFER')[0].get('refer-to') ?? '', /\?Replaces=abc%40x%3Bto-tag%3D1%3Bfrom-tag%3D2>$/);
  });

  it('a REFER nobody handles is declined with 603', async () => {
    const { call } = await established();
    await assert.rejects(call.refer('sip:carol@10.0.0.3'), (e: { response?: SipResponse }) => e.response?.status === 603);
  });

  it('a request with a CSeq lower than the last one gets 500 (§12.2.2)', async () => {
    const { net, call } = await established();
    await call.sendInfo('text/plain', 'one');
    call.dialog!.localSeq = 0; // make the next request go out with CSeq 1, below the last one (2)
    await assert.rejects(call.sendInfo('text/plain', 'two'), (e: { response?: SipResponse }) => e.response?.status === 500);
    assert.equal(net.responses(500).length, 1);
  });
});

describe('2xx retransmission (RFC 3261 §13.3.1.4)', () => {
  it('retransmits the 2xx at T1, 2·T1, 4·T1 … until the ACK arrives', async () => {
    const net = new TestNetwork();
    const alice = net.node('10.0.0.1');
    const bob = net.node('10.0.0.2');
    bob.on('invite', (s) => s.answer({ body: ANSWER }));
    let acksDropped = 0;
    net.drop = (m) => m.isRequest() && m.method === 'ACK' && acksDropped++ < 3;
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
    await net.settle();
    const t0 = net.clock.now();
    await net.advance(8000, 50);
    const times = net.wire.filter((w) => !w.msg.isRequest() && (w.msg as SipResponse).status === 200 && w.from.startsWith('10.0.0.2'))
      .map((w) => w.at - t0);
    // The first at 0, then 500, 1500 (500+1000), then the ACK answering it gets through.
    assert.deepEqual(times, [0, 500, 1500, 3500]);
    assert.equal(call.state, 'established');
  });

  it('sends BYE and reports failed when no ACK comes within 64·T1', async () => {
    const net = new TestNetwork();
    const alice = net.node('10.0.0.1');
    const bob = net.node('10.0.0.2');
    let callee: IncomingSession | undefined;
    bob.on('invite', (s) => { callee = s; s.answer({ body: ANSWER }); });
    net.drop = (m) => m.isRequest() && m.method === 'ACK';
    alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
    await net.settle();
    const failed = new Promise<string>((r) => callee!.once('failed', r));
    await net.advance(33_000, 500);
    assert.equal(await failed, 'no ACK for 2xx');
    assert.equal(net.requests('BYE', '10.0.0.2').length, 1);
    assert.deepEqual(callee!.termination, { by: 'timeout', reason: 'no-ack' });
  });
});

describe('reliable provisional responses (RFC 3262)', () => {
  it('183 with Require: 100rel is PRACKed and stops being retransmitted', async () => {
    const net = new TestNetwork();
    const alice = net.node('10.0.0.1');
    const bob = net.node('10.0.0.2');
    let callee: IncomingSession | undefined;
    let pracks = 0;
    bob.on('invite', (s) => {
      callee = s;
      s.on('prack', () => pracks++);
      s.progress(183, { body: ANSWER, reliable: true });
    });
    let dropFirstPrack = true;
    net.drop = (m) => {
      if (m.isRequest() && m.method === 'PRACK' && dropFirstPrack) { dropFirstPrack = false; return true; }
      return false;
    };
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
    const progress: number[] = [];
    call.on('progress', (r) => progress.push(r.status));
    await net.settle();
    await net.advance(2000, 50);
    assert.equal(pracks, 1);
    const rel = net.responses(183);
    assert.ok(rel.length >= 2, 'the 183 was retransmitted while its PRACK was lost');
    assert.equal(rel[0].get('require'), '100rel');
    assert.ok(rel[0].get('rseq'));
    assert.deepEqual(progress, [183], 'a retransmitted reliable 183 is reported once');
    assert.equal(call.remoteBody?.body.toString(), ANSWER);
    const count = net.responses(183).length;
    await net.advance(4000, 100);
    assert.equal(net.responses(183).length, count, 'no retransmission after PRACK');
    callee!.answer({ body: ANSWER });
    await net.settle();
    assert.equal(call.state, 'established');
  });

  it('progress() is unreliable when the caller does not support 100rel', async () => {
    const net = new TestNetwork();
    const alice = net.node('10.0.0.1', { supported: ['timer'] });
    const bob = net.node('10.0.0.2');
    bob.on('invite', (s) => s.progress(183, { reliable: true, body: ANSWER }));
    alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
    await net.settle();
    assert.equal(net.responses(183)[0].get('rseq'), undefined);
  });
});

describe('session timers (RFC 4028)', () => {
  it('the refresher re-INVITEs at half the interval; the peer keeps the call', async () => {
    const { net, call } = await established({ alice: { sessionTimer: { expires: 120 } } });
    const ok = net.responses(200, 'INVITE')[0];
    assert.equal(ok.get('session-expires'), '120;refresher=uac');
    assert.equal(ok.get('require'), 'timer');
    await net.advance(61_000, 1000);
    // UPDATE is in the callee's Allow, so the refresh is an UPDATE.
    assert.equal(net.requests('UPDATE', '10.0.0.1').length, 1);
    await net.advance(60_000, 1000);
    assert.equal(net.requests('UPDATE', '10.0.0.1').length, 2);
    assert.equal(call.state, 'established');
    assert.equal(net.requests('BYE').length, 0);
  });

  it('without refreshes the non-refresher sends BYE before the interval ends', async () => {
    const { net, call, callee } = await established({ alice: { sessionTimer: { expires: 120 } } });
    net.drop = (m) => m.isRequest() && m.method === 'UPDATE';
    await net.advance(130_000, 1000);
    assert.deepEqual(callee.termination, { by: 'timeout', reason: 'session-expired' });
    assert.equal(call.termination?.by, 'remote');
  });
});

describe('authentication (RFC 3261 §22.2)', () => {
  it('invite() answers a 401 challenge once with the credentials', async () => {
    const net = new TestNetwork();
    const digest = new DigestServer({ realm: 'sb.test', clock: net.clock, lookup: async (u: string) => (u === 'alice' ? { password: 's3cret' } : undefined) });
    const alice = net.node('10.0.0.1');
    const bob = net.node('10.0.0.2', {
      authenticate: async (req) => {
        const r = await digest.check(req);
        return r.ok ? { ok: true, identity: r.username } : { ok: false, response: r.response };
      },
    });
    const who = new Promise<string | undefined>((r) => bob.once('invite', (s) => { r(s.identity); s.answer({ body: ANSWER }); }));
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER, credentials: { username: 'alice', password: 's3cret' } });
    await net.settle(40);
    assert.equal(await who, 'alice');
    assert.equal(call.state, 'established');
    assert.deepEqual(net.requests('INVITE').map((r) => r.cseq?.seq), [1, 2]);
    assert.ok(net.requests('ACK').some((a) => a.has('authorization')), 'the 2xx ACK carries the INVITE credentials');
  });

  it('a wrong password ends in rejected with the 401', async () => {
    const net = new TestNetwork();
    const digest = new DigestServer({ realm: 'sb.test', clock: net.clock, lookup: async () => ({ password: 'right' }) });
    const alice = net.node('10.0.0.1');
    net.node('10.0.0.2', {
      authenticate: async (req) => {
        const r = await digest.check(req);
        return r.ok ? { ok: true, identity: r.username } : { ok: false, response: r.response };
      },
    });
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER, credentials: { username: 'alice', password: 'wrong' } });
    const rejected = new Promise<number>((r) => call.once('rejected', (res) => r(res.status)));
    await net.settle(40);
    assert.equal(await rejected, 401);
    assert.equal(net.requests('INVITE').length, 2);
  });
});
