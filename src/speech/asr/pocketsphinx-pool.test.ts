// The pre-started process pool with the real pocketsphinx_continuous on our own TTS through G.711:
// same text as a process per utterance but sooner, the bound, noise and silence, crash, timeout
// and idle handling. The latencies are logged (docs/speech.md records them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pcmuDecodeInto, pcmuEncodeInto } from '../../media/index.ts';
import { EspeakSynthesizer } from '../tts/index.ts';
import { SpeechError } from '../types.ts';
import { DEFAULT_DICT } from './pocketsphinx-recognizer.ts';
import { PocketsphinxPool } from './pocketsphinx-pool.ts';
import { PocketsphinxTranscriber } from './pocketsphinx-transcriber.ts';

const haveSphinx = spawnSync('which', ['pocketsphinx_continuous']).status === 0 && existsSync(DEFAULT_DICT);
const skip = !haveSphinx && process.env.CI !== 'true' && 'pocketsphinx/pocketsphinx-en-us not installed';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function sentence(): Promise<Int16Array> {
  const tts = await new EspeakSynthesizer({ outputRate: 8000 }).synthesize({ text: 'I would like to pay my bill', voice: 'en-us' });
  const u = new Uint8Array(tts.samples.length);
  pcmuEncodeInto(tts.samples, u);
  const y = new Int16Array(u.length);
  pcmuDecodeInto(u, y);
  // As recognize hands it over: trimmed, 250 ms of silence either side.
  return new Int16Array([...new Int16Array(2000), ...y, ...new Int16Array(2000)]);
}
const med = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

test('pre-started processes: 4 utterances give the same text as a process per utterance, sooner', { skip, timeout: 60_000 }, async () => {
  const audio = await sentence();
  const pooled = new PocketsphinxTranscriber();
  const oneOff = new PocketsphinxTranscriber({ pool: false });
  try {
    const warm: number[] = [];
    const cold: number[] = [];
    const texts: string[] = [];
    for (let i = 0; i < 4; i++) {
      pooled.warmUp(); // as recognize does when it starts; the caller then speaks for a while
      await sleep(1500);
      let t0 = performance.now();
      const r = await pooled.transcribeUtterance({ rate: 8000, samples: audio });
      warm.push(performance.now() - t0);
      t0 = performance.now();
      const o = await oneOff.transcribeUtterance({ rate: 8000, samples: audio });
      cold.push(performance.now() - t0);
      texts.push(r.text);
      assert.match(r.text, /\bi would\b/, `request ${i}: ${r.text}`);
      assert.deepEqual(r, o, 'same bytes in, same text and confidence out');
      assert.ok(r.confidence !== undefined && r.confidence > 0 && r.confidence <= 1, `confidence ${r.confidence}`);
    }
    console.log(`  ${JSON.stringify(texts)}`);
    console.log(`  end of audio → result: pre-started median ${med(warm).toFixed(0)} ms (${warm.map((x) => x.toFixed(0)).join(', ')}); process per utterance median ${med(cold).toFixed(0)} ms (${cold.map((x) => x.toFixed(0)).join(', ')})`);
    assert.ok(med(warm) < med(cold), 'a pre-started process answers sooner than a fresh one');
  } finally {
    await pooled.close();
  }
});

test('noise, near-silence and nothing complete; concurrent requests stay within the bound; offsets from the input start', { skip, timeout: 60_000 }, async () => {
  const audio = await sentence();
  const pool = new PocketsphinxPool({ size: 1 });
  try {
    const quiet = Int16Array.from({ length: 8000 }, (_, i) => (i % 3) - 1);
    let seed = 1;
    const noise = Int16Array.from({ length: 8000 }, () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return ((seed >> 8) % 600) - 300;
    });
    let peak = 0;
    const watch = setInterval(() => { peak = Math.max(peak, pool.processes); }, 5);
    const [n, a, b, c] = await Promise.all([
      pool.transcribe({ rate: 8000, samples: noise }),
      pool.transcribe({ rate: 8000, samples: quiet }),
      pool.transcribe({ rate: 8000, samples: audio }),
      pool.transcribe({ rate: 16000, samples: new Int16Array(0) }),
    ]);
    clearInterval(watch);
    console.log(`  noise → ${JSON.stringify(n.text)}; near-silence → ${JSON.stringify(a.text)}; sentence after them → ${JSON.stringify(b.text)}`);
    assert.equal(typeof n.text, 'string');
    assert.equal(a.text, '', 'near-digital silence: no words');
    assert.match(b.text, /\bi would\b/, 'a fresh process per utterance: noise before does not spoil it');
    assert.ok(b.results[0]!.offsetMs >= 200 && b.results[0]!.offsetMs < 1000, `offset from the input start: ${b.results[0]!.offsetMs}`);
    assert.deepEqual(c, { text: '', results: [] });
    assert.equal(peak, 1, 'never more than size processes');
  } finally {
    await pool.close();
  }
});

test('crash-safe: a process that dies fails its request cleanly and is replaced; a stuck one times out; idle spares stop', { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-pool-'));
  const audio = await sentence();
  try {
    const flaky = join(dir, 'flaky.sh');
    writeFileSync(flaky, `#!/bin/sh\nif [ ! -e ${dir}/ran ]; then touch ${dir}/ran; exit 3; fi\nexec pocketsphinx_continuous "$@"\n`, { mode: 0o755 });
    const pool = new PocketsphinxPool({ binary: flaky, size: 1, idleTimeoutMs: 400 });
    await assert.rejects(pool.transcribe({ rate: 8000, samples: audio }), (e: unknown) => e instanceof SpeechError && e.code === 'RECOGNITION_FAILED' && /exited with 3/.test(e.message));
    const r = await pool.transcribe({ rate: 8000, samples: audio });
    assert.match(r.text, /\bi would\b/, 'a fresh process answers the next request');
    assert.equal(pool.processes, 1, 'a spare was started for the next one');
    await sleep(1200);
    assert.equal(pool.processes, 0, 'the spare stopped after idleTimeoutMs');
    await pool.close();

    const stuck = join(dir, 'stuck.sh');
    writeFileSync(stuck, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const pool2 = new PocketsphinxPool({ binary: stuck, size: 1, timeoutMs: 500 });
    const t0 = Date.now();
    await assert.rejects(pool2.transcribe({ rate: 8000, samples: audio }), (e: unknown) => e instanceof SpeechError && e.code === 'TIMEOUT');
    assert.ok(Date.now() - t0 < 3000);
    await pool2.close();
    assert.equal(pool2.processes, 0);
    await assert.rejects(pool2.transcribe({ rate: 8000, samples: audio }), (e: unknown) => e instanceof SpeechError && e.code === 'CLOSED');

    const missing = new PocketsphinxPool({ binary: join(dir, 'nope') });
    await assert.rejects(missing.transcribe({ rate: 8000, samples: audio }), (e: unknown) => e instanceof SpeechError && e.code === 'RECOGNIZER_UNAVAILABLE');
    await missing.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
