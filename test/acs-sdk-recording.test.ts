// ACS recordings end to end with the official SDK as the only client, over HTTPS WITHOUT
// allowInsecureConnection: the node serves its API with a certificate from the suite's test CA
// (scripts/test-ca.mjs; every test process trusts it through NODE_EXTRA_CA_CERTS, as a user's
// bot trusts a private CA). A SIPp caller streams a 1 kHz tone; IncomingCall reaches the Event
// Grid receiver after the validation handshake; the bot answers and records:
//   1.5.1: start (serverCallLocator) → RecordingStateChanged active → pause → inactive → resume →
//          active → stop → RecordingFileStatusUpdated on Event Grid → downloadToPath (the WAV
//          holds the tone, Goertzel) and downloadStreaming with a range (the right bytes) →
//          another application's key gets 404 → delete → a second download fails.
//   1.6.0: start (callConnectionId) / stop work; its download and delete refuse a non-Microsoft
//          recording host before sending anything (docs/faces/acs.md).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import { readWav } from './helpers/wav.ts';
import { ADMIN, type Tenancy } from '../src/core/index.ts';
import { goertzelCoefficient, goertzelPower } from '../src/media/index.ts';

const require = createRequire(import.meta.url);
const NUMBER = '+4930777999';
const TLS_DIR = process.env.SWITCHBOARD_TEST_TLS_DIR;

async function waitFor(r: WebhookReceiver, pred: (q: ReceivedRequest) => boolean, what: string, timeoutMs = 15_000): Promise<ReceivedRequest> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = r.received.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`${what} did not arrive; got ${r.received.map((x) => x.body.slice(0, 160)).join(' | ')}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function dominantHz(x: Float64Array, rate: number): number {
  let best = 0;
  let bestP = -1;
  for (let f = 200; f < rate / 2 - 100; f += 10) {
    const p = goertzelPower(x, 0, x.length, goertzelCoefficient(f, rate));
    if (p > bestP) { bestP = p; best = f; }
  }
  return best;
}

describe('ACS face: recordings with the official SDK over HTTPS', {
  skip: !sippAvailable() ? 'sipp missing' : !TLS_DIR ? 'needs the test CA: run through npm test (scripts/test.mjs sets SWITCHBOARD_TEST_TLS_DIR and NODE_EXTRA_CA_CERTS)' : false,
  timeout: 150_000,
}, () => {
  let node: TestNode;
  let key: string;
  let otherKey: string;
  let eventGrid: WebhookReceiver;
  let work: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sb-acs-rec-'));
    const tone = join(work, 'tone.ulaw');
    assert.equal(spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-t', 'ul', tone, 'synth', '10', 'sine', '1000', 'vol', '0.5']).status, 0, 'sox makes the tone');
    node = await startNode({
      yaml: `
applications:
  - name: recbot
    numbers:
      - "${NUMBER}"
  - name: otherbot
`,
      env: { SWITCHBOARD_HTTP_TLS_CERT: join(TLS_DIR!, 'server.pem'), SWITCHBOARD_HTTP_TLS_KEY: join(TLS_DIR!, 'server.key') },
    });
    assert.match(node.http, /^https:\/\//);
    const tenancy = (node.server as unknown as { tenancy: Tenancy }).tenancy;
    const apps = await tenancy.applications.list(ADMIN);
    const app = apps.find((a) => a.name === 'recbot')!;
    key = (await tenancy.acs.issue(ADMIN, app.id)).key;
    otherKey = (await tenancy.acs.issue(ADMIN, apps.find((a) => a.name === 'otherbot')!.id)).key;
    eventGrid = await startReceiver();
    await tenancy.acs.setIncomingCallUrl(ADMIN, app.id, eventGrid.url);
  });
  after(async () => {
    await eventGrid?.close();
    await node?.stop();
  });

  /** A SIPp call streaming the tone, answered by `sdk`; returns what the test needs. */
  async function answeredCall(sdkName: 'acs-sdk-151' | 'acs-sdk-160', callbacks: WebhookReceiver) {
    const sdk = require(sdkName) as typeof import('acs-sdk-160');
    // No allowInsecureConnection: the SDK talks to https:// and verifies the certificate.
    const client = new sdk.CallAutomationClient(`endpoint=${node.http}/;accesskey=${key}`, { retryOptions: { maxRetries: 0 } });
    eventGrid.received.length = 0;
    const sipp = runSipp({ scenario: 'acs-uac-tone-wait-bye.xml', target: node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())], cwdFiles: { 'tone.ulaw': join(work, 'tone.ulaw') }, timeoutMs: 50_000 });
    const incoming = await waitFor(eventGrid, (q) => q.body.includes('Microsoft.Communication.IncomingCall'), 'IncomingCall').catch(async (e: Error) => {
      throw new Error(`${e.message}\n${explain(await sipp)}`);
    });
    assert.ok(eventGrid.validations.length >= 1, 'the validation handshake ran before the first event');
    assert.ok(eventGrid.validations[0].at <= incoming.at);
    const [ev] = JSON.parse(incoming.body) as { data: { incomingCallContext: string; serverCallId: string } }[];
    const answered = await client.answerCall(ev.data.incomingCallContext, callbacks.url);
    const seen = (type: string) => waitFor(callbacks, (q) => (sdk.parseCallAutomationEvent(q.body) as unknown as { kind: string }).kind === type, type);
    await seen('CallConnected');
    return { sdk, client, sipp, serverCallId: ev.data.serverCallId, conn: answered.callConnection, callId: answered.callConnectionProperties.callConnectionId!, seen };
  }

  /** The RecordingStateChanged callbacks received so far, parsed by the SDK. */
  const stateEvents = (callbacks: WebhookReceiver, sdk: typeof import('acs-sdk-160')) => callbacks.received
    .map((q) => sdk.parseCallAutomationEvent(q.body) as unknown as { kind: string; state?: string; recordingId?: string; recordingKind?: string; startDateTime?: unknown })
    .filter((e) => e.kind === 'RecordingStateChanged');

  async function until<T>(f: () => T | undefined, what: string, ms = 10_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = f();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`${what} did not happen`);
      await sleep(25);
    }
  }

  test('acs-sdk-151: start (serverCallLocator) → pause → resume → stop → Event Grid file notice → download (whole, range) holds the tone → delete', { timeout: 60_000 }, async () => {
    const callbacks = await startReceiver();
    try {
      const { sdk, client, sipp, serverCallId, conn } = await answeredCall('acs-sdk-151', callbacks);
      const rec = client.getCallRecording();
      const t0 = Date.now();
      const started = await rec.start({ callLocator: { id: serverCallId, kind: 'serverCallLocator' }, recordingChannel: 'mixed', recordingFormat: 'wav', recordingContent: 'audio', recordingStateCallbackEndpointUrl: callbacks.url });
      assert.equal(started.recordingState, 'active');
      assert.equal(started.recordingKind, 'azureCommunicationServices');
      const id = started.recordingId;
      const states = () => stateEvents(callbacks, sdk).filter((e) => e.recordingId === id).map((e) => e.state);
      await until(() => (states().length >= 1 ? true : undefined), 'RecordingStateChanged active');
      await sleep(1500);
      await rec.pause(id);
      await until(() => (states().length >= 2 ? true : undefined), 'RecordingStateChanged inactive');
      assert.equal((await rec.getState(id)).recordingState, 'inactive');
      await sleep(1500);
      await rec.resume(id);
      await until(() => (states().length >= 3 ? true : undefined), 'RecordingStateChanged active again');
      assert.equal((await rec.getState(id)).recordingState, 'active');
      await sleep(1500);
      await rec.stop(id);
      const elapsed = Date.now() - t0;
      await until(() => (states().length >= 4 ? true : undefined), 'RecordingStateChanged inactive after stop');
      assert.deepEqual(states(), ['active', 'inactive', 'active', 'inactive']);
      const first = stateEvents(callbacks, sdk)[0];
      assert.equal(first.recordingKind, 'azureCommunicationServices');
      assert.ok(first.startDateTime, 'startDateTime is set');

      const notice = await waitFor(eventGrid, (q) => q.body.includes('RecordingFileStatusUpdated'), 'RecordingFileStatusUpdated');
      const [fe] = JSON.parse(notice.body) as { eventType: string; data: { recordingDurationMs: number; recordingStorageInfo: { recordingChunks: { documentId: string; contentLocation: string; deleteLocation: string; metadataLocation: string; index: number; endReason: string }[] } } }[];
      assert.equal(fe.eventType, 'Microsoft.Communication.RecordingFileStatusUpdated');
      const [chunk] = fe.data.recordingStorageInfo.recordingChunks;
      assert.equal(chunk.documentId, id);
      assert.ok(chunk.contentLocation.startsWith(`${node.http}/calling/recordings/`), chunk.contentLocation);

      // Another application's key: the recording does not exist for it.
      const other = new sdk.CallAutomationClient(`endpoint=${node.http}/;accesskey=${otherKey}`, { retryOptions: { maxRetries: 0 } });
      const foreign = await other.getCallRecording().getState(id).then(() => 200, (e: { statusCode?: number }) => e.statusCode);
      assert.equal(foreign, 404);
      const foreignDl = await other.getCallRecording().downloadToPath(chunk.contentLocation, join(work, 'x.wav')).then(() => 'ok', (e: { status?: number }) => e.status);
      assert.equal(foreignDl, 404);

      const file = join(work, `rec-151.wav`);
      await rec.downloadToPath(chunk.contentLocation, file);
      const bytes = readFileSync(file);
      const { rate, samples } = readWav(file);
      const seconds = samples.length / rate;
      // 4.5 s of recording with 1.5 s paused: the file holds the unpaused time only.
      assert.ok(seconds >= 2 && seconds <= elapsed / 1000 - 1, `recorded ${seconds.toFixed(2)} s of ${(elapsed / 1000).toFixed(2)} s with 1.5 s paused`);
      const mid = samples.subarray(Math.floor(rate * 0.5), Math.floor(rate * 1.5));
      const hz = dominantHz(mid, rate);
      assert.ok(Math.abs(hz - 1000) <= 30, `the caller's tone is in the recording (dominant ${hz} Hz)`);

      const part = await rec.downloadStreaming(chunk.contentLocation, { offset: 100, length: 200 });
      const got: Buffer[] = [];
      for await (const c of part) got.push(Buffer.from(c as Buffer));
      assert.deepEqual(Buffer.concat(got), bytes.subarray(100, 300), 'the range holds exactly bytes 100..299');

      await rec.delete(chunk.deleteLocation);
      const again = await rec.downloadToPath(chunk.contentLocation, join(work, 'gone.wav')).then(() => 'downloaded', (e: { status?: number }) => e.status);
      assert.equal(again, 404, 'a deleted recording cannot be downloaded');

      await conn.hangUp(true);
      const res = await sipp;
      assert.equal(res.code, 0, explain(res));
      console.log(`# 1.5.1: recorded ${seconds.toFixed(2)} s (${bytes.length} bytes) of ${(elapsed / 1000).toFixed(2)} s wall time with 1.5 s paused; tone ${hz} Hz`);
    } finally {
      await callbacks.close();
    }
  });

  test('acs-sdk-160: start (callConnectionId) and stop work; download and delete refuse a non-Microsoft recording host', { timeout: 60_000 }, async () => {
    const callbacks = await startReceiver();
    try {
      const { sdk, client, sipp, conn, callId } = await answeredCall('acs-sdk-160', callbacks);
      const rec = client.getCallRecording();
      const started = await rec.start({ callConnectionId: callId, recordingChannel: 'unmixed', recordingFormat: 'wav' });
      assert.equal(started.recordingState, 'active');
      await sleep(1000);
      await rec.stop(started.recordingId);
      assert.equal((await rec.getState(started.recordingId)).recordingState, 'inactive');
      const notice = await waitFor(eventGrid, (q) => q.body.includes('RecordingFileStatusUpdated'), 'RecordingFileStatusUpdated');
      const [chunk] = (JSON.parse(notice.body) as { data: { recordingChannelType: string; recordingStorageInfo: { recordingChunks: { contentLocation: string; deleteLocation: string }[] } } }[])[0].data.recordingStorageInfo.recordingChunks;
      const dl = await rec.downloadToPath(chunk.contentLocation, join(work, 'rec-160.wav')).then(() => 'downloaded', (e: Error) => e.message);
      assert.match(dl, /not a valid Azure Communication Services recording endpoint/);
      const del = await rec.delete(chunk.deleteLocation).then(() => 'deleted', (e: Error) => e.message);
      assert.match(del, /not a valid Azure Communication Services recording endpoint/);
      // mp3 is refused with a clear message.
      const mp3 = await rec.start({ callConnectionId: callId, recordingFormat: 'mp3' }).then(() => undefined, (e: { statusCode?: number; message?: string }) => e);
      assert.equal(mp3?.statusCode, 400);
      assert.match(mp3?.message ?? '', /wav only/);
      void sdk;
      await conn.hangUp(true);
      const res = await sipp;
      assert.equal(res.code, 0, explain(res));
    } finally {
      await callbacks.close();
    }
  });
});
