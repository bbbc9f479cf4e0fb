// ACS media streaming forwards DTMF end to end: a SIPp caller keys 1, 2, #, 9 as RFC 4733
// telephone-events (test/sipp/uac-continuous-dtmf-12p-9.xml); the bot (SDK 1.6.0) answers with
// mediaStreamingOptions {enableDtmfTones, startMediaStreaming}; every message on the test's
// WebSocket server parses with the SDK's StreamingData.parse, and the DtmfData frames carry the
// digits in order. Audio frames (AudioData) flow too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { loadSdk, startAcsBotNode, waitForCallback, waitForRequest, type AcsBotNode } from './helpers/acs-sdk-bot.ts';
import { startReceiver } from './helpers/webhook-receiver.ts';

const NUMBER = '+4930888333';

describe('ACS media streaming: DtmfData from a SIPp caller, parsed by SDK 1.6.0', { skip: !sippAvailable() && 'sipp missing', timeout: 60_000 }, () => {
  let bot: AcsBotNode;
  before(async () => { bot = await startAcsBotNode({ numbers: [NUMBER] }); });
  after(async () => { await bot?.stop(); });

  test('enableDtmfTones: DtmfData 1, 2, #, 9 in order', { timeout: 40_000 }, async (t) => {
    const sdk = loadSdk('acs-sdk-160');
    const callbacks = await startReceiver();
    t.after(() => callbacks.close());
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    t.after(() => { wss.close(); });
    const kinds: string[] = [];
    const digits: string[] = [];
    wss.on('connection', (ws) => {
      ws.on('message', (d) => {
        const parsed = sdk.StreamingData.parse(String(d)) as unknown as Record<string, any>;
        const kind = sdk.StreamingData.getStreamingKind();
        kinds.push(kind);
        if (kind === 'DtmfData') digits.push(String(parsed.data));
      });
    });
    const sipp = runSipp({ scenario: 'uac-continuous-dtmf-12p-9.xml', target: bot.node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 30_000 });
    const incoming = await waitForRequest(bot.eventGrid, () => true, 'IncomingCall');
    const [ev] = JSON.parse(incoming.body) as { data: { incomingCallContext: string } }[];
    const answered = await bot.client(sdk).answerCall(ev!.data.incomingCallContext, callbacks.url, {
      mediaStreamingOptions: {
        transportUrl: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/m`, transportType: 'websocket', contentType: 'audio',
        audioChannelType: 'mixed', startMediaStreaming: true, enableDtmfTones: true, audioFormat: 'pcm16KMono',
      },
    });
    await waitForCallback(callbacks, sdk, 'MediaStreamingStarted');
    const deadline = Date.now() + 15_000;
    while (digits.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(digits, ['1', '2', '#', '9'], `kinds: ${[...new Set(kinds)].join(',')}`);
    assert.ok(kinds.filter((k) => k === 'AudioData').length > 50, 'audio frames flow alongside');
    await answered.callConnection.hangUp(true);
    const r = await sipp;
    assert.equal(r.code, 0, explain(r));
  });
});
