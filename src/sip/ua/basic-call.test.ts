// Two UserAgents calling each other over the in-memory network: the basic INVITE/180/200/ACK
// /BYE flow in both directions, CANCEL before the answer, and rejection (RFC 3261 §13, §15, §9).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serialize } from '../message/index.ts';
import type { IncomingSession } from './incoming-session.ts';
import { TestNetwork } from './test-network.ts';

const OFFER = 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const ANSWER = 'v=0\r\no=- 2 2 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n';

function setup() {
  const net = new TestNetwork();
  const alice = net.node('10.0.0.1');
  const bob = net.node('10.0.0.2');
  return { net, alice, bob };
}

describe('basic call', () => {
  it('INVITE → 180 → 200 → ACK, then the caller hangs up with BYE → 200', async () => {
    const { net, alice, bob } = setup();
    let incoming: IncomingSession | undefined;
    bob.on('invite', (s) => {
      incoming = s;
      s.progress(180);
      s.answer({ body: ANSWER });
    });
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
    const events: string[] = [];
    call.on('progress', (r) => events.push(`progress ${r.status}`));
    call.on('accepted', (r) => events.push(`accepted ${r.status}`));
    await net.settle();
    assert.deepEqual(events, ['progress 180', 'accepted 200']);
    assert.ok(incoming);
    assert.equal(incoming.offer?.body.toString(), OFFER);
    assert.equal(call.remoteBody?.body.toString(), ANSWER);
    assert.equal(call.state, 'established');
    assert.equal(incoming.state, 'established', 'the ACK reached the callee');
    assert.equal(net.requests('ACK').length, 1);
    // The 200 carries Contact, Allow and Supported (§13.3.1.4).
    const ok = net.responses(200, 'INVITE')[0];
    assert.match(ok.get('contact') ?? '', /sip:switchboard@10\.0\.0\.2:5060/);
    assert.ok(ok.tokens('allow').includes('bye'));

    const ended = new Promise((r) => incoming!.once('terminated', r));
    await call.bye();
    assert.deepEqual(await ended, { by: 'remote', reason: 'bye' });
    assert.equal(call.state, 'terminated');
    assert.deepEqual(call.termination, { by: 'local', reason: 'bye' });
    assert.deepEqual(alice.stats(), { dialogs: 0, sessions: 0 });
    assert.deepEqual(bob.stats(), { dialogs: 0, sessions: 0 });
  });

  it('the callee hangs up: BYE from the UAS side uses the caller Contact as Request-URI', async () => {
    const { net, alice, bob } = setup();
    let incoming: IncomingSession | undefined;
    bob.on('invite', (s) => {
      incoming = s;
      s.answer({ body: ANSWER });
    });
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
    const byes: string[] = [];
    call.on('bye', (req) => byes.push(req.uri));
    await net.settle();
    await incoming!.bye();
    assert.deepEqual(byes, ['sip:switchboard@10.0.0.1:5060']);
    assert.equal(call.termination?.by, 'remote');
    assert.equal(incoming!.termination?.by, 'local');
    const bye = net.requests('BYE')[0];
    assert.equal(bye.cseq?.seq, 1, 'a UAS dialog starts its own CSeq space');
  });

  it('CANCEL before the answer: 200 to CANCEL, 487 to INVITE, both sides terminated', async () => {
    const { net, alice, bob } = setup();
    let incoming: IncomingSession | undefined;
    bob.on('invite', (s) => {
      incoming = s;
      s.progress(180);
    });
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
    await net.settle();
    const cancelled = new Promise((r) => incoming!.once('cancelled', r));
    call.cancel();
    await net.settle();
    await cancelled;
    assert.equal(net.responses(200, 'CANCEL').length, 1);
    assert.equal(net.responses(487, 'INVITE').length, 1);
    assert.deepEqual(call.termination, { by: 'local', reason: 'cancelled', status: 487 });
    assert.deepEqual(incoming!.termination, { by: 'remote', reason: 'cancelled', status: 487 });
  });

  it('CANCEL asked before any provisional response waits for one (§9.1)', async () => {
    const { net, alice, bob } = setup();
    let incoming: IncomingSession | undefined;
    bob.on('invite', (s) => { incoming = s; });
    // Suppress the automatic 100 Trying so that nothing provisional arrives at first.
    net.drop = (m) => !m.isRequest() && (m as unknown as { status: number }).status === 100;
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
    await net.settle();
    call.cancel();
    await net.settle();
    assert.equal(net.requests('CANCEL').length, 0);
    incoming!.progress(180);
    await net.settle();
    assert.equal(net.requests('CANCEL').length, 1);
    assert.equal(call.termination?.reason, 'cancelled');
  });

  it('a rejected call reports the status to the caller', async () => {
    const { net, alice, bob } = setup();
    bob.on('invite', (s) => s.reject(486));
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
    const rejected = new Promise<number>((r) => call.once('rejected', (res) => r(res.status)));
    await net.settle();
    assert.equal(await rejected, 486);
    assert.deepEqual(call.termination, { by: 'remote', reason: 'rejected', status: 486 });
  });

  it('redirect sends 302 with every Contact', async () => {
    const { net, alice, bob } = setup();
    bob.on('invite', (s) => s.redirect(['sip:carol@10.0.0.3', 'sip:dave@10.0.0.4']));
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
    const res = await new Promise<import('../message/index.ts').SipResponse>((r) => call.once('rejected', r));
    assert.equal(res.status, 302);
    assert.deepEqual(res.contacts.map((c) => c.uri.raw), ['sip:carol@10.0.0.3', 'sip:dave@10.0.0.4']);
    await net.settle();
  });

  it('an INVITE nobody listens for gets 480', async () => {
    const { net, alice } = setup();
    net.node('10.0.0.2');
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
    await net.settle();
    assert.equal(call.termination?.status, 480);
  });

  it('a 2xx from a second fork is ACKed and hung up; a retransmitted 2xx is re-ACKed (§13.2.2.4)', async () => {
    const { net, alice, bob } = setup();
    bob.on('invite', (s) => s.answer({ body: ANSWER }));
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
    await net.settle();
    const ok = net.responses(200, 'INVITE')[0];
    const raw = serialize(ok).toString();
    net.inject('10.0.0.1', raw, '10.0.0.2');
    await net.settle();
    assert.equal(net.requests('ACK').length, 2, 'the retransmitted 2xx got the same ACK again');
    assert.equal(net.requests('ACK')[1].topVia?.branch, net.requests('ACK')[0].topVia?.branch);
    const fork = raw.replace(/(To: [^\r]*;tag=)[^;\r]+/, '$1forked');
    net.inject('10.0.0.1', fork, '10.0.0.2');
    await net.settle();
    const acks = net.requests('ACK');
    assert.equal(acks.length, 3);
    assert.equal(acks[2].toTag, 'forked');
    const byes = net.requests('BYE');
    assert.equal(byes.length, 1);
    assert.equal(byes[0].toTag, 'forked');
    assert.equal(call.state, 'established', 'the first dialog is untouched');
  });

  it('the no-answer timer cancels the call', async () => {
    const { net, alice, bob } = setup();
    bob.on('invite', (s) => s.progress(180));
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER, timeoutMs: 5000 });
    await net.settle();
    await net.advance(5100);
    await net.settle();
    assert.deepEqual(call.termination, { by: 'timeout', reason: 'no-answer', status: 487 });
  });
});
