// CommandSynthesizer with the real espeak-ng CLI (Debian espeak-ng) as the configured program:
// its WAV is parsed, cached and understood by the local choices recognizer; a missing program, a
// program that fails, hangs or writes no WAV each fail with their own SpeechError code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DEFAULT_DICT, PocketsphinxRecognizer } from '../asr/index.ts';
import { SpeechError } from '../types.ts';
import { CommandSynthesizer, decodePcmWav } from './command-synthesizer.ts';

const haveEspeak = spawnSync('which', ['espeak-ng']).status === 0;
const haveSphinx = spawnSync('which', ['pocketsphinx_continuous']).status === 0 && existsSync(DEFAULT_DICT);
const skip = !(haveEspeak && haveSphinx) && process.env.CI !== 'true' && 'espeak-ng or pocketsphinx not installed';
const ESPEAK = ['espeak-ng', '--stdout', '-v', '{voice}', '-s', '{wpm}', '{text}'];

function wav(rate: number, channels: number, bits: 8 | 16, frames: number[][], dataSize?: number): Buffer {
  const bytesPer = bits / 8;
  const data = Buffer.alloc(frames.length * channels * bytesPer);
  frames.forEach((f, i) => f.forEach((v, c) => {
    const at = (i * channels + c) * bytesPer;
    if (bits === 16) data.writeInt16LE(v, at);
    else data.writeUInt8(v, at);
  }));
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + data.length, 4); h.write('WAVE', 8);
  h.write('fmt ', 12); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24); h.writeUInt32LE(rate * channels * bytesPer, 28); h.writeUInt16LE(channels * bytesPer, 32); h.writeUInt16LE(bits, 34);
  h.write('data', 36); h.writeUInt32LE(dataSize ?? data.length, 40);
  return Buffer.concat([h, data]);
}

test('decodePcmWav: 16-bit stereo is averaged to mono; a streaming writer\'s bogus data size is read to the end', () => {
  const r = decodePcmWav(wav(16000, 2, 16, [[100, 300], [-1000, -3000], [32767, 32767]], 0x7ffff000));
  assert.equal(r.rate, 16000);
  assert.deepEqual([...r.samples], [200, -2000, 32767]);
  const u8 = decodePcmWav(wav(8000, 1, 8, [[128], [255], [0]]));
  assert.deepEqual([...u8.samples], [0, 127 << 8, -128 << 8]);
  assert.throws(() => decodePcmWav(Buffer.from('hello\n')), /no RIFF\/WAVE header/);
  const float = wav(8000, 1, 16, [[1]]);
  float.writeUInt16LE(3, 20);
  assert.throws(() => decodePcmWav(float), /not 8\/16-bit PCM/);
  assert.throws(() => decodePcmWav(wav(8000, 1, 16, [])), /no audio samples/);
});

test('espeak-ng CLI as the command: its WAV is recognized as the spoken choice, and a repeat is served from the cache', { skip }, async () => {
  const tts = new CommandSynthesizer({ command: ESPEAK });
  const asr = new PocketsphinxRecognizer();
  const choices = [{ label: 'sales', phrases: ['sales'] }, { label: 'support', phrases: ['support'] }, { label: 'billing', phrases: ['billing'] }];
  try {
    for (const text of ['sales', 'support', 'billing']) {
      const a = await tts.synthesize({ text, language: 'en-US' });
      assert.equal(a.rate, 22050, 'espeak-ng writes 22050 Hz');
      assert.equal(a.cached, false);
      assert.ok(a.samples.length > 22050 * 0.2, `${text}: ${a.samples.length} samples`);
      const r = await asr.recognizeChoices({ rate: a.rate, samples: a.samples }, choices);
      assert.equal(r.label, text);
    }
    assert.equal(tts.synthesisCount, 3);
    const again = await tts.synthesize({ text: 'sales', language: 'en-US' });
    assert.equal(again.cached, true);
    assert.equal(tts.synthesisCount, 3, 'no fourth run');
    // SSML is spoken as its text: same words, same argv, same cache entry.
    const ssml = await tts.synthesize({ ssml: '<speak>sales</speak>', language: 'en-US' });
    assert.equal(ssml.cached, true);
  } finally {
    await tts.close();
  }
});

test('a placeholder inside an argument is filled, and text is one argument (no shell)', { skip: !haveEspeak && 'espeak-ng not installed' }, async () => {
  // `$(…)` and `;` would do something through a shell; here they are only spoken.
  const tts = new CommandSynthesizer({ command: ['espeak-ng', '--stdout', '-v{voice}', '{text}'] });
  try {
    const a = await tts.synthesize({ text: 'hi; $(touch /tmp/sb-should-not-exist)', voice: 'en-us' });
    assert.ok(a.samples.length > 1000);
    assert.equal(existsSync('/tmp/sb-should-not-exist'), false);
  } finally {
    await tts.close();
  }
});

test('failures carry a clear SpeechError: missing program, non-zero exit, no WAV, timeout, closed', async () => {
  const expectCode = async (tts: CommandSynthesizer, code: string, re: RegExp) => {
    await assert.rejects(tts.synthesize({ text: 'hello' }), (e: unknown) => {
      assert.ok(e instanceof SpeechError);
      assert.equal(e.code, code);
      assert.match(e.message, re);
      return true;
    });
  };
  await expectCode(new CommandSynthesizer({ command: ['/nonexistent/tts-program', '{text}'] }), 'SYNTHESIS_FAILED', /not found/);
  await expectCode(new CommandSynthesizer({ command: ['sh', '-c', 'echo engine broke >&2; exit 3'] }), 'SYNTHESIS_FAILED', /exited with 3: engine broke/);
  await expectCode(new CommandSynthesizer({ command: ['echo', '{text}'] }), 'SYNTHESIS_FAILED', /did not write a PCM WAV.*no RIFF\/WAVE header/);
  const t0 = Date.now();
  await expectCode(new CommandSynthesizer({ command: ['sleep', '5'], timeoutMs: 200 }), 'TIMEOUT', /within 200 ms/);
  assert.ok(Date.now() - t0 < 2000, 'killed at the timeout, not after the program');
  // A shell wrapper's child holding stdout open is killed with it (its process group).
  const t1 = Date.now();
  await expectCode(new CommandSynthesizer({ command: ['sh', '-c', 'sleep 5; echo late'], timeoutMs: 200 }), 'TIMEOUT', /within 200 ms/);
  assert.ok(Date.now() - t1 < 2000, `the wrapper's sleep was killed too (${Date.now() - t1} ms)`);
  const closed = new CommandSynthesizer({ command: ['sleep', '5'] });
  const p = closed.synthesize({ text: 'x' });
  setTimeout(() => void closed.close(), 50);
  await assert.rejects(p, { code: 'CLOSED' });
  await expectCode(closed, 'CLOSED', /closed/);
  assert.throws(() => new CommandSynthesizer({ command: [] }), { code: 'BAD_REQUEST' });
});

test('no more than maxConcurrent programs run at once', async () => {
  // Each run appends a start mark, sleeps, then an end mark; the log shows the overlap.
  const log = `/tmp/sb-cmd-tts-${process.pid}.log`;
  spawnSync('rm', ['-f', log]);
  const tts = new CommandSynthesizer({ command: ['sh', '-c', `echo s >> ${log}; sleep 0.15; echo e >> ${log}; exit 1`, 'x', '{text}'], maxConcurrent: 2 });
  const texts = ['a', 'b', 'c', 'd', 'e'];
  await Promise.allSettled(texts.map((text) => tts.synthesize({ text })));
  const marks = spawnSync('cat', [log]).stdout.toString().trim().split('\n');
  spawnSync('rm', ['-f', log]);
  let running = 0;
  let max = 0;
  for (const m of marks) {
    running += m === 's' ? 1 : -1;
    max = Math.max(max, running);
  }
  assert.equal(marks.length, 10);
  assert.equal(max, 2);
});
