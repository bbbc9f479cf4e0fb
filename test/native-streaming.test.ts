// Media streaming end to end with a real SIP phone (baresip) and a WebSocket server in this test
// as the application, native framing (docs/streaming.md). baresip calls the application's number
// sending a 1 kHz tone; the app answers and starts bidirectional streaming to the test's ws
// server, which
//   - checks the 'start' message and that the audio frames it gets are 20 ms of 16 kHz PCM
//     holding 1 kHz (Goertzel),
//   - echoes every frame back (the baresip recording of what it heard must then hold 1 kHz:
//     Switchboard itself plays nothing, so only the echo path can put the tone there),
//   - then sends 4 s of 600 Hz in one message and 'stopAudio' 300 ms later: the 600 Hz must stop
//     within ~1 s in what baresip heard (barge-in drops the queued audio).
// Finally stopMediaStreaming closes the socket normally and mediaStreaming.started / .stopped
// {reason 'stopped', dropped} are in the call's events.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { baresipAvailable, freeBaresipPort, runBaresip } from './helpers/baresip.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { readWav } from './helpers/wav.ts';
import { goertzelCoefficient, goertzelPower } from '../src/media/index.ts';
import { ADMIN, applicationPrincipal, type Call, type CallService, type Tenancy } from '../src/core/index.ts';

const NUMBER = '+4930888111';
const haveTools = baresipAvailable() && spawnSync('sox', ['--version']).status === 0;

/** Power share of `hz` against a comb of other frequencies (0..1). */
function share(x: ArrayLike<number>, rate: number, hz: number): number {
  const arr = Float64Array.from(x as ArrayLike<number>);
  const p = (f: number) => goertzelPower(arr, 0, arr.length, goertzelCoefficient(f, rate));
  const target = p(hz);
  let others = 0;
  for (let f = 200; f < Math.min(3800, rate / 2); f += 100) if (Math.abs(f - hz) > 150) others += p(f);
  return target / (target + others + 1e-9);
}

function sine(hz: number, seconds: number, rate: number, amp = 8000): Int16Array {
  const s = new Int16Array(Math.round(seconds * rate));
  for (let i = 0; i < s.length; i++) s[i] = Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate));
  return s;
}

describe('native media streaming: baresip ↔ Switchboard ↔ the app\'s WebSocket', { skip: !haveTools && 'baresip or sox missing', timeout: 90_000 }, () => {
  let node: TestNode;
  let calls: CallService;
  let appId: string;
  before(async () => {
    node = await startNode({ yaml: `applications:\n  - name: streamer\n    numbers:\n      - "${NUMBER}"\n` });
    const tenancy = (node.server as unknown as { tenancy: Tenancy }).tenancy;
    appId = (await tenancy.applications.list(ADMIN)).find((a) => a.name === 'streamer')!.id;
    calls = (node.server.service('sip') as unknown as { calls: CallService }).calls;
  });
  after(async () => { await node?.stop(); });

  test('1 kHz from the phone reaches the socket, is echoed back and heard; stopAudio cuts queued audio; stop ends cleanly', { timeout: 45_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-stream-'));
    const tone = join(dir, 'tone1k.wav');
    spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', tone, 'synth', '30', 'sine', '1000', 'vol', '0.5']);

    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/media`;
    const texts: Record<string, any>[] = [];
    const inbound: Int16Array[] = [];
    let echo = true;
    let sock: WebSocket | undefined;
    let closeCode = 0;
    wss.on('connection', (ws) => {
      sock = ws;
      ws.on('close', (code) => { closeCode = code; });
      ws.on('message', (d, binary) => {
        assert.equal(binary, false, 'native frames are JSON text');
        const m = JSON.parse(String(d)) as Record<string, any>;
        texts.push(m);
        if (m.type !== 'audio') return;
        const b = Buffer.from(m.data as string, 'base64');
        inbound.push(new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)));
        if (echo) ws.send(JSON.stringify({ type: 'audio', data: m.data }));
      });
    });

    try {
      const principal = applicationPrincipal(appId);
      const incoming = once(calls, 'incoming') as Promise<[Call]>;
      const phone = runBaresip({
        port: await freeBaresipPort(), account: '<sip:bob@127.0.0.1;transport=udp>;regint=0',
        commands: [`/dial sip:${NUMBER}@${node.sip}`], seconds: 10, rtpPorts: '38700-38799', sourceWav: tone,
      });
      const [call] = await incoming;
      assert.equal((await (await calls.execute(call.id, 'answer', {}, { principal })).done).code, 200);
      const start = await calls.execute(call.id, 'startMediaStreaming', { url, bidirectional: true }, { principal, operationContext: 'echo' });
      assert.equal((await start.done).code, 200);
      await assert.rejects(calls.execute(call.id, 'startMediaStreaming', { url }, { principal }), /already streaming/);

      await new Promise((r) => setTimeout(r, 3000));
      echo = false;
      // Barge-in: 4 s of 600 Hz queued at once, then stopAudio after 300 ms.
      const b600 = sine(600, 4, 16000);
      sock!.send(JSON.stringify({ type: 'audio', data: Buffer.from(b600.buffer).toString('base64') }));
      await new Promise((r) => setTimeout(r, 300));
      sock!.send(JSON.stringify({ type: 'stopAudio' }));
      await new Promise((r) => setTimeout(r, 2500));
      const stop = await calls.execute(call.id, 'stopMediaStreaming', {}, { principal });
      assert.equal((await stop.done).code, 200);
      await calls.execute(call.id, 'hangup', { forEveryone: true }, { principal });
      const r = await phone;

      // What the socket got: the first message, then 20 ms frames of 16 kHz PCM holding 1 kHz.
      assert.equal(texts[0]!.type, 'start');
      assert.equal(texts[0]!.callId, call.id);
      assert.deepEqual(texts[0]!.audio, { encoding: 'pcm16le', rate: 16000, channels: 'mixed', bidirectional: true, dtmf: false });
      assert.ok(inbound.length >= 100, `${inbound.length} frames in ~5.8 s`);
      assert.ok(inbound.every((f) => f.length === 320), 'every frame is 20 ms at 16 kHz');
      const mid = inbound.slice(25, 75).flatMap((f) => [...f]);
      const s1k = share(mid, 16000, 1000);
      assert.ok(s1k > 0.9, `1 kHz share of what the socket got: ${s1k.toFixed(3)}`);
      assert.equal(closeCode, 1000, 'stopMediaStreaming closes with a normal closure');

      // What the phone heard: the echo (1 kHz), and the 600 Hz burst cut short by stopAudio.
      const file = r.recordings.find((p) => /dec\.wav$/.test(p));
      assert.ok(file, `no received-audio recording\n${r.output.slice(-1500)}`);
      const wav = readWav(file);
      const win = wav.rate / 10;
      let echoed = 0;
      let burst = 0;
      for (let o = 0; o + win <= wav.samples.length; o += win) {
        const w = wav.samples.subarray(o, o + win);
        let e = 0;
        for (const v of w) e += v * v;
        if (Math.sqrt(e / win) < 300) continue;
        if (share(w, wav.rate, 1000) > 0.6) echoed++;
        if (share(w, wav.rate, 600) > 0.6) burst++;
      }
      assert.ok(echoed >= 15, `1 kHz (the echo) heard in ${echoed} windows of 100 ms`);
      assert.ok(burst >= 2 && burst <= 12, `600 Hz heard for ${burst * 100} ms of the 4 s queued (stopAudio after 300 ms)`);

      // The call's events.
      const store = (node.server.service('sip') as unknown as { callsWiring: { store: { outbox: { listEvents(q: object): Promise<{ type: string; callId?: string; data: Record<string, unknown> }[]> } } } }).callsWiring.store;
      let evs: { type: string; callId?: string; data: Record<string, unknown> }[] = [];
      for (let i = 0; i < 40; i++) {
        evs = (await store.outbox.listEvents({ applicationId: appId, limit: 1000 })).filter((e) => e.callId === call.id && e.type.startsWith('mediaStreaming.'));
        if (evs.length >= 2) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      assert.deepEqual(evs.map((e) => e.type), ['mediaStreaming.started', 'mediaStreaming.stopped']);
      assert.equal(evs[0]!.data.operationContext, 'echo');
      assert.equal(evs[1]!.data.reason, 'stopped');
      assert.equal(typeof evs[1]!.data.dropped, 'number');
    } finally {
      wss.close();
    }
  });
});
