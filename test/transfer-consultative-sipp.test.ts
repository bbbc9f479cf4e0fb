// Consultative transfer end to end with SIPp (RFC 5589 §7, RFC 3891), through the native API:
//
//   SIPp transferee ──INVITE──► Switchboard (number) ◄── the test answers via the API  (call X, leg A)
//   the test ──POST /v1/calls──► Switchboard ──INVITE──► SIPp target UAS                (call Y, leg C)
//   the test ──POST /v1/calls/X/transfer-consultative {targetCallId: Y}
//   Switchboard ──REFER (Refer-To: <C's Contact?Replaces=C's Call-ID;to-tag;from-tag>)──► transferee
//   transferee ──202, NOTIFY sipfrag 200──► Switchboard ──BYE──► transferee and target
//
// The transferee checks the shape of the Refer-To (SIPp ereg check_it); this test checks its
// values against the target's side of the dialog, read from the target's message trace.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

const NUMBER = '+4930777888';
const KEY = 'ct-app-key-0123456789abcdef';

interface Ev { id: string; type: string; callId?: string; data: Record<string, unknown> }

describe('consultative transfer with SIPp: REFER with Replaces, then both legs released', { skip: !sippAvailable() && 'sipp missing', timeout: 60_000 }, () => {
  let node: TestNode;
  let hooks: WebhookReceiver;
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
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${node.http}${path}`, {
      method, headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: await res.json() as Record<string, unknown> };
  };

  before(async () => {
    hooks = await startReceiver();
    node = await startNode({
      yaml: `
applications:
  - name: ct-bot
    apiKeys: ["${KEY}"]
    callbackUrl: "${hooks.url}"
    numbers:
      - "${NUMBER}"
`,
    });
  });
  after(async () => {
    await node?.stop();
    await hooks?.close();
  });

  test('REFER to the transferee names the target dialog; NOTIFY 200 → both legs hung up as transferred', { timeout: 45_000 }, async () => {
    const uasPort = await freeUdpPort();
    const target = runSipp({ scenario: 'calls-uas-answer.xml', localPort: uasPort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 30_000 });
    const transferee = runSipp({ scenario: 'uac-transferee-replaces.xml', target: node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 30_000 });

    const incoming = await waitEvent((e) => e.type === 'call.incoming', 'call.incoming');
    const x = incoming.callId!;
    assert.equal((await api('POST', `/v1/calls/${x}/answer`, {})).status, 202);
    await waitEvent((e) => e.type === 'call.answered' && e.callId === x, 'call.answered (X)');

    // The consultation call: the application calls the target itself.
    const created = await api('POST', '/v1/calls', { target: { kind: 'sip', uri: `sip:desk@127.0.0.1:${uasPort}` } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const y = (created.json.call as { id: string }).id;
    await waitEvent((e) => e.type === 'call.answered' && e.callId === y, 'call.answered (Y)');

    const op = await api('POST', `/v1/calls/${x}/transfer-consultative`, { targetCallId: y, operationContext: 'attended' });
    assert.equal(op.status, 202, JSON.stringify(op.json));
    const accepted = await waitEvent((e) => e.type === 'transfer.accepted' && e.callId === x, 'transfer.accepted');
    assert.equal(accepted.data.method, 'refer-replaces');
    assert.equal(accepted.data.targetCallId, y);
    assert.equal(accepted.data.operationContext, 'attended');

    const [a, c] = await Promise.all([transferee, target]);
    assert.equal(a.code, 0, `transferee: ${explain(a)}`);
    assert.equal(c.code, 0, `target (must see our BYE): ${explain(c)}`);

    // The Replaces in the REFER names the target's dialog exactly (RFC 3891 §3: to-tag = the
    // target's own tag, from-tag = ours), and Refer-To points at the target's Contact.
    const referTo = /^Refer-To:\s*<([^>]+)>/im.exec(a.messages)?.[1];
    assert.ok(referTo, 'a REFER with Refer-To arrived');
    const [uri, query] = referTo.split('?');
    assert.equal(uri, `sip:uas@127.0.0.1:${uasPort};transport=UDP`);
    const m = /^Replaces=(.+)$/.exec(query ?? '');
    assert.ok(m, `Replaces header in ${referTo}`);
    assert.doesNotMatch(m[1], /[;=@]/, 'escaped per RFC 3261 §19.1.1');
    const [cid, toTag, fromTag] = decodeURIComponent(m[1]).split(';');
    const invite = c.messages.slice(c.messages.indexOf('INVITE sip:'));
    assert.equal(cid, /^Call-ID:\s*(\S+)/im.exec(invite)?.[1]);
    assert.equal(fromTag, `from-tag=${/^From:.*;tag=([^;\s]+)/im.exec(invite)?.[1]}`);
    assert.match(toTag, /^to-tag=\d+SIPpTag01\d+$/);
    assert.match(c.messages, new RegExp(`To:.*;tag=${toTag.slice('to-tag='.length)}`));
    assert.match(c.messages, /BYE sip:uas@/);

    // Both calls ended, by us, as transferred.
    const endedX = await waitEvent((e) => e.type === 'call.ended' && e.callId === x, 'call.ended (X)');
    const endedY = await waitEvent((e) => e.type === 'call.ended' && e.callId === y, 'call.ended (Y)');
    assert.equal(endedX.data.reason, 'transferred');
    assert.equal(endedY.data.reason, 'transferred');
    assert.equal(endedX.data.by, 'local');
  });
});
