// Acceptance: TTS of each choice by our EspeakSynthesizer, at 8 kHz through G.711 µ-law (a phone
// call), is recognized by PocketsphinxRecognizer as that choice among the three — every time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pcmuDecodeInto, pcmuEncodeInto } from '../../media/index.ts';
import { EspeakSynthesizer } from '../tts/index.ts';
import { buildJsgf, DEFAULT_DICT, normalizePhrase, PocketsphinxRecognizer } from './pocketsphinx-recognizer.ts';

const haveSphinx = spawnSync('which', ['pocketsphinx_continuous']).status === 0 && existsSync(DEFAULT_DICT);
const inCi = process.env.CI === 'true';
const skip = !haveSphinx && !inCi && 'pocketsphinx/pocketsphinx-en-us not installed';
const requireTools = () => assert.ok(haveSphinx, 'CI=true but pocketsphinx_continuous or the en-us model is missing: apt-get install pocketsphinx pocketsphinx-en-us');

const CHOICES = [
  { label: 'sales', phrases: ['sales'] },
  { label: 'support', phrases: ['support'] },
  { label: 'billing', phrases: ['billing', 'talk to billing'] },
];

function throughG711(x: Int16Array): Int16Array {
  const u = new Uint8Array(x.length);
  pcmuEncodeInto(x, u);
  const y = new Int16Array(x.length);
  pcmuDecodeInto(u, y);
  return y;
}

test('grammar and phrase normalization', () => {
  assert.equal(normalizePhrase('  Talk to  BILLING! '), 'talk to billing');
  assert.equal(buildJsgf(['sales', 'support', 'billing']), '#JSGF V1.0;\ngrammar choices;\npublic <choice> = sales | support | billing ;\n');
});

test('TTS of sales / support / billing through G.711 µ-law at 8 kHz is recognized as that choice, 3 rounds, every time', { skip }, async () => {
  requireTools();
  const tts = new EspeakSynthesizer({ outputRate: 8000 });
  const asr = new PocketsphinxRecognizer();
  try {
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(
        ['sales', 'support', 'billing', 'talk to billing'].map(async (text) => {
          const a = await tts.synthesize({ text });
          assert.equal(a.rate, 8000);
          return [text, await asr.recognizeChoices({ rate: 8000, samples: throughG711(a.samples) }, CHOICES)] as const;
        }),
      );
      for (const [text, r] of results) {
        const want = text === 'talk to billing' ? { label: 'billing', phrase: 'talk to billing' } : { label: text, phrase: text };
        assert.deepEqual(r, want, `round ${round}: '${text}'`);
      }
    }
  } finally {
    await tts.close();
  }
});

test('22.05 kHz TTS output (no telephone path) is recognized too', { skip }, async () => {
  requireTools();
  const tts = new EspeakSynthesizer();
  try {
    const a = await tts.synthesize({ text: 'support' });
    const r = await new PocketsphinxRecognizer().recognizeChoices(a, CHOICES);
    assert.equal(r.label, 'support');
  } finally {
    await tts.close();
  }
});

test('words outside the dictionary are refused with UNKNOWN_WORDS naming them; duplicate phrases are refused', { skip }, async () => {
  requireTools();
  const asr = new PocketsphinxRecognizer();
  const audio = { rate: 8000, samples: new Int16Array(8000) };
  await assert.rejects(asr.recognizeChoices(audio, [{ label: 'x', phrases: ['zzyzxq blorft', 'sales'] }]), (e: Error & { code?: string }) => e.code === 'UNKNOWN_WORDS' && /zzyzxq, blorft/.test(e.message));
  await assert.rejects(asr.recognizeChoices(audio, [{ label: 'a', phrases: ['sales'] }, { label: 'b', phrases: ['Sales'] }]), /both/);
});

test('silence gives no label; a missing binary gives RECOGNIZER_UNAVAILABLE; the timeout kills the process', { skip }, async () => {
  requireTools();
  const silence = { rate: 8000, samples: new Int16Array(8000) };
  assert.deepEqual(await new PocketsphinxRecognizer().recognizeChoices(silence, CHOICES), {});
  await assert.rejects(new PocketsphinxRecognizer({ binary: 'no-such-pocketsphinx' }).recognizeChoices(silence, CHOICES), (e: Error & { code?: string }) => e.code === 'RECOGNIZER_UNAVAILABLE');
  // `sleep` ignores the recognizer's arguments' meaning but not its time: it stands in for a hung engine.
  const hung = new PocketsphinxRecognizer({ binary: 'sh', extraArgs: [], timeoutMs: 200 });
  (hung as unknown as { exec: (a: string[]) => Promise<string> }).exec = ((orig) => function (this: PocketsphinxRecognizer) {
    return orig.call(this, ['-c', 'sleep 5']);
  })((PocketsphinxRecognizer.prototype as unknown as { exec: (a: string[]) => Promise<string> }).exec);
  const t0 = Date.now();
  await assert.rejects(hung.recognizeChoices(silence, CHOICES), (e: Error & { code?: string }) => e.code === 'TIMEOUT');
  assert.ok(Date.now() - t0 < 2000);
});

test('at most maxConcurrent recognizer processes run at once', { skip }, async () => {
  requireTools();
  const asr = new PocketsphinxRecognizer({ maxConcurrent: 2 });
  let now = 0;
  let peak = 0;
  const exec = (PocketsphinxRecognizer.prototype as unknown as { exec: (a: string[]) => Promise<string> }).exec;
  (asr as unknown as { exec: (a: string[]) => Promise<string> }).exec = async function (this: PocketsphinxRecognizer, args: string[]) {
    now++;
    peak = Math.max(peak, now);
    try {
      return await exec.call(this, args);
    } finally {
      now--;
    }
  };
  const silence = { rate: 8000, samples: new Int16Array(4000) };
  await Promise.all(Array.from({ length: 6 }, () => asr.recognizeChoices(silence, CHOICES)));
  assert.equal(peak, 2);
});
