// An incoming INVITE with Replaces (RFC 3891 §3) end to end with SIPp: party X calls a number,
// the application answers and loops a 1 kHz tone; party Y then INVITEs Switchboard with a
// Replaces header naming X's dialog. Y is answered from the same leg (same call, same tone
// still playing — now to Y's RTP address, a socket of this test), X gets BYE, and the call
// goes on until Y hangs up: one call, ended once, by Y; the application got participant.replaced
// {legId, previous: X, participant: Y} and GET /v1/calls names Y on that leg. An INVITE naming
// no dialog gets 481.
//
// The dialog's Call-ID and tags are read from the node (the leg's SIP session): X learns
// Switchboard's tag from the 200, but a second SIPp process cannot ask X for it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import type { SipChannel } from '../src/adapters/index.ts';
import type { SipService } from '../src/server/sip-service.ts';

const NUMBER = '+4930777999';
const KEY = 'replaces-app-key-0123456789abcdef';

interface Ev { id: string; type: string; callId?: string; data: Record<string, unknown> }

describe('INVITE with Replaces from SIPp: the new dialog takes over the leg', { skip: !sippAvailable() && 'sipp missing', timeout: 60_000 }, () => {
  let node: TestNode;
  let hooks: WebhookReceiver;
  let rtp: Socket;
  const events = (): Ev[] => hooks.received.map((r) => JSON.parse(r.body) as Ev);
  const waitEvent = async (pred: (e: Ev) => boolean, what: string, ms = 15_000): Promise<Ev> => {
    const until = Date.now() + ms;
    for (;;) {
      const e = events().find(pred);
      if (e) return e;
      if (Date.now() > until) throw new Error(`no ${what}; got ${events().map((x) => x.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const api = (path: string, body: unknown) => fetch(`${node.http}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });

  before(async () => {
    hooks = await startReceiver();
    node = await startNode({
      yaml: `
applications:
  - name: replaces-bot
    apiKeys: ["${KEY}"]
    callbackUrl: "${hooks.url}"
    numbers:
      - "${NUMBER}"
`,
    });
    rtp = createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
  });
  after(async () => {
    rtp?.close();
    await node?.stop();
    await hooks?.close();
  });

  test('Y replaces X: answered, X gets BYE, the tone now reaches Y, the call ends once when Y hangs up', { timeout: 45_000 }, async () => {
    const x = runSipp({ scenario: 'uac-replaced-party.xml', target: node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 30_000 });
    const incoming = await waitEvent((e) => e.type === 'call.incoming', 'call.incoming');
    const callId = incoming.callId!;
    assert.equal((await api(`/v1/calls/${callId}/answer`, {})).status, 202);
    await waitEvent((e) => e.type === 'call.answered', 'call.answered');
    assert.equal((await api(`/v1/calls/${callId}/play`, { sources: [{ kind: 'tone', frequencies: [1000], durationMs: 1000 }], loop: true })).status, 202);

    // X's dialog as Switchboard holds it; Replaces takes Switchboard's view (RFC 3891 §3).
    const sip = node.server.service<SipService>('sip')!;
    const call = sip.calls.getLive({ kind: 'admin' }, callId);
    const channel = call!.primaryLeg!.channel as SipChannel;
    const d = channel.session.dialog!.id;
    const replaces = `${d.callId};to-tag=${d.localTag};from-tag=${d.remoteTag}`;

    let toneBytes = 0;
    rtp.on('message', (m) => {
      // PCMU payload far from µ-law silence (0xff/0x7f) = the tone.
      for (let i = 12; i < m.length; i++) if ((m[i] & 0x7f) < 0x70) toneBytes++;
    });
    const y = await runSipp({
      scenario: 'uac-replaces-invite.xml', target: node.sip, args: ['-set', 'replaces', replaces, '-set', 'rtpport', String(rtp.address().port)], timeoutMs: 20_000,
    });
    assert.equal(y.code, 0, `replacing party: ${explain(y)}`);
    const xr = await x;
    assert.equal(xr.code, 0, `replaced party must get BYE: ${explain(xr)}`);
    assert.ok(toneBytes > 8000, `the looped tone reached Y's RTP address after the replacement (${toneBytes} tone bytes)`);

    const ended = await waitEvent((e) => e.type === 'call.ended' && e.callId === callId, 'call.ended');
    assert.equal(ended.data.by, 'remote', 'Y hung up');
    assert.equal(ended.data.reason, 'normal');
    assert.equal(events().filter((e) => e.type === 'call.ended').length, 1, 'one call, ended once');
    assert.equal(events().filter((e) => e.type === 'call.incoming').length, 1, 'Y was not offered as a new call');
    assert.deepEqual(channel.remote, { kind: 'phone', number: '+4915100000002' });

    // Core made the replacement visible: one participant.replaced for the same leg, before
    // call.ended, and the leg row (GET /v1/calls) names Y.
    const legId = call!.primaryLeg!.id;
    const types = events().filter((e) => e.callId === callId).map((e) => e.type);
    assert.equal(types.filter((t) => t === 'participant.replaced').length, 1, `one participant.replaced; got ${types.join(', ')}`);
    assert.ok(types.indexOf('call.answered') < types.indexOf('participant.replaced') && types.indexOf('participant.replaced') < types.indexOf('call.ended'), types.join(', '));
    const replaced = events().find((e) => e.type === 'participant.replaced')!;
    assert.equal(replaced.data.legId, legId);
    assert.deepEqual(replaced.data.participant, { kind: 'phone', number: '+4915100000002' });
    assert.deepEqual(replaced.data.previous, { kind: 'phone', number: '+4915100000001' }, 'previous is X');
    const view = await (await fetch(`${node.http}/v1/calls/${callId}`, { headers: { authorization: `Bearer ${KEY}` } })).json() as { legs: { id: string; participant: unknown }[] };
    assert.deepEqual(view.legs.find((l) => l.id === legId)?.participant, { kind: 'phone', number: '+4915100000002' });
  });

  test('an INVITE whose Replaces names no dialog gets 481 and reaches no application', async () => {
    const before = events().length;
    const r = await runSipp({ scenario: 'uac-replaces-unknown.xml', target: node.sip, timeoutMs: 10_000 });
    assert.equal(r.code, 0, explain(r));
    assert.equal(events().length, before);
  });
});
