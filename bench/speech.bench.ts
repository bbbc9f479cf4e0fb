/**
 * Speech microbenchmarks: TTS real-time factor (synthesis time / audio duration) for a 10-word
 * sentence cold (engine warm, prompt not cached) and cached; VAD µs per 20 ms frame at 8 kHz;
 * pocketsphinx choice-recognition latency for a one-word utterance (process start included);
 * free-form utterance → text latency with a pre-started process vs a process per utterance.
 * Run: node --import tsx bench/speech.bench.ts
 */
import { Vad } from '../src/media/index.ts';
import { speechLike } from '../src/media/dsp/test-signals.ts';
import { EspeakSynthesizer, PocketsphinxRecognizer, PocketsphinxTranscriber } from '../src/speech/index.ts';

const SENTENCE = 'Thank you for calling, please tell us how we can help';
const tts = new EspeakSynthesizer();
let t0 = performance.now();
await tts.warmUp();
const startMs = performance.now() - t0;
const cold: number[] = [];
let durS = 0;
for (let i = 0; i < 5; i++) {
  t0 = performance.now();
  // A distinct rate per run defeats the cache while keeping the text (and so the work) the same.
  const r = await tts.synthesize({ text: SENTENCE, rate: 1 + i * 0.001 });
  cold.push(performance.now() - t0);
  durS = r.samples.length / r.rate;
}
const cached: number[] = [];
for (let i = 0; i < 1000; i++) {
  t0 = performance.now();
  await tts.synthesize({ text: SENTENCE });
  cached.push(performance.now() - t0);
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`TTS worker start + WASM load: ${startMs.toFixed(0)} ms`);
console.log(`TTS 10 words (${durS.toFixed(2)} s of audio): cold median ${med(cold).toFixed(1)} ms → RTF ${(med(cold) / 1000 / durS).toFixed(3)}; cached median ${(med(cached) * 1000).toFixed(1)} µs → RTF ${(med(cached) / 1000 / durS).toExponential(1)}`);

const vad = await Vad.create({ rate: 8000 });
const x = speechLike(10, 3);
const FRAMES = 200_000;
for (let i = 0; i < 20_000; i++) vad.process(x.subarray((i % 500) * 160, (i % 500) * 160 + 160));
t0 = performance.now();
for (let i = 0; i < FRAMES; i++) vad.process(x.subarray((i % 500) * 160, (i % 500) * 160 + 160));
console.log(`VAD (mode 2, 8 kHz): ${(((performance.now() - t0) * 1000) / FRAMES).toFixed(2)} µs per 20 ms frame`);
vad.close();

const tts8 = new EspeakSynthesizer({ outputRate: 8000 });
const word = await tts8.synthesize({ text: 'billing' });
await tts8.close();
const asr = new PocketsphinxRecognizer();
const choices = [{ label: 'sales', phrases: ['sales'] }, { label: 'support', phrases: ['support'] }, { label: 'billing', phrases: ['billing'] }];
const lat: number[] = [];
for (let i = 0; i < 10; i++) {
  t0 = performance.now();
  const r = await asr.recognizeChoices(word, choices);
  lat.push(performance.now() - t0);
  if (r.label !== 'billing') throw new Error(`recognized ${JSON.stringify(r)}`);
}
console.log(`Recognition of one word (${(word.samples.length / 8000).toFixed(2)} s, 8 kHz, 3 choices): median ${med(lat).toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms`);
const sentence = await new EspeakSynthesizer({ outputRate: 8000 }).synthesize({ text: 'I would like to pay my bill' });
const pooled = new PocketsphinxTranscriber();
const oneOff = new PocketsphinxTranscriber({ pool: false });
const warmLat: number[] = [];
const coldLat: number[] = [];
for (let i = 0; i < 5; i++) {
  pooled.warmUp();
  await new Promise((r) => setTimeout(r, 1500)); // the caller speaking while the model loads
  t0 = performance.now();
  await pooled.transcribeUtterance(sentence);
  warmLat.push(performance.now() - t0);
  t0 = performance.now();
  await oneOff.transcribeUtterance(sentence);
  coldLat.push(performance.now() - t0);
}
await pooled.close();
console.log(`Free-form utterance (${(sentence.samples.length / 8000).toFixed(2)} s) → text: pre-started process median ${med(warmLat).toFixed(0)} ms, process per utterance median ${med(coldLat).toFixed(0)} ms`);
await tts.close();
process.exit(0);
