// SipChannel and RFC 3891 Replaces, over in-memory UserAgents (real SIP bytes, fake clock) and
// a fake media endpoint handle that records what the channel applies:
//   - replacesTarget(): the peer's Contact with the dialog escaped into ?Replaces= (§5);
//   - an INVITE with Replaces takes over the leg: answered, the endpoint now sends to the new
//     peer, the old peer gets BYE, the channel lives on (no hangup) and ends with the new peer;
//   - a replacing dialog that never ACKs: the media goes back to the old peer (re-INVITE) and
//     the leg goes on with it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SdpMedia, SipChannel } from '../src/adapters/index.ts';
import type { HangupInfo } from '../src/core/index.ts';
import { nullLogger } from '../src/lib/index.ts';
import type { EndpointUpdate, MediaEndpointHandle } from '../src/media/index.ts';
import type { IncomingSession } from '../src/sip/index.ts';
import { TestNetwork } from '../src/sip/ua/test-network.ts';

const sdp = (ip: string, port: number) =>
  `v=0\r\no=- 1 1 IN IP4 ${ip}\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n`;

function fakeHandle(updates: EndpointUpdate[]): MediaEndpointHandle {
  return { localPort: 30000, closed: false, update: async (u: EndpointUpdate) => { updates.push(u); } } as unknown as MediaEndpointHandle;
}

async function answeredLeg() {
  const net = new TestNetwork();
  const alice = net.node('10.0.0.1');
  const bob = net.node('10.0.0.2');
  const carol = net.node('10.0.0.3');
  const updates: EndpointUpdate[] = [];
  let channel!: SipChannel;
  bob.once('invite', (s: IncomingSession) => {
    channel = new SipChannel(s, 'inbound', {
      id: s.request.callId ?? 'c', remote: { kind: 'phone', number: '+4930111' }, local: { kind: 'phone', number: '+4930222' },
      media: new SdpMedia(fakeHandle(updates), '10.0.0.2'), clock: net.clock, logger: nullLogger,
    });
    void channel.answer();
  });
  const call = alice.invite({ uri: 'sip:+4930222@10.0.0.2', from: 'sip:+4930111@10.0.0.1', body: sdp('10.0.0.1', 4000) });
  await net.settle();
  assert.equal(call.state, 'established');
  const hangups: HangupInfo[] = [];
  channel.on('hangup', (h) => hangups.push(h));
  const replaced: unknown[] = [];
  channel.on('replaced', (r) => replaced.push(r));
  return { net, carol, call, channel, updates, hangups, replaced };
}

const remoteOf = (u: EndpointUpdate | undefined) => u?.remote ? `${u.remote.address}:${u.remote.port}` : undefined;

describe('SipChannel and Replaces (RFC 3891)', () => {
  it('replacesTarget() is the peer\'s Contact with ?Replaces=<Call-ID>;to-tag=<peer tag>;from-tag=<our tag>, escaped', async () => {
    const { channel, call } = await answeredLeg();
    const d = channel.session.dialog!.id;
    const t = channel.replacesTarget()!;
    const contact = call.dialog!.localContact.replace(/^<|>$/g, ''); // alice's Contact = the dialog's remote target
    assert.equal(t, `${contact}?Replaces=${d.callId.replace('@', '%40')}%3Bto-tag%3D${d.remoteTag}%3Bfrom-tag%3D${d.localTag}`);
    assert.doesNotMatch(t.split('?Replaces=')[1], /[;=@]/, 'escaped per RFC 3261 §19.1.1');
  });

  it('an INVITE with Replaces takes over the leg: answered, media to the new peer, BYE to the old, no hangup', async () => {
    const { net, carol, call, channel, updates, hangups, replaced } = await answeredLeg();
    const d = channel.session.dialog!.id;
    const before = channel.session;
    const y = carol.invite({
      uri: 'sip:switchboard@10.0.0.2', from: 'sip:+4930333@10.0.0.3', body: sdp('10.0.0.3', 6000),
      headers: [['replaces', `${d.callId};to-tag=${d.localTag};from-tag=${d.remoteTag}`]],
    });
    await net.settle(60);
    assert.equal(y.state, 'established', 'the replacing INVITE was answered');
    assert.equal(remoteOf(updates.at(-1)), '10.0.0.3:6000', 'the endpoint sends to the new peer');
    assert.equal(call.state, 'terminated', 'the old peer got BYE');
    assert.notEqual(channel.session, before);
    assert.equal(hangups.length, 0, 'the leg did not end');
    assert.deepEqual(replaced, [{ remote: { kind: 'phone', number: '+4930333' } }]);
    assert.deepEqual(channel.remote, { kind: 'phone', number: '+4930333' });
    await y.bye();
    await net.settle();
    assert.equal(hangups.length, 1);
    assert.equal(hangups[0].by, 'remote', 'ended by the new peer');
  });

  it('a replacing dialog that never ACKs: media back to the old peer by re-INVITE, the leg goes on', async () => {
    const { net, carol, call, channel, updates, hangups } = await answeredLeg();
    const d = channel.session.dialog!.id;
    const before = channel.session;
    net.drop = (msg, from) => from.startsWith('10.0.0.3') && msg.isRequest() && (msg as { method?: string }).method === 'ACK';
    carol.invite({
      uri: 'sip:switchboard@10.0.0.2', body: sdp('10.0.0.3', 6000),
      headers: [['replaces', `${d.callId};to-tag=${d.localTag};from-tag=${d.remoteTag}`]],
    });
    await net.settle(60);
    assert.equal(remoteOf(updates.at(-1)), '10.0.0.3:6000');
    await net.advance(40_000, 500); // 64·T1 without an ACK (§13.3.1.4)
    await net.settle(60);
    assert.equal(channel.session, before, 'still the old dialog');
    assert.equal(call.state, 'established', 'the old peer was kept');
    assert.equal(remoteOf(updates.at(-1)), '10.0.0.1:4000', 'media points at the old peer again');
    assert.ok(net.requests('INVITE', '10.0.0.2').length >= 1, 'a re-INVITE went to the old peer');
    assert.equal(hangups.length, 0);
  });
});
