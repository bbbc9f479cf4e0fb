// Opus through opusscript's wasm: a 1 kHz tone at 48 kHz survives encode/decode, 20 ms frames
// have plausible sizes for the bitrate, lost packets are concealed, many codecs coexist.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { peakFrequency, toneAmplitude } from '../dsp/test-signals.ts';
import { OpusCodec } from './opus.ts';

function tone(n: number, offset: number, rate = 48000): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => Math.round(10000 * Math.sin((2 * Math.PI * 1000 * (offset + i)) / rate)));
}

describe('OpusCodec', () => {
  it('encodes 20 ms frames of a 1 kHz tone and decodes the tone back (48 kHz mono, 32 kbit/s)', () => {
    const c = new OpusCodec();
    assert.equal(c.frameSamples, 960);
    const pkt = new Uint8Array(1500);
    const pcm = new Int16Array(5760);
    const decoded = new Int16Array(50 * 960);
    let bytes = 0;
    for (let f = 0; f < 50; f++) {
      const len = c.encode(tone(960, f * 960), pkt);
      assert.ok(len > 2 && len < 400, `packet ${len} bytes`);
      bytes += len;
      const n = c.decode(pkt.subarray(0, len), pcm);
      assert.equal(n, 960);
      decoded.set(pcm.subarray(0, 960), f * 960);
    }
    const kbps = (bytes * 8) / 1000; // over 1 s
    assert.ok(kbps > 20 && kbps < 45, `${kbps} kbit/s`);
    const tail = decoded.subarray(9600);
    assert.equal(peakFrequency(tail, 48000, 500, 2000, 5), 1000);
    const amp = toneAmplitude(tail, 48000, 1000);
    assert.ok(Math.abs(amp - 10000) < 1500, `amplitude ${amp}`);
    c.close();
  });

  it('conceals a lost packet (decode(null)) with one frame that continues the tone', () => {
    const c = new OpusCodec();
    const pkt = new Uint8Array(1500);
    const pcm = new Int16Array(960);
    for (let f = 0; f < 20; f++) c.decode(pkt.subarray(0, c.encode(tone(960, f * 960), pkt)), pcm);
    assert.equal(c.decode(null, pcm), 960);
    assert.ok(toneAmplitude(pcm, 48000, 1000) > 2000, 'PLC keeps the tone going');
    // Decoding resumes normally after the gap.
    const len = c.encode(tone(960, 21 * 960), pkt);
    assert.equal(c.decode(pkt.subarray(0, len), pcm), 960);
    assert.ok(c.decode(new Uint8Array([0xff, 0xff, 0xff]), pcm) < 0, 'corrupt packet → negative libopus code');
    c.close();
    c.close();
    assert.throws(() => c.decode(null, pcm), /closed/);
  });

  it('runs at narrower rates and keeps codecs independent', () => {
    const a = new OpusCodec({ rate: 16000 });
    const b = new OpusCodec({ rate: 16000 });
    assert.equal(a.frameSamples, 320);
    const pkt = new Uint8Array(1500);
    const out = new Int16Array(320);
    const got = new Int16Array(320 * 20);
    for (let f = 0; f < 20; f++) {
      const len = a.encode(tone(320, f * 320, 16000), pkt);
      b.encode(new Int16Array(320), pkt.subarray(800)); // interleaved use of another codec
      assert.equal(b.decode(pkt.subarray(0, len), out), 320);
      got.set(out, f * 320);
    }
    assert.equal(peakFrequency(got.subarray(3200), 16000, 500, 2000, 5), 1000);
    a.close();
    b.close();
  });
});
