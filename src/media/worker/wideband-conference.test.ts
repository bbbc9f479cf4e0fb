// A wideband conference through the real engine: one media worker thread, real UDP on
// 127.0.0.1. Two L16/16000 legs and one PCMU leg in a conference created at 16 kHz (the cap of
// the adaptive mix rate, engine/conference-room.ts): a 16 kHz member must hear the other's
// 6 kHz tone (impossible through an 8 kHz mix), the 8 kHz member hears the 1 kHz and 1.4 kHz
// tones of its band and no alias of the 6 kHz one, and nobody hears themselves. Checked as audio
// (Goertzel amplitude) on what the peers receive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toneAmplitude } from '../dsp/test-signals.ts';
import { MediaEngine } from './index.ts';
import { RtpPeer, decodedL16, sine, streamL16, wait } from './test-rtp-peer.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };
const L16 = { name: 'L16', clockRate: 16000, payloadType: 96 };

test('16 kHz conference: wideband members hear each other\'s 6 kHz tone, the G.711 member hears its band without alias, nobody hears themselves', async () => {
  const engine = await MediaEngine.start({ workers: 1, portMin: 46800, portMax: 46899, bindAddress: '127.0.0.1' });
  const peers = await Promise.all([RtpPeer.open(), RtpPeer.open(), RtpPeer.open()]);
  try {
    const conf = await engine.createConference({ rate: 16000 });
    const w1 = await engine.createEndpoint({ codec: L16, remote: { address: '127.0.0.1', port: peers[0]!.port }, near: conf });
    const w2 = await engine.createEndpoint({ codec: L16, remote: { address: '127.0.0.1', port: peers[1]!.port }, near: conf });
    const n1 = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peers[2]!.port }, near: conf });
    for (const ep of [w1, w2, n1]) await ep.joinConference(conf);
    // w1 says 6 kHz, w2 1 kHz (both L16 at 16 kHz), n1 1.4 kHz (PCMU), for 2 s.
    await Promise.all([
      streamL16(peers[0]!, w1.localPort, sine(6000, 2, 16000, 6000)),
      streamL16(peers[1]!, w2.localPort, sine(1000, 2, 16000, 6000)),
      peers[2]!.stream(n1.localPort, sine(1400, 2, 8000, 6000)),
    ]);
    await wait(100);
    // The middle second: past the jitter buffer's start and the resamplers' delay, before the end.
    const mid = (x: Int16Array, rate: number): Int16Array => x.subarray(Math.round(0.5 * rate), Math.round(1.5 * rate));
    const h1 = mid(decodedL16(peers[0]!), 16000);
    const h2 = mid(decodedL16(peers[1]!), 16000);
    const h3 = mid(peers[2]!.decoded(0), 8000);
    assert.equal(h1.length, 16000, 'w1 received a second of L16');
    assert.equal(h2.length, 16000, 'w2 received a second of L16');
    assert.equal(h3.length, 8000, 'n1 received a second of PCMU');
    const amp = (x: Int16Array, rate: number, hz: number): number => toneAmplitude(x, rate, hz);
    const report = `w1 6k/1k/1.4k ${[6000, 1000, 1400].map((f) => amp(h1, 16000, f).toFixed(0)).join('/')}, `
      + `w2 ${[6000, 1000, 1400].map((f) => amp(h2, 16000, f).toFixed(0)).join('/')}, `
      + `n1 1k/1.4k/2k ${[1000, 1400, 2000].map((f) => amp(h3, 8000, f).toFixed(0)).join('/')}`;
    console.log(report);
    // Heard: ≈6000 (PCMU's companding and the jitter buffer's edges leave a few %).
    const heard = (a: number, what: string): void => assert.ok(a > 5000 && a < 6600, `${what}: ${a.toFixed(0)} (${report})`);
    const absent = (a: number, what: string): void => assert.ok(a < 150, `${what}: ${a.toFixed(0)} (${report})`);
    heard(amp(h2, 16000, 6000), 'w2 hears w1\'s 6 kHz');
    heard(amp(h2, 16000, 1400), 'w2 hears n1\'s 1.4 kHz');
    heard(amp(h1, 16000, 1000), 'w1 hears w2\'s 1 kHz');
    heard(amp(h1, 16000, 1400), 'w1 hears n1\'s 1.4 kHz');
    heard(amp(h3, 8000, 1000), 'n1 hears w2\'s 1 kHz');
    absent(amp(h1, 16000, 6000), 'w1 does not hear itself');
    absent(amp(h2, 16000, 1000), 'w2 does not hear itself');
    absent(amp(h3, 8000, 1400), 'n1 does not hear itself');
    absent(amp(h3, 8000, 2000), 'no alias of 6 kHz in n1\'s band');
  } finally {
    for (const p of peers) p.close();
    await engine.close();
  }
});
