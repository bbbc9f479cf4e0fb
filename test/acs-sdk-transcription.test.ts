// ACS live transcription end to end: a SIPp caller streams our TTS sentence "I would like to
// pay my bill" (espeak-ng → sox → 8 kHz µ-law, looped with 1.5 s pauses) as PCMU; the bot (the
// official SDK 1.6.0 over HTTPS) answers with transcriptionOptions {startTranscription: true}; a
// WebSocket server in the test receives TranscriptionMetadata, then TranscriptionData with
// resultStatus Final whose text holds what the local engine reliably hears ("i would", measured
// in src/speech/asr/pocketsphinx-transcriber.test.ts); every frame is parsed with the SDK's
// StreamingData.parse. Then the SDK stops it (stopTranscription) and TranscriptionStarted /
// TranscriptionStopped callbacks parse with parseCallAutomationEvent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import { ADMIN, type Tenancy } from '../src/core/index.ts';
import { until } from './helpers/until.ts';

const require = createRequire(import.meta.url);
const sdk = require('acs-sdk-160') as typeof import('acs-sdk-160');
const NUMBER = '+4930777888';
const TLS_DIR = process.env.SWITCHBOARD_TEST_TLS_DIR;
const haveSphinx = spawnSync('which', ['pocketsphinx_continuous']).status === 0 && existsSync('/usr/share/pocketsphinx/model/en-us/en-us.lm.bin');
const haveEspeak = spawnSync('which', ['espeak-ng']).status === 0;

async function waitFor(r: WebhookReceiver, pred: (q: ReceivedRequest) => boolean, what: string, timeoutMs = 15_000): Promise<ReceivedRequest> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = r.received.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`${what} did not arrive; got ${r.received.map((x) => x.body.slice(0, 160)).join(' | ')}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('ACS face: live transcription with the official SDK 1.6.0', {
  skip: !sippAvailable() ? 'sipp missing' : !haveSphinx || !haveEspeak ? 'pocketsphinx / espeak-ng missing'
    : !TLS_DIR ? 'needs the test CA: run through npm test (scripts/test.mjs sets SWITCHBOARD_TEST_TLS_DIR)' : false,
  timeout: 90_000,
}, () => {
  let node: TestNode;
  let key: string;
  let eventGrid: WebhookReceiver;
  let work: string;
  let wss: WebSocketServer;
  const frames: string[] = [];
  let wsUrl: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sb-acs-tr-'));
    const wav = join(work, 'say.wav');
    assert.equal(spawnSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', wav, 'I would like to pay my bill']).status, 0, 'espeak-ng speaks');
    // 8 kHz µ-law with 1.5 s of silence after it, so each loop is its own utterance.
    assert.equal(spawnSync('sox', [wav, '-r', '8000', '-c', '1', '-t', 'ul', join(work, 'tone.ulaw'), 'pad', '0.3', '1.5']).status, 0, 'sox makes µ-law');
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (ws) => ws.on('message', (m) => frames.push(m.toString())));
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/transcripts`;
    node = await startNode({
      yaml: `
applications:
  - name: scribe
    numbers:
      - "${NUMBER}"
`,
      env: { SWITCHBOARD_HTTP_TLS_CERT: join(TLS_DIR!, 'server.pem'), SWITCHBOARD_HTTP_TLS_KEY: join(TLS_DIR!, 'server.key') },
    });
    const tenancy = (node.server as unknown as { tenancy: Tenancy }).tenancy;
    const app = (await tenancy.applications.list(ADMIN)).find((a) => a.name === 'scribe')!;
    key = (await tenancy.acs.issue(ADMIN, app.id)).key;
    eventGrid = await startReceiver();
    await tenancy.acs.setIncomingCallUrl(ADMIN, app.id, eventGrid.url);
  });
  after(async () => {
    await eventGrid?.close();
    await node?.stop();
    await new Promise((r) => wss?.close(r));
  });

  test('answer with transcriptionOptions → Metadata then a Final "i would …" over the WebSocket; stopTranscription; Started/Stopped callbacks', { timeout: 75_000 }, async () => {
    const callbacks = await startReceiver();
    try {
      const client = new sdk.CallAutomationClient(`endpoint=${node.http}/;accesskey=${key}`, { retryOptions: { maxRetries: 0 } });
      const sipp = runSipp({ scenario: 'acs-uac-tone-wait-bye.xml', target: node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())], cwdFiles: { 'tone.ulaw': join(work, 'tone.ulaw') }, timeoutMs: 60_000 });
      const incoming = await waitFor(eventGrid, (q) => q.body.includes('Microsoft.Communication.IncomingCall'), 'IncomingCall').catch(async (e: Error) => {
        throw new Error(`${e.message}\n${explain(await sipp)}`);
      });
      const [ev] = JSON.parse(incoming.body) as { data: { incomingCallContext: string } }[];
      const answered = await client.answerCall(ev.data.incomingCallContext, callbacks.url, {
        transcriptionOptions: { transportType: 'websocket', transportUrl: wsUrl, locale: 'en-US', startTranscription: true },
      });
      const callId = answered.callConnectionProperties.callConnectionId!;
      const kinds = () => callbacks.received.map((q) => (sdk.parseCallAutomationEvent(q.body) as unknown as { kind: string }).kind);
      await waitFor(callbacks, (q) => q.body.includes('TranscriptionStarted'), 'TranscriptionStarted', 20_000);
      const started = sdk.parseCallAutomationEvent(callbacks.received.find((q) => q.body.includes('TranscriptionStarted'))!.body) as unknown as
        { kind: string; callConnectionId: string; transcriptionUpdate?: { transcriptionStatus?: string } };
      assert.equal(started.kind, 'TranscriptionStarted');
      assert.equal(started.callConnectionId, callId);
      assert.equal(started.transcriptionUpdate?.transcriptionStatus, 'transcriptionStarted');

      // The first frame is the metadata; then results. Wait for a Final (the sentence loops).
      const parsed = () => frames.map((f) => ({ kind: (JSON.parse(f) as { kind: string }).kind, data: sdk.StreamingData.parse(f) as unknown as Record<string, unknown> }));
      const final = await until(() => parsed().find((p) => p.kind === 'TranscriptionData' && p.data.resultState === 'Final'), 'a Final TranscriptionData', 30_000);
      const all = parsed();
      assert.equal(all[0]!.kind, 'TranscriptionMetadata');
      assert.equal(all[0]!.data.callConnectionId, callId);
      assert.equal(all[0]!.data.locale, 'en-US');
      const text = String(final.data.text);
      console.log(`  final: ${JSON.stringify(text)} confidence ${String(final.data.confidence)} offset ${String(final.data.offsetInTicks)} ticks`);
      assert.match(text, /\bi would\b/);
      assert.equal(final.data.format, 'display');
      assert.ok(Number(final.data.durationInTicks) > 5_000_000, 'duration in 100-ns ticks (over 0.5 s of speech)');
      assert.ok(Array.isArray(final.data.words) && (final.data.words as unknown[]).length >= 2);
      assert.equal((final.data.participant as { kind?: string }).kind, 'phoneNumber', 'the caller is the speaker');

      await answered.callConnection.getCallMedia().stopTranscription();
      await waitFor(callbacks, (q) => q.body.includes('TranscriptionStopped'), 'TranscriptionStopped');
      assert.ok(kinds().includes('TranscriptionStopped'));
      await answered.callConnection.hangUp(true);
      const r = await sipp;
      assert.equal(r.code, 0, explain(r));
    } finally {
      await callbacks.close();
    }
  });
});
