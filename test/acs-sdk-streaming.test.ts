// ACS media streaming end to end with the official SDK 1.6.0 as the bot and a real SIP phone
// (baresip) as the caller. baresip calls the application's number sending a 1 kHz tone; the bot
// answers with answerCall + mediaStreamingOptions (websocket, mixed, pcm24KMono, bidirectional,
// startMediaStreaming) and Switchboard connects to the bot's WebSocket server (in this test):
//   - the connect request carries x-ms-call-connection-id, x-ms-call-correlation-id and a Bearer
//     JWT that verifies against the node's JWKS;
//   - every message parses with the SDK's StreamingData.parse: AudioMetadata (24 kHz mono PCM),
//     then AudioData whose PCM holds 1 kHz (Goertzel);
//   - the bot echoes each frame with the SDK's createOutboundAudioData, and baresip hears 1 kHz;
//   - 4 s of 600 Hz queued at once, then createOutboundStopAudioData after 300 ms: the 600 Hz
//     stops early in what baresip heard;
//   - callMedia.stopMediaStreaming(), startMediaStreaming() again, hang up; MediaStreamingStarted /
//     MediaStreamingStopped callbacks (twice each)
//     parse with parseCallAutomationEvent (checkCallbacks also verifies each one's JWT).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { baresipAvailable, freeBaresipPort, runBaresip } from './helpers/baresip.ts';
import { checkCallbacks, loadSdk, startAcsBotNode, verifyJwt, waitForCallback, waitForRequest, type AcsBotNode } from './helpers/acs-sdk-bot.ts';
import { startReceiver } from './helpers/webhook-receiver.ts';
import { readWav } from './helpers/wav.ts';
import { goertzelCoefficient, goertzelPower } from '../src/media/index.ts';

const NUMBER = '+4930888222';
const haveTools = baresipAvailable() && spawnSync('sox', ['--version']).status === 0;

function share(x: ArrayLike<number>, rate: number, hz: number): number {
  const arr = Float64Array.from(x as ArrayLike<number>);
  const p = (f: number) => goertzelPower(arr, 0, arr.length, goertzelCoefficient(f, rate));
  const target = p(hz);
  let others = 0;
  for (let f = 200; f < Math.min(3800, rate / 2); f += 100) if (Math.abs(f - hz) > 150) others += p(f);
  return target / (target + others + 1e-9);
}

/** The n-th (0-based) callback of `type`, parsed by the SDK (counts afresh on every poll). */
async function nthCallback(r: { received: { body: string }[] }, sdk: ReturnType<typeof loadSdk>, type: string, nth: number): Promise<Record<string, any>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const hits = r.received.filter((q) => (JSON.parse(q.body) as { type: string }[])[0]?.type === `Microsoft.Communication.${type}`);
    if (hits.length > nth) return sdk.parseCallAutomationEvent(hits[nth]!.body) as unknown as Record<string, any>;
    if (Date.now() > deadline) throw new Error(`${type} #${nth} did not arrive`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

function sine(hz: number, seconds: number, rate: number, amp = 8000): Int16Array {
  const s = new Int16Array(Math.round(seconds * rate));
  for (let i = 0; i < s.length; i++) s[i] = Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate));
  return s;
}

describe('ACS media streaming with SDK 1.6.0 and baresip', { skip: !haveTools && 'baresip or sox missing', timeout: 90_000 }, () => {
  let bot: AcsBotNode;
  before(async () => { bot = await startAcsBotNode({ numbers: [NUMBER] }); });
  after(async () => { await bot?.stop(); });

  test('answerCall with mediaStreamingOptions: bidirectional echo of 1 kHz, StopAudio barge-in, callbacks', { timeout: 45_000 }, async (t) => {
    const sdk = loadSdk('acs-sdk-160');
    const dir = mkdtempSync(join(tmpdir(), 'sb-acs-stream-'));
    const tone = join(dir, 'tone1k.wav');
    spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', tone, 'synth', '30', 'sine', '1000', 'vol', '0.5']);
    const callbacks = await startReceiver();
    t.after(() => callbacks.close());

    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    t.after(() => { wss.close(); });
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/acs-media`;
    const kinds: string[] = [];
    const meta: Record<string, unknown>[] = [];
    const inbound: Int16Array[] = [];
    let echo = true;
    let sock: WebSocket | undefined;
    let headers: IncomingHttpHeaders = {};
    let connections = 0;
    wss.on('connection', (ws, req) => {
      connections++;
      if (connections > 1) return; // the restarted stream: counted, not echoed
      sock = ws;
      headers = req.headers;
      ws.on('message', (d) => {
        const parsed = sdk.StreamingData.parse(String(d)) as unknown as Record<string, any>;
        const kind = sdk.StreamingData.getStreamingKind();
        kinds.push(kind);
        if (kind === 'AudioMetadata') meta.push(parsed);
        if (kind !== 'AudioData') return;
        const b = Buffer.from(parsed.data as string, 'base64');
        inbound.push(new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)));
        if (echo) ws.send(sdk.createOutboundAudioData(parsed.data as string));
      });
    });

    const phone = runBaresip({
      port: await freeBaresipPort(), account: '<sip:bob@127.0.0.1;transport=udp>;regint=0',
      commands: [`/dial sip:${NUMBER}@${bot.node.sip}`], seconds: 10, rtpPorts: '38800-38899', sourceWav: tone,
    });
    const incoming = await waitForRequest(bot.eventGrid, () => true, 'IncomingCall');
    const [ev] = JSON.parse(incoming.body) as { data: { incomingCallContext: string } }[];
    const answered = await bot.client(sdk).answerCall(ev!.data.incomingCallContext, callbacks.url, {
      mediaStreamingOptions: {
        transportUrl: url, transportType: 'websocket', contentType: 'audio', audioChannelType: 'mixed',
        startMediaStreaming: true, enableBidirectional: true, audioFormat: 'pcm24KMono',
      },
    });
    const callId = answered.callConnectionProperties.callConnectionId!;
    await waitForCallback(callbacks, sdk, 'CallConnected');
    const started = await waitForCallback(callbacks, sdk, 'MediaStreamingStarted');
    assert.equal(started.mediaStreamingUpdate?.mediaStreamingStatus, 'mediaStreamingStarted');
    assert.equal(started.mediaStreamingUpdate?.contentType, 'Audio');

    await new Promise((r) => setTimeout(r, 3000));
    echo = false;
    const burst = sine(600, 4, 24000);
    sock!.send(sdk.createOutboundAudioData(Buffer.from(burst.buffer).toString('base64')));
    await new Promise((r) => setTimeout(r, 300));
    sock!.send(sdk.createOutboundStopAudioData());
    await new Promise((r) => setTimeout(r, 2500));
    const media = answered.callConnection.getCallMedia();
    await media.stopMediaStreaming({ operationContext: 'stop-it' });
    const stopped = await waitForCallback(callbacks, sdk, 'MediaStreamingStopped');
    assert.equal(stopped.mediaStreamingUpdate?.mediaStreamingStatus, 'mediaStreamingStopped');
    // Started again with the options given at answer; the call's end stops it.
    await media.startMediaStreaming({ operationContext: 'again' });
    const again = await nthCallback(callbacks, sdk, 'MediaStreamingStarted', 1);
    assert.equal(again.mediaStreamingUpdate?.mediaStreamingStatus, 'mediaStreamingStarted');
    assert.equal(again.operationContext, 'again');
    assert.equal(connections, 2, 'a second WebSocket connection');
    await answered.callConnection.hangUp(true);
    await nthCallback(callbacks, sdk, 'MediaStreamingStopped', 1);
    await waitForCallback(callbacks, sdk, 'CallDisconnected');
    const r = await phone;

    // The WebSocket connect request (A.7 headers + the callback JWT).
    assert.equal(headers['x-ms-call-connection-id'], callId);
    assert.equal(headers['x-ms-call-correlation-id'], callId);
    const oidc = await (await fetch(`${bot.node.http}/calling/.well-known/acsopenidconfiguration`)).json() as { jwks_uri: string };
    const jwks = await (await fetch(oidc.jwks_uri)).json() as Parameters<typeof verifyJwt>[1];
    assert.equal(verifyJwt(String(headers.authorization).replace(/^Bearer /, ''), jwks).aud, bot.appId);

    // What the bot's socket got, as the SDK parses it.
    assert.equal(kinds[0], 'AudioMetadata');
    assert.equal(meta[0]!.sampleRate, 24000);
    assert.equal(meta[0]!.encoding, 'PCM');
    assert.equal(meta[0]!.channels, 1);
    assert.ok(kinds.slice(1).every((k) => k === 'AudioData'));
    assert.ok(inbound.length >= 100, `${inbound.length} AudioData frames`);
    assert.ok(inbound.every((f) => f.length === 480), 'every frame is 20 ms at 24 kHz');
    const s1k = share(inbound.slice(25, 75).flatMap((f) => [...f]), 24000, 1000);
    assert.ok(s1k > 0.9, `1 kHz share: ${s1k.toFixed(3)}`);

    // What the caller heard: the echo, and the burst cut short by StopAudio.
    const file = r.recordings.find((p) => /dec\.wav$/.test(p));
    assert.ok(file, `no received-audio recording\n${r.output.slice(-1500)}`);
    const wav = readWav(file);
    const win = wav.rate / 10;
    let echoed = 0;
    let heard600 = 0;
    for (let o = 0; o + win <= wav.samples.length; o += win) {
      const w = wav.samples.subarray(o, o + win);
      let e = 0;
      for (const v of w) e += v * v;
      if (Math.sqrt(e / win) < 300) continue;
      if (share(w, wav.rate, 1000) > 0.6) echoed++;
      if (share(w, wav.rate, 600) > 0.6) heard600++;
    }
    assert.ok(echoed >= 15, `1 kHz (the echo) heard in ${echoed} windows of 100 ms`);
    assert.ok(heard600 >= 2 && heard600 <= 12, `600 Hz heard for ${heard600 * 100} ms of the 4 s queued`);

    const cbKinds = await checkCallbacks(bot, callbacks, sdk, callId);
    assert.deepEqual(cbKinds.filter((k) => k.startsWith('MediaStreaming')), ['MediaStreamingStarted', 'MediaStreamingStopped', 'MediaStreamingStarted', 'MediaStreamingStopped']);
  });
});
