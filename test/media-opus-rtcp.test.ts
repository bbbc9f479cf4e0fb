// Opus, RTCP and the RTP timeout through the media engine, against node:dgram peers:
//  - Opus (RFC 7587, opus/48000/2): a peer encoding a 1 kHz tone with OpusCodec is recorded at
//    48 kHz as 1 kHz; what we play (440 Hz) decodes at the peer as 440 Hz, timestamps +960;
//  - RTCP (RFC 3550 §6.4): the engine's SRs report the peer's loss and jitter; the peer's RR
//    about us gives the engine an RTT (A − LSR − DLSR) and the peer's view of loss/jitter;
//  - rtpTimeout fires once after N s without RTP, and again after RTP resumes and stops.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaEngine, OpusCodec, buildRtcp, type RtcpPacket, type RtcpSenderReport } from '../src/media/index.ts';
import { RtpPeer, dominantHz, readWavPcm, sine, toneShare, until, wait } from '../src/media/worker/test-rtp-peer.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };
const work = mkdtempSync(join(tmpdir(), 'sb-media-opus-'));

describe('Opus, RTCP and RTP timeout through the engine', () => {
  let engine: MediaEngine;
  before(async () => {
    engine = await MediaEngine.start({ workers: 1, portMin: 46000, portMax: 46499, bindAddress: '127.0.0.1' });
  });
  after(async () => {
    await engine.close();
  });

  test('Opus: a 1 kHz tone from an OpusCodec peer is received (recorded at 48 kHz) as 1 kHz; our 440 Hz decodes at the peer as 440 Hz', async () => {
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: { name: 'opus', clockRate: 48000, channels: 2, payloadType: 111 }, remote: { address: '127.0.0.1', port: peer.port } });
    const rec = await h.record(join(work, 'opus.wav'), { channels: 2 });
    const play = await h.play([{ kind: 'tone', tone: { freqs: [440], onMs: 3000, offMs: 0, totalMs: 3000 } }]);
    const enc = new OpusCodec({ rate: 48000 });
    const tone = sine(1000, 1.5, 48000, 8000);
    const pkt = new Uint8Array(1500);
    const t0 = performance.now();
    for (let i = 0; i < 75; i++) {
      const n = enc.encode(tone.subarray(i * 960, (i + 1) * 960), pkt);
      assert.ok(n > 0 && n < 400, `opus packet ${n} bytes`);
      peer.sendRtp(h.localPort, 111, pkt.subarray(0, n), { seq: 500 + i, ts: 1000 + i * 960, marker: i === 0 });
      const due = t0 + (i + 1) * 20 - performance.now();
      if (due > 0) await wait(due);
    }
    enc.close();
    await wait(150);
    await h.cancel(rec.id);
    await h.cancel(play.id);
    const r = await rec.done;
    assert.ok(r.durationMs! >= 1500, `recorded ${r.durationMs} ms`);
    const wav = readWavPcm(join(work, 'opus.wav'), 0); // left: what the peer sent
    assert.equal(wav.rate, 48000);
    const mid = wav.samples.subarray(24000, 24000 + 48000);
    assert.equal(dominantHz(mid, 48000, 200, 4000), 1000);
    assert.ok(toneShare(mid, 48000, 1000) > 0.8, `share ${toneShare(mid, 48000, 1000)}`);

    const ours = peer.rtp.filter((p) => p.pt === 111).sort((a, b) => (((a.seq - b.seq) << 16) >> 16));
    assert.ok(ours.length >= 70, `${ours.length} Opus packets from the engine`);
    for (let i = 1; i < ours.length; i++) assert.equal(ours[i].ts, (ours[i - 1].ts + 960) >>> 0, 'timestamps advance 960 per 20 ms (48 kHz clock)');
    const dec = new OpusCodec({ rate: 48000 });
    const pcm = new Int16Array(ours.length * 960);
    const frame = new Int16Array(5760);
    let o = 0;
    for (const p of ours) {
      const n = dec.decode(p.payload, frame);
      assert.ok(n > 0, 'our packets decode');
      pcm.set(frame.subarray(0, n), o);
      o += n;
    }
    dec.close();
    const x = pcm.subarray(24000, 24000 + 48000);
    assert.equal(dominantHz(x, 48000, 200, 4000), 440);
    await h.close();
    peer.close();
  });

  test('RTCP: the engine reports the peer\'s loss and jitter in SRs; the peer\'s RR gives it RTT, remote loss and jitter', async () => {
    const peer = await RtpPeer.open();
    const peerRtcp = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port, rtcpPort: peerRtcp.port }, rtcpIntervalMs: 400 });
    // 1.2 s of audio with 10 % loss and up to 30 ms jitter.
    await peer.stream(h.localPort, sine(700, 1.2, 8000), { loss: 0.1, jitterMs: 30, seed: 3, ssrc: 0xabcdef });
    // Only an SR sent after the whole stream arrived reports all of its loss: SRs sent while it
    // was still arriving (every ~400 ms) describe a prefix of it.
    await new Promise((r) => setTimeout(r, 100));
    const before = peerRtcp.rtcp.length;
    await until(() => peerRtcp.rtcp.slice(before).some((c) => c.some((p) => p.type === 'sr' && p.reports.length > 0)), 3000, 'an SR with a report block');
    const srs = peerRtcp.rtcp.flat().filter((p): p is RtcpSenderReport => p.type === 'sr' && p.reports.length > 0);
    const sr = srs[srs.length - 1];
    assert.equal(sr.ssrc, h.ssrc);
    assert.ok(peerRtcp.rtcp.flat().some((p) => p.type === 'sdes'), 'SDES CNAME sent along');
    const block = sr.reports[0];
    assert.equal(block.ssrc, 0xabcdef);
    const st = await h.stats();
    assert.ok(block.cumulativeLost >= 3 && block.cumulativeLost <= 12, `reported lost ${block.cumulativeLost} of 60`);
    assert.ok(Math.abs(st.lost - block.cumulativeLost) <= 2, `stats lost ${st.lost} vs reported ${block.cumulativeLost}`);
    assert.ok(block.jitter > 8, `reported jitter ${block.jitter} timestamp units`);
    assert.ok(st.jitterMs > 1 && st.jitterMs < 30, `jitter ${st.jitterMs} ms`);
    assert.equal(st.rttMs, undefined, 'no RTT before the peer reports');

    // The peer answers with an RR about the engine's stream: it "held" the SR 50 ms less than it
    // really did, so the engine must compute RTT ≈ 50 ms (plus loopback delay).
    const idx = peerRtcp.rtcp.length - 1;
    const lastSr = peerRtcp.rtcp[idx].find((p): p is RtcpSenderReport => p.type === 'sr')!;
    const lsr = (((lastSr.ntpMsw & 0xffff) << 16) | (lastSr.ntpLsw >>> 16)) >>> 0;
    const heldMs = performance.now() - peerRtcp.rtcpAt[idx];
    const dlsr = Math.round(((heldMs - 50) / 1000) * 65536);
    const rr: RtcpPacket = { type: 'rr', ssrc: 0xabcdef, reports: [{ ssrc: h.ssrc, fractionLost: 0, cumulativeLost: 7, extendedHighestSeq: 1000, jitter: 80, lsr, dlsr }] };
    peerRtcp.send(buildRtcp([rr]), h.localRtcpPort);
    let st2 = await h.stats();
    for (let i = 0; i < 20 && st2.rttMs === undefined; i++) {
      await wait(20);
      st2 = await h.stats();
    }
    assert.ok(st2.rttMs !== undefined, 'RTT known');
    assert.ok(st2.rttMs! >= 45 && st2.rttMs! <= 80, `rtt ${st2.rttMs} ms`);
    assert.equal(st2.remoteLost, 7);
    assert.equal(st2.remoteJitterMs, 10);
    assert.ok(st2.rtcpIn >= 1 && st2.rtcpOut >= 2, `rtcp in ${st2.rtcpIn} out ${st2.rtcpOut}`);
    await h.close();
    // RFC 3550 §6.6: a BYE on close.
    await until(() => peerRtcp.rtcp.some((c) => c.some((p) => p.type === 'bye')), 1000, 'BYE');
    peer.close();
    peerRtcp.close();
  });

  test('rtpTimeout fires once after N s without RTP, and again after RTP resumes and stops', async () => {
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port }, rtpTimeoutS: 0.4 });
    const fired: { silentMs: number; at: number }[] = [];
    h.on('rtpTimeout', (e) => fired.push({ ...e, at: Date.now() }));
    await peer.stream(h.localPort, sine(500, 0.3, 8000));
    const stopped = Date.now();
    await until(() => fired.length === 1, 2000, 'rtpTimeout');
    const dt = fired[0].at - stopped;
    assert.ok(dt >= 380 && dt < 700, `fired ${dt} ms after the last packet`);
    assert.ok(fired[0].silentMs >= 400 && fired[0].silentMs < 500, `silentMs ${fired[0].silentMs}`);
    await wait(600);
    assert.equal(fired.length, 1, 'once per silence');
    await peer.stream(h.localPort, sine(500, 0.2, 8000));
    await until(() => fired.length === 2, 2000, 'second rtpTimeout');
    await h.close();
    peer.close();
  });
});
