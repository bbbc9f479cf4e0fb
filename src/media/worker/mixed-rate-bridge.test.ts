// A two-party bridge between legs at different media rates in ONE worker (an Opus or L16 leg and a
// G.711 leg: what an inbound Opus call bridged to a dialled G.711 number gives): each side hears the
// other's tone at the right frequency — the peer's frame is resampled to our rate, not sent as if it
// were ours (a 16 kHz frame sent as PCMU would play at half speed, 1 kHz heard as 500 Hz).
// Real worker thread, real UDP; checked as audio (Goertzel amplitude).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toneAmplitude } from '../dsp/test-signals.ts';
import { MediaEngine } from './index.ts';
import { RtpPeer, decodedL16, sine, streamL16, wait } from './test-rtp-peer.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };
const L16 = { name: 'L16', clockRate: 16000, payloadType: 96 };

test('L16/16000 ⇄ PCMU bridged in one worker: each hears the other at the right frequency, not itself', async () => {
  const engine = await MediaEngine.start({ workers: 1, portMin: 46900, portMax: 46999, bindAddress: '127.0.0.1' });
  const [pw, pn] = await Promise.all([RtpPeer.open(), RtpPeer.open()]);
  try {
    const w = await engine.createEndpoint({ codec: L16, remote: { address: '127.0.0.1', port: pw.port } });
    const n = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: pn.port }, near: w });
    await w.connect(n);
    // The wideband caller says 1 kHz, the G.711 caller 600 Hz, for 2 s.
    await Promise.all([streamL16(pw, w.localPort, sine(1000, 2, 16000, 6000)), pn.stream(n.localPort, sine(600, 2, 8000, 6000))]);
    await wait(100);
    const mid = (x: Int16Array, rate: number): Int16Array => x.subarray(Math.round(0.5 * rate), Math.round(1.5 * rate));
    const heardByN = mid(pn.decoded(0), 8000);
    const heardByW = mid(decodedL16(pw), 16000);
    assert.equal(heardByN.length, 8000, 'the G.711 caller received a second of PCMU');
    assert.equal(heardByW.length, 16000, 'the wideband caller received a second of L16');
    const a = (x: Int16Array, rate: number, hz: number) => Math.round(toneAmplitude(x, rate, hz));
    const n1k = a(heardByN, 8000, 1000);
    const n500 = a(heardByN, 8000, 500);
    const w600 = a(heardByW, 16000, 600);
    const w1200 = a(heardByW, 16000, 1200);
    const w300 = a(heardByW, 16000, 300);
    const detail = `n: 1k ${n1k} 500 ${n500} 600 ${a(heardByN, 8000, 600)}; w: 600 ${w600} 1200 ${w1200} 300 ${w300} 1k ${a(heardByW, 16000, 1000)}`;
    assert.ok(n1k > 3000, `the G.711 caller hears 1 kHz (${detail})`);
    assert.ok(n500 < 300, `not 500 Hz, the sound of an unconverted frame (${detail})`);
    assert.ok(a(heardByN, 8000, 600) < 300, `and not itself (${detail})`);
    assert.ok(w600 > 3000, `the wideband caller hears 600 Hz (${detail})`);
    assert.ok(w1200 < 300 && w300 < 300, `not at a wrong rate (${detail})`);
    assert.ok(a(heardByW, 16000, 1000) < 300, `and not itself (${detail})`);
    await w.close();
    await n.close();
  } finally {
    pw.close();
    pn.close();
    await engine.close();
  }
});
