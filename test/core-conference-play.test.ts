// Playing INTO a conference end to end: a node with two media workers, the native API and two
// real SIPp UASs whose audio is this test's UDP sockets (RtpPeer). With both parties in the mix,
// `play` with toAll plays a 1 kHz tone once into the mix (Mixer.play): checked as audio
// (Goertzel share) — both parties receive the tone, and B still hears A talking (700 Hz) under
// it, which a play per leg (it replaces what the leg hears) would not give. Then a looped
// prompt is cancelled by cancelling the operation (Operation.cancel): the tone stops for both.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import type { SwitchboardServer } from '../src/server/index.ts';
import { startNode } from './helpers/switchboard.ts';
import { injectApi } from './helpers/inject-api.ts';
import { createEventsService } from '../src/server/events-service.ts';
import { SipService } from '../src/server/sip-service.ts';
import { EngineMediaEndpoint } from '../src/adapters/index.ts';
import { applicationPrincipal, type Principal } from '../src/core/index.ts';
import { RtpPeer, rms, sine, toneShare, wait } from '../src/media/worker/test-rtp-peer.ts';

const haveSipp = sippAvailable();
const KEY = 'conference-test-key-0123456789abcdef';
const KEY2 = 'conference-test-key2-0123456789abcdef';
const HZ = { a: 700, b: 1100 } as const;
const IDLE_MS = 4000;

describe('playing into a conference: SIPp parties, native API', { skip: !haveSipp && 'sipp missing', timeout: 60_000 }, () => {
  let dir: string;
  let server: SwitchboardServer;
  let sip: SipService;
  let principal: Principal;

  before(async () => {
    ({ dir, server } = await startNode({
      yaml: `
applications:
  - name: meeting-bot
    apiKeys: ["${KEY}"]
  - name: other-bot
    apiKeys: ["${KEY2}"]
`,
      services: [(ctx) => new SipService(ctx, { mediaWorkers: 2 }), createEventsService],
    }));
    sip = server.service<SipService>('sip')!;
    const app = (await sip.callsWiring!.store.tenancy.applications.list()).find((a) => a.name === 'meeting-bot')!;
    principal = applicationPrincipal(app.id);
  });
  after(async () => {
    await server?.stop('test done');
    rmSync(dir, { recursive: true, force: true });
  });

  const { req, settled } = injectApi(() => server.http, KEY);

  test('play toAll into the mix: both parties hear the 1 kHz tone on top of each other; a looped prompt cancels', { timeout: 55_000 }, async (t) => {
    const aAudio = await RtpPeer.open();
    const bAudio = await RtpPeer.open();
    try {
      const aPort = await freeUdpPort();
      const bPort = await freeUdpPort();
      const uasA = runSipp({ scenario: 'core-uas-answer-rtp-port.xml', localPort: aPort, args: ['-set', 'rtpport', String(aAudio.port), '-mp', String(await freeUdpPort())], timeoutMs: 45_000 });
      const uasB = runSipp({ scenario: 'core-uas-answer-rtp-port.xml', localPort: bPort, args: ['-set', 'rtpport', String(bAudio.port), '-mp', String(await freeUdpPort())], timeoutMs: 45_000 });
      await wait(300); // SIPp listening

      const opened = await req('POST', '/v1/conferences', { locator: 'all-hands', idleTimeoutMs: IDLE_MS });
      assert.equal(opened.status, 201, opened.text);
      const id = opened.body.id as string;
      const addA = await req('POST', `/v1/calls/${id}/participants`, { target: { kind: 'sip', uri: `sip:a@127.0.0.1:${aPort}` } });
      assert.equal(addA.status, 202, addA.text);
      assert.equal((await settled(addA.body.id as string)).state, 'completed');
      const addB = await req('POST', `/v1/calls/${id}/participants`, { target: { kind: 'sip', uri: `sip:b@127.0.0.1:${bPort}` } });
      assert.equal(addB.status, 202, addB.text);
      assert.equal((await settled(addB.body.id as string)).state, 'completed');

      const live = sip.calls.getLive(principal, id)!;
      assert.equal(live.mix.mode, 'mixed');
      const legs = [...live.legs.values()];
      const legA = legs.find((l) => l.participant.kind === 'sip' && l.participant.uri.includes(`:${aPort}`))!;
      const legB = legs.find((l) => l.participant.kind === 'sip' && l.participant.uri.includes(`:${bPort}`))!;
      const aEp = legA.media as EngineMediaEndpoint;
      const bEp = legB.media as EngineMediaEndpoint;
      assert.ok(live.mix.currentMixer?.play, 'the engine mixer can play into the mix');

      // 1 kHz for 1.5 s into the mix while A talks at 700 Hz.
      const from = { a: aAudio.rtp.length, b: bAudio.rtp.length };
      const started = Date.now();
      const play = await sip.calls.execute(id, 'play', { sources: [{ kind: 'tone', frequencies: [1000], durationMs: 1500 }], toAll: true }, { principal });
      await aAudio.stream(aEp.handle.localPort, sine(HZ.a, 1.2, 8000, 6000));
      const result = await play.done;
      const tookMs = Date.now() - started;
      assert.equal(result.code, 200, JSON.stringify(result));
      await wait(150);
      // Skip the first 300 ms (latching, filter delay); look at the 0.3–1.2 s both tone and talk overlap.
      const heardByA = aAudio.decoded(0, from.a).subarray(2400, 9600);
      const heardByB = bAudio.decoded(0, from.b).subarray(2400, 9600);
      const share = (x: Int16Array, hz: number) => (rms(x) < 30 ? 0 : toneShare(x, 8000, hz));
      const heard = {
        aHearsPrompt: share(heardByA, 1000), bHearsPrompt: share(heardByB, 1000), bHearsA: share(heardByB, HZ.a), aHearsSelf: share(heardByA, HZ.a),
        samplesA: heardByA.length, samplesB: heardByB.length, tookMs,
      };
      t.diagnostic(`play into the mix ${JSON.stringify(heard)}`);
      assert.ok(heard.aHearsPrompt > 0.8, `A hears the prompt: ${JSON.stringify(heard)}`);
      assert.ok(heard.bHearsPrompt > 0.3, `B hears the prompt: ${JSON.stringify(heard)}`);
      assert.ok(heard.bHearsA > 0.2, `B still hears A under the prompt: ${JSON.stringify(heard)}`);
      assert.ok(heard.aHearsSelf < 0.05, `A does not hear itself: ${JSON.stringify(heard)}`);
      assert.ok(tookMs >= 1400 && tookMs < 4000, `the operation lasts the prompt: ${tookMs} ms`);

      // A looped prompt runs until its operation is cancelled; then neither party hears it.
      const loop = await sip.calls.execute(id, 'play', { sources: [{ kind: 'tone', frequencies: [1000], durationMs: 200 }], toAll: true, loop: true }, { principal });
      await wait(800);
      await loop.cancel();
      const loopResult = await loop.done;
      assert.equal(loopResult.code, 499, JSON.stringify(loopResult));
      t.diagnostic(`looped play ended ${JSON.stringify(loopResult)}`);
      await wait(300);
      const quietFrom = { a: aAudio.rtp.length, b: bAudio.rtp.length };
      await wait(600);
      const quietA = aAudio.decoded(0, quietFrom.a);
      const quietB = bAudio.decoded(0, quietFrom.b);
      assert.ok(quietA.length > 3000 && quietB.length > 3000, `audio keeps flowing: ${quietA.length}, ${quietB.length}`);
      assert.ok(rms(quietA) < 100 && rms(quietB) < 100, `silence after the cancel: rms ${rms(quietA).toFixed(1)}, ${rms(quietB).toFixed(1)}`);

      assert.equal((await req('POST', `/v1/calls/${id}/hangup`)).status, 202);
      const [resA, resB] = await Promise.all([uasA, uasB]);
      assert.equal(resA.code, 0, explain(resA));
      assert.equal(resB.code, 0, explain(resB));
    } finally {
      aAudio.close();
      bAudio.close();
    }
  });
});
