/**
 * Microbenchmark of the media per-packet path for one 20 ms PCMU packet at 8 kHz:
 * RTP parse → G.711 decode → RFC 4733 check (payload-type test) → in-band DTMF detector →
 * resample 8 → 16 kHz. Prints µs per packet for each stage and the whole chain.
 * Run: node --import tsx bench/media-packet.bench.ts
 */
import { InbandDtmfDetector, PCMU, Resampler, RtpHeader, parseRtpHeader, pcmuDecodeInto, pcmuEncodeInto, writeRtp, Rfc4733Receiver } from '../src/media/index.ts';
import { speechLike } from '../src/media/dsp/test-signals.ts';

const PACKETS = 200_000;
const FRAME = 160;
const speech = speechLike(10, 7);
const ulaw = new Uint8Array(speech.length);
pcmuEncodeInto(speech, ulaw);

// Pre-build a ring of real packets (10 s of speech-like audio, 500 packets).
const ring: Uint8Array[] = [];
for (let i = 0; i + FRAME <= speech.length; i += FRAME) {
  const b = new Uint8Array(12 + FRAME);
  writeRtp({ marker: false, payloadType: PCMU.payloadType, sequenceNumber: (i / FRAME) & 0xffff, timestamp: i, ssrc: 0x1234 }, ulaw.subarray(i, i + FRAME), b);
  ring.push(b);
}

const h = new RtpHeader();
const pcm = new Int16Array(FRAME);
const out16 = new Int16Array(400);
let digits = 0;
const detector = new InbandDtmfDetector({ onDigit: () => { digits++; } });
const rfc4733 = new Rfc4733Receiver({ onDigit: () => { digits++; } });
const resampler = new Resampler(8000, 16000);
let sink = 0;

type Stage = (pkt: Uint8Array, i: number) => void;
const stages: Record<string, Stage> = {
  'rtp parse': (p) => { parseRtpHeader(p, h); sink += h.sequenceNumber; },
  'g711 decode': (p) => { parseRtpHeader(p, h); pcmuDecodeInto(p.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength), pcm); sink += pcm[7]; },
  'rfc4733 check': (p, i) => { parseRtpHeader(p, h); if (h.payloadType === 101) rfc4733.onPacket(h.timestamp, h.marker, p, i); sink += h.payloadType; },
  'inband dtmf': (p, i) => { pcmuDecodeInto(p.subarray(12), pcm); detector.process(pcm, i * FRAME); },
  'resample 8→16k': (p) => { pcmuDecodeInto(p.subarray(12), pcm); sink += resampler.process(pcm, out16); },
  'whole chain': (p, i) => {
    parseRtpHeader(p, h);
    if (h.payloadType === 101) rfc4733.onPacket(h.timestamp, h.marker, p, i);
    pcmuDecodeInto(p.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength), pcm);
    detector.process(pcm, h.timestamp);
    sink += resampler.process(pcm, out16);
  },
};

function measure(fn: Stage): number {
  for (let i = 0; i < 20_000; i++) fn(ring[i % ring.length], i); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < PACKETS; i++) fn(ring[i % ring.length], i);
  return Number(process.hrtime.bigint() - t0) / 1e3 / PACKETS;
}

console.log(`media per-packet path, ${PACKETS} packets of 20 ms PCMU, node ${process.version}`);
for (const [name, fn] of Object.entries(stages)) {
  const heapBefore = process.memoryUsage().heapUsed;
  const us = measure(fn);
  const grew = (process.memoryUsage().heapUsed - heapBefore) / 1024;
  console.log(`${name.padEnd(16)} ${us.toFixed(3).padStart(8)} µs/packet   (heap ${grew >= 0 ? '+' : ''}${grew.toFixed(0)} KiB)`);
}
console.log(`(digits detected in speech-like audio: ${digits}; sink ${sink & 1})`);
