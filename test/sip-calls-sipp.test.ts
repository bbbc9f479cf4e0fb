// SIP signaling end to end against SIPp, a peer we did not write: OPTIONS, calls in both
// directions, BYE from either side, CANCEL before answer, re-INVITE hold and resume, digest
// challenges, REGISTER, and retransmissions under packet loss — over UDP and TCP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

if (!sippAvailable()) {
  if (process.env.CI === 'true') throw new Error('sipp is not installed (apt package sip-tester); .ci/run must install it');
}

describe('SIP calls against SIPp', { skip: !sippAvailable() && 'sipp not installed' }, () => {
  let node: TestNode;
  before(async () => {
    node = await startNode();
  });
  after(() => node?.stop());

  test('OPTIONS is answered 200 with Allow listing INVITE and BYE', async () => {
    const r = await runSipp({ scenario: 'uac-options.xml', target: node.sip });
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.successful, 1);
  });

  for (const transport of ['u1', 't1'] as const) {
    test(`INVITE/200/ACK/BYE from SIPp to sip:answer@ over ${transport === 'u1' ? 'UDP' : 'TCP'} (10 calls)`, async () => {
      const target = transport === 'u1' ? node.sip : `127.0.0.1:${node.ports.tcp}`;
      const r = await runSipp({ scenario: 'uac-invite-bye.xml', target, calls: 10, rate: 20, transport });
      assert.equal(r.code, 0, explain(r));
      assert.equal(r.successful, 10);
      assert.equal(r.failed, 0);
    });
  }

  test('Switchboard hangs up: BYE from the answering side', async () => {
    const r = await runSipp({ scenario: 'uac-remote-bye.xml', target: node.sip });
    assert.equal(r.code, 0, explain(r));
    assert.match(r.messages, /BYE sip:sipp@/);
  });

  test('CANCEL before answer: 200 for the CANCEL, 487 for the INVITE', async () => {
    const r = await runSipp({ scenario: 'uac-cancel-before-answer.xml', target: node.sip });
    assert.equal(r.code, 0, explain(r));
    assert.match(r.messages, /SIP\/2.0 487/);
  });

  test('re-INVITE hold (sendonly → recvonly) and resume (sendrecv)', async () => {
    const r = await runSipp({ scenario: 'uac-reinvite-hold-resume.xml', target: node.sip });
    assert.equal(r.code, 0, explain(r));
  });

  test('retransmissions recover 20 calls when SIPp loses 10% of packets', async () => {
    const r = await runSipp({
      scenario: 'uac-invite-bye.xml', target: node.sip, calls: 20, rate: 20, args: ['-lost', '10', '-recv_timeout', '30000'],
      timeoutMs: 60_000,
    });
    assert.equal(r.failed, 0, explain(r));
    assert.equal(r.successful, 20, explain(r));
  });

  test('Switchboard calls SIPp: INVITE/180/200/ACK, then Switchboard sends BYE', async () => {
    const port = await freeUdpPort();
    const uas = runSipp({ scenario: 'uas-answer-wait-bye.xml', localPort: port, timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 300));
    const ua = sipService(node).ua;
    const session = ua.invite({ uri: `sip:bob@127.0.0.1:${port}`, body: OFFER, contentType: 'application/sdp' });
    const accepted = await new Promise<boolean>((res) => {
      session.once('accepted', () => res(true));
      session.once('rejected', () => res(false));
      session.once('terminated', () => res(false));
    });
    assert.ok(accepted, 'the call was answered');
    await new Promise((r) => setTimeout(r, 200));
    await session.bye();
    const r = await uas;
    assert.equal(r.code, 0, explain(r));
  });

  test('Switchboard calls SIPp, SIPp hangs up: Switchboard answers the BYE', async () => {
    const port = await freeUdpPort();
    const uas = runSipp({ scenario: 'uas-answer-send-bye.xml', localPort: port, timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 300));
    const session = sipService(node).ua.invite({ uri: `sip:bob@127.0.0.1:${port}`, body: OFFER, contentType: 'application/sdp' });
    const ended = await new Promise<string>((res) => session.once('terminated', (info) => res(`${info.by}:${info.reason}`)));
    assert.equal(ended, 'remote:bye');
    const r = await uas;
    assert.equal(r.code, 0, explain(r));
  });
});

describe('SIP digest authentication against SIPp', { skip: !sippAvailable() && 'sipp not installed' }, () => {
  let node: TestNode;
  before(async () => {
    // Nothing is trusted: every request must authenticate. SIPp 3.6 answers only the first
    // challenge and knows only MD5, so MD5 is offered first here.
    node = await startNode({
      yaml: 'sip:\n  trusted: []\n  digestAlgorithms: [MD5, SHA-256]\n  users:\n    - { username: alice, password: wonderland }\n',
    });
  });
  after(() => node?.stop());

  test('REGISTER is challenged, binds with credentials, and unregisters', async () => {
    const r = await runSipp({ scenario: 'uac-register-auth.xml', target: node.sip, service: 'alice' });
    assert.equal(r.code, 0, explain(r));
  });

  test('an INVITE from an untrusted source is challenged and answered with credentials', async () => {
    const r = await runSipp({ scenario: 'uac-invite-auth.xml', target: node.sip });
    assert.equal(r.code, 0, explain(r));
  });

  test('an INVITE without credentials gets a challenge, never a 200', async () => {
    const r = await runSipp({ scenario: 'uac-invite-bye.xml', target: node.sip, timeoutMs: 8000, args: ['-recv_timeout', '3000'] });
    assert.notEqual(r.code, 0);
    assert.equal(r.successful, 0);
    assert.match(r.messages, /SIP\/2.0 40[17]/);
  });
});

const OFFER = [
  'v=0', 'o=switchboard 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 20000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv', '',
].join('\r\n');

// The SIP service exposes its user agent for tests that place calls from Switchboard.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function sipService(n: TestNode): { ua: import('../src/sip/index.ts').UserAgent } {
  return n.server.service('sip') as unknown as { ua: import('../src/sip/index.ts').UserAgent };
}
