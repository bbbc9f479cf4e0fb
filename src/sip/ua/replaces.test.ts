// RFC 3891 Replaces: the header parsed and formatted (§6.1), and the receiving UA's rules (§3)
// between in-memory UserAgents — alice calls bob; carol's INVITE with Replaces naming that
// dialog goes to bob's session ('replaced'), and the refusals: unknown dialog 481,
// early-only on a confirmed dialog 486, nobody taking replacements 603, two headers 400.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IncomingSession } from './incoming-session.ts';
import { formatReplaces, parseReplaces } from './replaces.ts';
import { TestNetwork } from './test-network.ts';

const OFFER = 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n';
const ANSWER = 'v=0\r\no=- 2 2 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n';

describe('Replaces header (RFC 3891 §6.1)', () => {
  it('parses the example of §6.1 (params in any order, early-only) and formats it back', () => {
    const v = parseReplaces('98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only');
    assert.deepEqual(v, { callId: '98732@sip.example.com', toTag: 'ff87ff', fromTag: 'r33th4x0r', earlyOnly: true });
    assert.equal(formatReplaces(v!), '98732@sip.example.com;to-tag=ff87ff;from-tag=r33th4x0r;early-only');
    assert.deepEqual(parseReplaces(formatReplaces(v!)), v);
  });

  it('refuses a value without a Call-ID or a tag', () => {
    assert.equal(parseReplaces(';to-tag=a;from-tag=b'), undefined);
    assert.equal(parseReplaces('abc;to-tag=a'), undefined);
    assert.equal(parseReplaces('abc;from-tag=b'), undefined);
    assert.equal(parseReplaces('a b;to-tag=a;from-tag=b'), undefined);
  });
});

describe('an incoming INVITE with Replaces (RFC 3891 §3)', () => {
  async function established() {
    const net = new TestNetwork();
    const alice = net.node('10.0.0.1');
    const bob = net.node('10.0.0.2');
    const carol = net.node('10.0.0.3');
    const incoming = new Promise<IncomingSession>((r) => bob.once('invite', (s) => { s.answer({ body: ANSWER }); r(s); }));
    const call = alice.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER });
    await net.settle();
    const callee = await incoming;
    assert.equal(callee.state, 'established');
    const id = callee.dialog!.id;
    // From bob's side: to-tag = bob's (local) tag, from-tag = alice's.
    const replaces = formatReplaces({ callId: id.callId, toTag: id.localTag, fromTag: id.remoteTag, earlyOnly: false });
    return { net, bob, carol, call, callee, replaces };
  }

  async function carolInvites(t: Awaited<ReturnType<typeof established>>, replaces: string[]): Promise<number | undefined> {
    const s = t.carol.invite({ uri: 'sip:bob@10.0.0.2', body: OFFER, headers: replaces.map((v) => ['replaces', v] as [string, string]) });
    let status: number | undefined;
    s.once('rejected', (res) => { status = res.status; });
    s.once('accepted', (res) => { status = res.status; });
    await t.net.settle();
    return status;
  }

  it('goes to the session of the named dialog, not to the "invite" listeners; answering it and ending the old dialog works', async () => {
    const t = await established();
    let newCalls = 0;
    t.bob.on('invite', () => newCalls++);
    t.callee.once('replaced', (next) => {
      next.answer({ body: ANSWER });
      void t.callee.bye();
    });
    assert.equal(await carolInvites(t, [t.replaces]), 200);
    assert.equal(newCalls, 0, 'not offered as a new call');
    assert.equal(t.callee.state, 'terminated', 'the replaced dialog ended');
    assert.equal(t.call.state, 'terminated', 'alice got the BYE');
  });

  it('481 for an unknown dialog (tags swapped: from the sender\'s view, not the receiver\'s)', async () => {
    const t = await established();
    t.callee.on('replaced', () => assert.fail('must not be offered'));
    const id = t.callee.dialog!.id;
    assert.equal(await carolInvites(t, [formatReplaces({ callId: id.callId, toTag: id.remoteTag, fromTag: id.localTag, earlyOnly: false })]), 481);
    assert.equal(await carolInvites(t, [`nope@x;to-tag=${id.localTag};from-tag=${id.remoteTag}`]), 481);
    assert.equal(t.callee.state, 'established');
  });

  it('486 for early-only on a confirmed dialog, 603 when nobody takes replacements, 400 for two headers', async () => {
    const t = await established();
    assert.equal(await carolInvites(t, [`${t.replaces};early-only`]), 486);
    assert.equal(await carolInvites(t, [t.replaces]), 603);
    assert.equal(await carolInvites(t, [t.replaces, t.replaces]), 400);
    assert.equal(t.callee.state, 'established');
  });
});
