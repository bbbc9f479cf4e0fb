// ACS face end to end, outbound: the official SDK (1.5.1 and 1.6.0) places a call with
// createCall to a phone number; it leaves through the trunk declared in YAML, whose host is a
// SIPp UAS (the carrier). The UAS answers with an SDP pointing its audio at this test's UDP
// socket, so the test hears what Switchboard sends: the bot calls sendDtmfTones(one, two,
// pound) and the test decodes the RFC 4733 telephone-events (RFC 4733 §2.3) from the packets —
// the digits must be exactly 1 2 #. SendDtmfTonesCompleted, CallConnected and CallDisconnected
// arrive as signed callbacks parsed by the SDK; the carrier saw the requested caller ID. On the
// way, connectCall with the call's serverCallLocator moves its callbacks to a second URL
// (a groupCallLocator without an id → 400 — with one it opens a conference, test/acs-sdk-connect.test.ts —
// an unknown serverCallId → 404).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startReceiver } from './helpers/webhook-receiver.ts';
import { checkCallbacks, loadSdk, SDKS, startAcsBotNode, waitForCallback, type AcsBotNode } from './helpers/acs-sdk-bot.ts';

const DIALED = '+4930555666';
const CALLER_ID = '+4930123456';
const EVENT_CHARS = '0123456789*#ABCD';

/** Digits in RFC 4733 telephone-event packets (one per event, keyed by RTP timestamp). */
function telephoneEvents(packets: Buffer[], pt: number): string {
  const seen = new Map<number, string>();
  for (const b of packets) {
    if (b.length < 16 || (b[0] >> 6) !== 2 || (b[1] & 0x7f) !== pt) continue;
    // RFC 3550 §5.1: 12-byte header + 4·CSRC count (+ extension, not used by Switchboard).
    const off = 12 + 4 * (b[0] & 0x0f);
    const ts = b.readUInt32BE(4);
    const event = b[off];
    if (!seen.has(ts)) seen.set(ts, EVENT_CHARS[event] ?? '?');
  }
  return [...seen.entries()].sort((a, z) => a[0] - z[0]).map(([, d]) => d).join('');
}

describe('ACS face: createCall through a trunk and sendDtmfTones, SDK only', { skip: !sippAvailable() && 'sipp missing', timeout: 120_000 }, () => {
  let bot: AcsBotNode;
  let trunkPort = 0;
  before(async () => {
    trunkPort = await freeUdpPort();
    bot = await startAcsBotNode({
      numbers: ['+4930777000'],
      limits: '      allowedDestinationPrefixes: ["+49"]',
      yaml: `trunks:\n  - name: carrier\n    host: 127.0.0.1\n    port: ${trunkPort}\n    transport: udp\n`,
    });
  });
  after(async () => { await bot?.stop(); });

  for (const v of SDKS) {
    test(`${v}: createCall → CallConnected → connectCall (serverCallLocator) → sendDtmfTones 1 2 # heard as RFC 4733 → hangUp`, { timeout: 40_000 }, async (t) => {
      const sdk = loadSdk(v);
      const callbacks = await startReceiver();
      t.after(() => callbacks.close());
      const rtp: Socket = createSocket('udp4');
      const packets: Buffer[] = [];
      rtp.on('message', (m) => packets.push(Buffer.from(m)));
      await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
      t.after(() => rtp.close());
      const uas = runSipp({ scenario: 'acs-uas-answer-dtmf-port.xml', localPort: trunkPort, args: ['-set', 'rtpport', String(rtp.address().port)], timeoutMs: 30_000 });
      t.after(() => uas.then(() => {})); // a failed assertion must not leave SIPp behind
      await new Promise((r) => setTimeout(r, 300));

      const created = await bot.client(sdk).createCall({ targetParticipant: { phoneNumber: DIALED }, sourceCallIdNumber: { phoneNumber: CALLER_ID } }, `${callbacks.url}?sdk=${v}`, { operationContext: 'outbound' });
      const callId = created.callConnectionProperties.callConnectionId!;
      assert.ok(callId);
      const connected = await waitForCallback(callbacks, sdk, 'CallConnected').catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await uas)}`); });
      assert.equal(connected.callConnectionId, callId);

      const conn = bot.client(sdk).getCallConnection(callId);
      const props = await conn.getCallConnectionProperties();
      assert.equal(props.callConnectionState, 'connected');

      // connectCall by serverCallLocator takes the call over: later callbacks go to the new URL.
      const moved = await startReceiver();
      t.after(() => moved.close());
      const connected2 = await bot.client(sdk).connectCall({ kind: 'serverCallLocator', id: props.serverCallId! }, `${moved.url}?connected=${v}`);
      assert.equal(connected2.callConnectionProperties.callConnectionId, callId);
      assert.equal(connected2.callConnectionProperties.callConnectionState, 'connected');
      const refused = (p: Promise<unknown>) => p.then(() => undefined, (e: { statusCode?: number; code?: string }) => [e.statusCode, e.code]);
      assert.deepEqual(await refused(bot.client(sdk).connectCall({ kind: 'groupCallLocator', id: '' }, moved.url)), [400, 'BadRequest']);
      assert.deepEqual(await refused(bot.client(sdk).connectCall({ kind: 'serverCallLocator', id: Buffer.from('sb:no-such-call').toString('base64') }, moved.url)), [404, 'NotFound']);
      await conn.getCallMedia().sendDtmfTones(['one', 'two', 'pound'] as never, { phoneNumber: DIALED }, { operationContext: 'digits' });
      const sent = await waitForCallback(moved, sdk, 'SendDtmfTonesCompleted');
      assert.equal(sent.operationContext, 'digits');
      assert.equal(sent.resultInformation?.code, 200);
      // The end packets of '#' are sent ×3 (RFC 4733 §2.5.1.4); give the last ones a moment.
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(telephoneEvents(packets, 101), '12#', `decoded from ${packets.length} RTP packets`);

      await conn.hangUp(true);
      await waitForCallback(moved, sdk, 'CallDisconnected');
      const res = await uas;
      assert.equal(res.code, 0, explain(res));
      assert.match(res.messages, new RegExp(`INVITE sip:\\${DIALED}@127\\.0\\.0\\.1:${trunkPort}`), 'dialed through the trunk');
      assert.match(res.messages, new RegExp(`From: <sip:\\${CALLER_ID}@`), 'the caller ID the bot asked for');
      assert.deepEqual(await checkCallbacks(bot, callbacks, sdk, callId), ['CallConnected']);
      assert.deepEqual(await checkCallbacks(bot, moved, sdk, callId), ['SendDtmfTonesCompleted', 'CallDisconnected']);
    });
  }
});
