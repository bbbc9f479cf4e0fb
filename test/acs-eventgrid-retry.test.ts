// Event Grid IncomingCall survives a receiver that is down: a SIPp caller rings an ACS
// application whose Event Grid URL has nobody listening; the IncomingCall notification waits
// in the outbox (held back: the validation handshake cannot run), retried with backoff; the
// receiver comes up on the same port; the handshake runs, then IncomingCall arrives (header
// aeg-event-type: Notification, the Event Grid id = the outbox event id) and the official SDK
// (1.6.0) answers the still-ringing call with its incomingCallContext → CallConnected.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import { ADMIN, type Tenancy } from '../src/core/index.ts';
import type { Store } from '../src/store/index.ts';

const require = createRequire(import.meta.url);
const NUMBER = '+4930777123';

async function waitFor(r: WebhookReceiver, pred: (q: ReceivedRequest) => boolean, what: string, timeoutMs = 15_000): Promise<ReceivedRequest> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = r.received.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`${what} did not arrive; got ${r.received.map((x) => x.body.slice(0, 160)).join(' | ')}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

let node: TestNode | undefined;
let eventGrid: WebhookReceiver | undefined;
let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'sb-eg-retry-'));
  assert.equal(spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-t', 'ul', join(work, 'tone.ulaw'), 'synth', '10', 'sine', '1000', 'vol', '0.5']).status, 0, 'sox makes the tone');
});
after(async () => {
  await eventGrid?.close();
  await node?.stop();
});

test('IncomingCall waits while the Event Grid receiver is down, arrives after it comes up, and the call is still answerable', { skip: sippAvailable() ? false : 'sipp missing', timeout: 60_000 }, async () => {
  // Reserve a port and close it: the Event Grid endpoint is down.
  const probe = await startReceiver();
  const port = probe.port;
  await probe.close();
  const url = `http://127.0.0.1:${port}/eventgrid`;
  node = await startNode({ yaml: `\napplications:\n  - name: egbot\n    numbers:\n      - "${NUMBER}"\n    acsIncomingCallUrl: "${url}"\n` });
  const tenancy = (node.server as unknown as { tenancy: Tenancy }).tenancy;
  const store = (node.server as unknown as { store: Store }).store;
  const app = (await tenancy.applications.list(ADMIN)).find((a) => a.name === 'egbot')!;
  assert.equal(await tenancy.acs.incomingCallUrl(app.id), url);
  const key = (await tenancy.acs.issue(ADMIN, app.id)).key;
  const callbacks = await startReceiver();
  try {
    const sipp = runSipp({ scenario: 'acs-uac-tone-wait-bye.xml', target: node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())], cwdFiles: { 'tone.ulaw': join(work, 'tone.ulaw') }, timeoutMs: 50_000 });

    // The notification is in the outbox and its first attempt was held back (nobody to validate).
    let held: { attempts: number; lastError: string | undefined; eventId: string } | undefined;
    for (let i = 0; i < 200 && !held; i++) {
      const d = (await store.outbox.listDeliveries({ applicationId: app.id })).find((x) => x.format === 'acs-eventgrid' && x.attempts >= 1);
      if (d) held = { attempts: d.attempts, lastError: d.lastError, eventId: d.eventId };
      else await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(held, 'the IncomingCall delivery was attempted and is pending');
    assert.match(held.lastError ?? '', /held back: .*validation handshake/);
    const stored = await store.outbox.getEvent(held.eventId);
    assert.equal(stored?.type, 'acs.eventGrid.incomingCall');

    // The receiver comes up on the same port: the next attempt validates, then delivers.
    eventGrid = await startReceiver(() => 200, port);
    const incoming = await waitFor(eventGrid, (q) => q.body.includes('Microsoft.Communication.IncomingCall'), 'IncomingCall');
    assert.ok(eventGrid.validations.length >= 1 && eventGrid.validations[0].at <= incoming.at, 'the handshake ran before the notification');
    assert.equal(incoming.headers['aeg-event-type'], 'Notification');
    const [ev] = JSON.parse(incoming.body) as { id: string; eventType: string; data: { incomingCallContext: string; serverCallId: string; from: { rawId: string } } }[];
    assert.equal(ev.id, held.eventId, 'the Event Grid id is the outbox event id (stable across retries)');
    assert.equal(ev.data.from.rawId, '4:+4915112345678');
    const after = (await store.outbox.deliveriesOf(held.eventId))[0];
    for (let i = 0; i < 100 && after.state !== 'delivered'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      Object.assign(after, (await store.outbox.deliveriesOf(held.eventId))[0]);
    }
    assert.equal(after.state, 'delivered');
    assert.ok(after.attempts >= 2, `delivered on a retry (attempts ${after.attempts})`);

    // The call is still ringing: the bot answers it through the official SDK.
    const sdk = require('acs-sdk-160') as typeof import('acs-sdk-160');
    const client = new sdk.CallAutomationClient(`endpoint=${node.http}/;accesskey=${key}`, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
    const answered = await client.answerCall(ev.data.incomingCallContext, callbacks.url);
    await waitFor(callbacks, (q) => (sdk.parseCallAutomationEvent(q.body) as unknown as { kind: string }).kind === 'CallConnected', 'CallConnected');
    await answered.callConnection.hangUp(true);
    const res = await sipp;
    assert.equal(res.code, 0, explain(res));
    console.log(`# IncomingCall delivered on attempt ${after.attempts} after the receiver came up; ${eventGrid.validations.length} handshake(s)`);
  } finally {
    await callbacks.close();
  }
});
