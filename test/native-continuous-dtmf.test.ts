// Continuous DTMF through the native API with a real SIPp caller keying RFC 4733 telephone-events
// (test/sipp/uac-continuous-dtmf-12p-9.xml: 1, 2, # 600 ms apart, then 9 four seconds later).
// The app answers and POSTs /v1/calls/{id}/continuous-dtmf {legId: the caller's leg, tones "12"}:
//   - dtmf.received {digit 1, sequence 1}, {digit 2, sequence 2} arrive as webhooks; the # is not
//     in the filter and is not reported;
//   - continuous-dtmf/stop → continuousDtmf.stopped {legId} echoing the operationContext;
//   - the 9 after the stop is caught by a recognize (proof it arrived) and is not reported;
//   - bad input: tones "x" → 400 VALIDATION_FAILED, an unknown legId → 404 LEG_NOT_FOUND.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import { until } from './helpers/until.ts';

const NUMBER = '+4930777555';
const KEY = 'native-cdtmf-key-0123456789abcdef';

interface Event { id: string; type: string; callId?: string; data: Record<string, any> }

describe('native API: continuous DTMF with a SIPp caller', { skip: !sippAvailable() && 'sipp missing', timeout: 60_000 }, () => {
  let node: TestNode;
  let hooks: WebhookReceiver;
  const events = (): Event[] => hooks.received.map((q) => JSON.parse(q.body) as Event);
  const event = (type: string, callId: string, ms = 15_000): Promise<Event> =>
    until(() => events().find((e) => e.type === type && e.callId === callId), `webhook ${type}; got ${events().map((e) => e.type).join(', ')}`, ms);
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${node.http}${path}`, {
      method, headers: { authorization: `Bearer ${KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    hooks = await startReceiver();
    node = await startNode({ yaml: `applications:\n  - name: keys\n    apiKeys: ["${KEY}"]\n    callbackUrl: "${hooks.url}"\n    numbers:\n      - "${NUMBER}"\n` });
  });
  after(async () => {
    await node?.stop();
    await hooks?.close();
  });

  test('tones "12" on the caller\'s leg: 1 and 2 reported in order, # filtered, stop → continuousDtmf.stopped, 9 after stop not reported', { timeout: 40_000 }, async () => {
    const sipp = runSipp({ scenario: 'uac-continuous-dtmf-12p-9.xml', target: node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 30_000 });
    const incoming = await until(() => events().find((e) => e.type === 'call.incoming'), 'call.incoming', 15_000)
      .catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await sipp)}`); });
    const callId = incoming.callId!;
    try {
      assert.equal((await api('POST', `/v1/calls/${callId}/answer`)).status, 202);
      await event('call.answered', callId);
      const call = await api('GET', `/v1/calls/${callId}`);
      const legId = String(call.json.legs[0].id);

      const bad = await api('POST', `/v1/calls/${callId}/continuous-dtmf`, { tones: 'x' });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.code, 'VALIDATION_FAILED');
      const noLeg = await api('POST', `/v1/calls/${callId}/continuous-dtmf`, { legId: 'no-such-leg' });
      assert.equal(noLeg.status, 404);
      assert.equal(noLeg.json.error.code, 'LEG_NOT_FOUND');

      const start = await api('POST', `/v1/calls/${callId}/continuous-dtmf`, { legId, tones: '21', operationContext: 'keys' });
      assert.equal(start.status, 202, JSON.stringify(start.json));
      assert.equal(start.json.name, 'startContinuousDtmf');

      const received = () => events().filter((e) => e.type === 'dtmf.received' && e.callId === callId);
      await until(() => (received().length >= 2 ? true : undefined), 'two dtmf.received', 15_000);
      assert.deepEqual(received().map((e) => [e.data.digit, e.data.sequence, e.data.legId]), [['1', 1, legId], ['2', 2, legId]]);
      // The # follows 600 ms after the 2: give it time to be (wrongly) reported before stopping.
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal(received().length, 2, '# is not in the filter');

      const stop = await api('POST', `/v1/calls/${callId}/continuous-dtmf/stop`, { legId, operationContext: 'keys-stop' });
      assert.equal(stop.status, 202, JSON.stringify(stop.json));
      const stopped = await event('continuousDtmf.stopped', callId);
      assert.equal(stopped.data.legId, legId);
      assert.equal(stopped.data.operationContext, 'keys-stop');

      const rec = await api('POST', `/v1/calls/${callId}/recognize`, { mode: 'dtmf', maxTones: 1, initialSilenceTimeoutMs: 10_000 });
      assert.equal(rec.status, 202, JSON.stringify(rec.json));
      const done = await event('recognize.completed', callId);
      assert.deepEqual(done.data.tones, ['9']);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(received().length, 2, 'nothing reported after the stop');
    } finally {
      await api('POST', `/v1/calls/${callId}/hangup`, {});
    }
    const r = await sipp;
    assert.equal(r.code, 0, explain(r));
  });
});
