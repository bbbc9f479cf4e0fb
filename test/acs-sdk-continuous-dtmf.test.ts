// ACS continuous DTMF end to end with the official SDK (1.5.1 and 1.6.0) as the bot and a real
// SIPp caller keying RFC 4733 telephone-events (SIPp's bundled dtmf_2833_*.pcap; scenario
// test/sipp/uac-continuous-dtmf-12p-9.xml: 1, 2, # — then 9 four seconds later):
//   - answerCall → callMedia.startContinuousDtmfRecognition(targetParticipant = the caller);
//   - ContinuousDtmfRecognitionToneReceived for 1, 2, # in order, sequenceId 1, 2, 3;
//   - stopContinuousDtmfRecognition → ContinuousDtmfRecognitionStopped (its operationContext);
//   - the 9 keyed after the stop produces no ToneReceived — a recognize started after the stop
//     catches it (RecognizeCompleted tones [nine]), which proves the digit did arrive;
//   - every callback parses with the SDK's parseCallAutomationEvent and carries a valid JWT.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { SDKS, checkCallbacks, loadSdk, startAcsBotNode, typeOf, waitForCallback, waitForRequest, type AcsBotNode } from './helpers/acs-sdk-bot.ts';
import { startReceiver } from './helpers/webhook-receiver.ts';

const NUMBER = '+4930777999';
const CALLER = '+4915112345678';

describe('ACS continuous DTMF with the SDK and SIPp', { skip: !sippAvailable() && 'sipp missing', timeout: 120_000 }, () => {
  let bot: AcsBotNode;
  before(async () => { bot = await startAcsBotNode({ numbers: [NUMBER] }); });
  after(async () => { await bot?.stop(); });

  for (const v of SDKS) {
    test(`${v}: start → ToneReceived 1, 2, # (sequenceId 1..3) → stop → Stopped; 9 after stop is not reported`, { timeout: 45_000 }, async (t) => {
      const sdk = loadSdk(v);
      bot.eventGrid.received.length = 0;
      const callbacks = await startReceiver();
      t.after(() => callbacks.close());
      const sipp = runSipp({ scenario: 'uac-continuous-dtmf-12p-9.xml', target: bot.node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 30_000 });
      const incoming = await waitForRequest(bot.eventGrid, () => true, 'IncomingCall');
      const [ev] = JSON.parse(incoming.body) as { data: { incomingCallContext: string } }[];
      const answered = await bot.client(sdk).answerCall(ev!.data.incomingCallContext, callbacks.url);
      const callId = answered.callConnectionProperties.callConnectionId!;
      await waitForCallback(callbacks, sdk, 'CallConnected');
      const media = answered.callConnection.getCallMedia();
      await media.startContinuousDtmfRecognition({ phoneNumber: CALLER }, { operationContext: 'cdtmf' });

      const tones: string[] = [];
      for (let i = 0; i < 3; i++) {
        const e = await waitForCallback(callbacks, sdk, 'ContinuousDtmfRecognitionToneReceived', i);
        assert.equal(e.kind, 'ContinuousDtmfRecognitionToneReceived');
        assert.equal(e.sequenceId, i + 1, 'sequenceId counts from 1 per call');
        assert.equal(e.callConnectionId, callId);
        tones.push(String(e.tone));
      }
      assert.deepEqual(tones, ['one', 'two', 'pound']);

      await media.stopContinuousDtmfRecognition({ phoneNumber: CALLER }, { operationContext: 'cdtmf-stop' });
      const stopped = await waitForCallback(callbacks, sdk, 'ContinuousDtmfRecognitionStopped');
      assert.equal(stopped.kind, 'ContinuousDtmfRecognitionStopped');
      assert.equal(stopped.operationContext, 'cdtmf-stop');
      assert.equal(stopped.resultInformation?.code, 200);

      // The 9 comes ~4 s after the #: a recognize catches it, continuous DTMF must not.
      await media.startRecognizing({ phoneNumber: CALLER }, { kind: 'callMediaRecognizeDtmfOptions', maxTonesToCollect: 1, initialSilenceTimeoutInSeconds: 10, operationContext: 'after-stop' });
      const rec = await waitForCallback(callbacks, sdk, 'RecognizeCompleted');
      assert.deepEqual(rec.dtmfResult?.tones, ['nine']);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(callbacks.received.filter((q) => typeOf(q) === 'ContinuousDtmfRecognitionToneReceived').length, 3, 'no ToneReceived after the stop');

      await answered.callConnection.hangUp(true);
      await waitForCallback(callbacks, sdk, 'CallDisconnected');
      const r = await sipp;
      assert.equal(r.code, 0, explain(r));
      const kinds = await checkCallbacks(bot, callbacks, sdk, callId);
      assert.ok(kinds.includes('ContinuousDtmfRecognitionStopped'), kinds.join(','));
    });
  }
});
