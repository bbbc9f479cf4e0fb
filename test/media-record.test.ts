// Recording through the media engine, audio checked as audio:
//  - a dgram peer sends a chirp as PCMU with network jitter (reordering) and loss; the mono
//    recording correlates with the source (NCC > 0.8 after alignment) — the jitter buffer
//    reorders and conceals;
//  - stereo puts the peer left and what we play right; mono mixes both;
//  - maxDurationMs / maxBytes end the operation by themselves (truncated);
//  - end to end: baresip sends a sox-made chirp to sip:answer@, the call's endpoint records it,
//    and the recording correlates with the WAV baresip sent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaEngine, type MediaEndpointHandle } from '../src/media/index.ts';
import { RtpPeer, bestCorrelation, chirp, dominantHz, readWavPcm, segmentCorrelation, toneShare, until, wait } from '../src/media/worker/test-rtp-peer.ts';
import { baresipAvailable, runBaresip } from './helpers/baresip.ts';
import { freeUdpPort } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import type { SipService } from '../src/server/sip-service.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };
const work = mkdtempSync(join(tmpdir(), 'sb-media-rec-'));

describe('recording through the engine (dgram peer)', () => {
  let engine: MediaEngine;
  before(async () => {
    engine = await MediaEngine.start({ workers: 2, portMin: 44000, portMax: 44499, bindAddress: '127.0.0.1' });
  });
  after(async () => {
    await engine.close();
  });

  test('mono: a chirp sent with 25 ms jitter and 2 % loss is recorded in order, concealed, and correlates with the source (NCC > 0.8 after piecewise alignment)', async () => {
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port } });
    const path = join(work, 'mono.wav');
    const op = await h.record(path, { channels: 1 });
    const src = chirp(300, 3000, 2, 8000);
    await peer.stream(h.localPort, src, { jitterMs: 25, loss: 0.02, seed: 7 });
    await wait(300);
    const st = await h.stats();
    await h.cancel(op.id);
    const res = await op.done;
    assert.equal(res.reason, 'cancelled');
    assert.ok(res.durationMs! >= 2000, `recorded ${res.durationMs} ms`);
    const wav = readWavPcm(path);
    assert.equal(wav.rate, 8000);
    assert.equal(wav.channels, 1);
    // The jitter buffer may grow or shrink by a frame under this jitter (and under test-machine
    // load, which adds its own): align each 100 ms on its own.
    const { ncc, worst } = segmentCorrelation(src, wav.samples, 2400);
    assert.ok(ncc > 0.8, `NCC ${ncc.toFixed(3)} (worst 100 ms piece ${worst.toFixed(3)}; jb ${JSON.stringify(st.jitterBuffer)})`);
    assert.ok(st.jitterBuffer.lost + st.jitterBuffer.concealed > 0, `losses were concealed: ${JSON.stringify(st.jitterBuffer)}`);
    assert.ok(st.packetsIn >= 90 && st.packetsIn <= 100, `packetsIn ${st.packetsIn}`);
    await h.close();
    peer.close();
  });

  test('stereo: left is the peer (chirp), right is what we play (440 Hz); mono mixes both', async () => {
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port } });
    const stereoPath = join(work, 'stereo.wav');
    const rec = await h.record(stereoPath, { channels: 2 });
    const play = await h.play([{ kind: 'tone', tone: { freqs: [440], onMs: 3000, offMs: 0, totalMs: 3000 } }]);
    const src = chirp(600, 3000, 1.5, 8000);
    await peer.stream(h.localPort, src);
    await wait(200);
    await h.cancel(rec.id);
    await h.cancel(play.id);
    await rec.done;
    const left = readWavPcm(stereoPath, 0);
    const right = readWavPcm(stereoPath, 1);
    assert.equal(left.channels, 2);
    assert.ok(segmentCorrelation(src, left.samples, 2400).ncc > 0.9, 'left = caller');
    assert.equal(dominantHz(right.samples.subarray(800, 8800), 8000), 440, 'right = bot');
    assert.ok(toneShare(left.samples.subarray(800, 8800), 8000, 440) < 0.01, 'no bot audio on the caller channel');

    const monoPath = join(work, 'mixed.wav');
    const rec2 = await h.record(monoPath, { channels: 1 });
    const play2 = await h.play([{ kind: 'tone', tone: { freqs: [440], onMs: 3000, offMs: 0, totalMs: 3000 } }]);
    await peer.stream(h.localPort, src);
    await wait(200);
    await h.cancel(rec2.id);
    await h.cancel(play2.id);
    await rec2.done;
    const mono = readWavPcm(monoPath);
    const nc = segmentCorrelation(src, mono.samples, 2400);
    assert.ok(nc.ncc > 0.4, `the caller is in the mix (NCC ${nc.ncc.toFixed(3)})`);
    assert.ok(toneShare(mono.samples.subarray(800, 8800), 8000, 440) > 0.2, 'the bot is in the mix');
    await h.close();
    peer.close();
  });

  test('maxDurationMs and maxBytes end the recording by themselves, truncated', async () => {
    const h = await engine.createEndpoint({ codec: PCMU });
    const a = await h.record(join(work, 'short.wav'), { maxDurationMs: 400 });
    const t0 = Date.now();
    const ra = await a.done;
    assert.equal(ra.reason, 'finished');
    assert.equal(ra.truncated, true);
    assert.equal(ra.durationMs, 400);
    assert.ok(Date.now() - t0 < 1500);
    const b = await h.record(join(work, 'small.wav'), { channels: 2, maxBytes: 44 + 32000 });
    const rb = await b.done;
    assert.equal(rb.truncated, true);
    assert.ok(rb.bytes! <= 44 + 32000, `bytes ${rb.bytes}`);
    assert.equal(statSync(join(work, 'small.wav')).size, rb.bytes);
    await h.close();
  });

  test('a recording into a missing directory fails the operation with a reason; the call goes on', async () => {
    const h = await engine.createEndpoint({ codec: PCMU });
    const op = await h.record(join(work, 'no', 'such', 'dir.wav'));
    const r = await op.done;
    assert.equal(r.reason, 'error');
    assert.match(r.error ?? '', /ENOENT|no such/i);
    assert.equal((await h.stats()).latch, 'waiting');
    await h.close();
  });
});

const haveBaresip = baresipAvailable();
const haveSox = spawnSync('sox', ['--version']).status === 0;

describe('recording a real call (baresip → sip:answer@)', { skip: !(haveBaresip && haveSox) && 'baresip or sox missing' }, () => {
  let node: TestNode;
  let sip: SipService;
  const endpoints: MediaEndpointHandle[] = [];
  before(async () => {
    node = await startNode({ env: { SWITCHBOARD_RTP_PORTS: '44500-44599' } });
    sip = node.server.service('sip') as unknown as SipService;
    sip.diagnostics.on('endpoint', (h) => endpoints.push(h));
  });
  after(async () => {
    await node?.stop();
  });

  test('baresip sends a sox-made chirp; the engine records the call; the recording correlates with the source (NCC > 0.8)', async () => {
    const srcWav = join(work, 'chirp.wav');
    // 0.5 s of silence, then a 2.5 s chirp, then silence: a unique alignment.
    const made = spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', srcWav, 'synth', '2.5', 'sine', '300-3000', 'vol', '0.4', 'pad', '0.5', '2']);
    assert.equal(made.status, 0, String(made.stderr));
    const recPath = join(work, 'call.wav');
    let recording: Promise<unknown> | undefined;
    const onEp = (h: MediaEndpointHandle) => {
      recording = h.record(recPath, { channels: 1 }).then((op) => op.done);
    };
    sip.diagnostics.once('endpoint', onEp);
    const r = await runBaresip({
      sourceWav: srcWav,
      port: await freeUdpPort(),
      account: `<sip:bob@127.0.0.1;transport=udp>;regint=0`,
      commands: [`/dial sip:answer@${node.sip}`],
      seconds: 5,
      rtpPorts: '38500-38599',
    });
    assert.ok(recording, `the call got an endpoint\n${r.output.slice(-1500)}`);
    const res = (await recording) as { reason: string; durationMs: number };
    assert.equal(res.reason, 'cancelled', 'the recording ends with the call');
    assert.ok(res.durationMs > 3000, `recorded ${res.durationMs} ms`);
    const src = readWavPcm(srcWav).samples;
    const rec = readWavPcm(recPath).samples;
    const { ncc, lag } = bestCorrelation(src, rec, 16000, 4);
    assert.ok(ncc > 0.8, `NCC ${ncc.toFixed(3)} at lag ${lag} (recorded ${rec.length} samples)`);
    await until(() => endpoints.every((h) => h.closed), 3000, 'endpoints closed');
  });
});
