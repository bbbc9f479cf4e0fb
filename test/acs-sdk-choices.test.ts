// ACS face end to end, speech: a caller says "billing" and the bot, written with the official
// SDK (1.5.1 and 1.6.0), recognizes it among the choices sales / support / billing. The word is
// made by our own TTS (espeak-ng), turned into 8 kHz µ-law by sox and streamed by a SIPp caller
// as PCMU (rtp_stream) after the bot's text prompt; Switchboard's local recognizer
// (pocketsphinx with a grammar of the choices' phrases) decides. RecognizeCompleted must say
// recognitionType 'choices' and choiceResult.label 'billing'; every callback is parsed by the
// SDK and JWT-verified. The 1.5.1 run says "support" instead, so a recognizer that always
// answered the same label would fail one of the two.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startReceiver } from './helpers/webhook-receiver.ts';
import { checkCallbacks, loadSdk, SDKS, startAcsBotNode, waitForCallback, waitForRequest, type AcsBotNode } from './helpers/acs-sdk-bot.ts';

const NUMBER = '+4930777999';
const CALLER = '+4915112345678';
const tools = ['espeak-ng', 'sox', 'pocketsphinx_continuous'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const skip = !sippAvailable() ? 'sipp missing' : tools.length > 0 ? `missing ${tools.join(', ')}` : false;

describe('ACS face: recognize a spoken choice (our TTS streamed by a SIPp caller), SDK only', { skip, timeout: 120_000 }, () => {
  let bot: AcsBotNode;
  const dir = mkdtempSync(join(tmpdir(), 'acs-choices-'));
  const WORD: Record<(typeof SDKS)[number], string> = { 'acs-sdk-151': 'support', 'acs-sdk-160': 'billing' };
  const speech = (word: string): string => join(dir, `${word}.ulaw`);
  before(async () => {
    for (const word of Object.values(WORD)) {
      const wav = join(dir, `${word}.wav`);
      assert.equal(spawnSync('espeak-ng', ['-v', 'en-us', '-s', '140', '-w', wav, word]).status, 0, 'espeak-ng made the word');
      // 8 kHz mono µ-law; 0.3 s of silence before, 1.5 s after so the recognizer's VAD sees the end.
      const sox = spawnSync('sox', [wav, '-r', '8000', '-c', '1', '-t', 'ul', speech(word), 'pad', '0.3', '1.5']);
      assert.equal(sox.status, 0, String(sox.stderr));
    }
    bot = await startAcsBotNode({ numbers: [NUMBER] });
  });
  after(async () => {
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const v of SDKS) {
    const word = WORD[v];
    test(`${v}: startRecognizing choices with a prompt, caller says "${word}" → RecognizeCompleted choiceResult.label '${word}'`, { timeout: 40_000 }, async (t) => {
      const sdk = loadSdk(v);
      bot.eventGrid.received.length = 0;
      const callbacks = await startReceiver();
      t.after(() => callbacks.close());
      const caller = runSipp({ scenario: 'acs-uac-speak-wait-bye.xml', target: bot.node.sip, service: NUMBER, cwdFiles: { 'speech.ulaw': speech(word) }, args: ['-mp', String(await freeUdpPort())], timeoutMs: 35_000 });
      t.after(() => caller.then(() => {})); // a failed assertion must not leave SIPp behind
      const incoming = await waitForRequest(bot.eventGrid, () => true, 'IncomingCall').catch(async (e: Error) => { throw new Error(`${e.message}\n${explain(await caller)}`); });
      const [ev] = JSON.parse(incoming.body) as { data: { incomingCallContext: string } }[];
      const answered = await bot.client(sdk).answerCall(ev.data.incomingCallContext, `${callbacks.url}?sdk=${v}`);
      const callId = answered.callConnectionProperties.callConnectionId!;
      const conn = answered.callConnection;
      await waitForCallback(callbacks, sdk, 'CallConnected');

      const prompt: import('acs-sdk-160').TextSource = { kind: 'textSource', text: 'Which one?', sourceLocale: 'en-US' };
      await conn.getCallMedia().startRecognizing({ phoneNumber: CALLER }, {
        kind: 'callMediaRecognizeChoiceOptions',
        choices: [
          { label: 'sales', phrases: ['sales'] },
          { label: 'support', phrases: ['support'] },
          { label: 'billing', phrases: ['billing'] },
        ],
        playPrompt: prompt,
        interruptPrompt: false,
        initialSilenceTimeoutInSeconds: 10,
        operationContext: 'menu',
      });
      const rec = await waitForCallback(callbacks, sdk, 'RecognizeCompleted', 0, 20_000).catch(async (e: Error) => {
        await conn.hangUp(true).catch(() => {});
        throw new Error(`${e.message}\n${explain(await caller)}`);
      });
      assert.equal(rec.recognitionType, 'choices');
      assert.equal(rec.choiceResult?.label, word);
      assert.equal(rec.operationContext, 'menu');
      assert.deepEqual([rec.resultInformation?.code, rec.resultInformation?.subCode], [200, 8545]);

      await conn.hangUp(true);
      await waitForCallback(callbacks, sdk, 'CallDisconnected');
      const res = await caller;
      assert.equal(res.code, 0, explain(res));
      const kinds = await checkCallbacks(bot, callbacks, sdk, callId);
      assert.deepEqual(kinds.filter((k) => k !== 'PlayStarted'), ['CallConnected', 'RecognizeCompleted', 'CallDisconnected']);
    });
  }
});
