import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InbandDtmfDetector, type DtmfDigitEvent } from './inband-detector.ts';
import { dtmfSignal, musicLike, speechLike, whiteNoise } from '../dsp/test-signals.ts';

/** Run a signal through a detector in 20 ms frames (160 samples), as RTP delivers it. */
function detect(x: Int16Array, frame = 160): DtmfDigitEvent[] {
  const events: DtmfDigitEvent[] = [];
  const d = new InbandDtmfDetector({ onDigit: (e) => events.push(e) });
  for (let i = 0; i < x.length; i += frame) d.process(x.subarray(i, Math.min(x.length, i + frame)), i);
  d.flush();
  return events;
}

const ALL = '0123456789*#ABCD';

test('detects every digit, 50–120 ms tones with 50 ms gaps, in white noise at 20 dB SNR', () => {
  for (let seed = 1; seed <= 4; seed++) {
    const durations = (i: number) => 50 + ((i * 37 + seed * 11) % 71);
    const x = dtmfSignal(ALL + ALL, { toneMs: durations, gapMs: 50, snrDb: 20, seed });
    const ev = detect(x);
    assert.equal(ev.map((e) => e.digit).join(''), ALL + ALL, `seed ${seed}`);
    ev.forEach((e, i) => assert.ok(Math.abs(e.durationMs - durations(i)) <= 10, `digit ${i}: ${e.durationMs} ms vs ${durations(i)}`));
  }
});

test('start timestamps and durations follow the signal', () => {
  const x = dtmfSignal('5#', { toneMs: 100, gapMs: 200, leadMs: 300 });
  const ev = detect(x, 37); // odd frame size on purpose
  assert.equal(ev.length, 2);
  assert.ok(Math.abs(ev[0].startTs - 2400) <= 40, `start ${ev[0].startTs}`);
  assert.ok(Math.abs(ev[1].startTs - (2400 + 800 + 1600)) <= 40, `start ${ev[1].startTs}`);
  assert.ok(Math.abs(ev[0].durationMs - 100) <= 8);
});

test('every ≥ 40 ms tone is accepted at any alignment; no 30 ms tone is', () => {
  for (let lead = 0; lead < 102; lead += 7) {
    const forty = dtmfSignal('1234', { toneMs: 40, gapMs: 60, snrDb: 25, seed: lead, leadMs: 10 + lead / 8 });
    assert.equal(detect(forty).map((e) => e.digit).join(''), '1234', `40 ms, lead ${lead}`);
    const thirty = dtmfSignal('1234', { toneMs: 30, gapMs: 60, snrDb: 25, seed: lead, leadMs: 10 + lead / 8 });
    assert.deepEqual(detect(thirty), [], `30 ms, lead ${lead}`);
  }
});

test('rejects excessive twist and weak tones', () => {
  // Column tone 6 dB above row: beyond the 4 dB reverse twist.
  const n = 1600;
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.round(3000 * Math.sin((2 * Math.PI * 770 * i) / 8000) + 6000 * Math.sin((2 * Math.PI * 1336 * i) / 8000));
  assert.deepEqual(detect(x), []);
  assert.deepEqual(detect(dtmfSignal('5', { toneMs: 200, gapMs: 50, amp: 200 })), []);
  assert.equal(detect(dtmfSignal('5', { toneMs: 200, gapMs: 50, amp: 500 })).length, 1);
});

test('10 s each of speech-like audio, white noise and music-like chords give no digits', () => {
  for (const seed of [1, 2, 3]) {
    assert.deepEqual(detect(speechLike(10, seed)), [], `speech-like seed ${seed}`);
    assert.deepEqual(detect(whiteNoise(10, 3000, seed)), [], `noise seed ${seed}`);
    assert.deepEqual(detect(musicLike(10, seed)), [], `music-like seed ${seed}`);
  }
});

const haveTools = spawnSync('which', ['sox']).status === 0 && spawnSync('which', ['espeak-ng']).status === 0;
const SPEECH = 'Thank you for calling. Please say or enter your account number, followed by the pound key. ' +
  'If you are calling about an existing order, press one. For billing, two. To hear these options again, stay on the line. ' +
  'Seven hundred seventy, one thousand three hundred thirty six, nine four one, one two zero nine.';

function readRaw(path: string): Int16Array {
  const b = readFileSync(path);
  return new Int16Array(b.buffer, b.byteOffset, b.length >> 1).slice();
}

test('real speech from espeak-ng (8 kHz via sox) gives no digits; sox-made digits are detected', { skip: !haveTools && 'sox/espeak-ng not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-dtmf-'));
  try {
    for (const voice of ['en-us', 'en-us+f3']) {
      const wav = join(dir, 'speech.wav');
      const raw = join(dir, 'speech.raw');
      assert.equal(spawnSync('espeak-ng', ['-v', voice, '-s', '150', '-w', wav, SPEECH]).status, 0);
      assert.equal(spawnSync('sox', [wav, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed', '-L', '-t', 'raw', raw, 'norm', '-3']).status, 0);
      const x = readRaw(raw);
      assert.ok(x.length >= 8000 * 10, `speech is ${(x.length / 8000).toFixed(1)} s`);
      assert.deepEqual(detect(x), [], voice);
    }
    const pairs: Record<string, [number, number]> = { '1': [697, 1209], '5': [770, 1336], '9': [852, 1477], '#': [941, 1477], '0': [941, 1336] };
    let expected = '';
    const files: string[] = [];
    for (const [digit, [r, c]] of Object.entries(pairs)) {
      const f = join(dir, `d${files.length}.raw`);
      const made = spawnSync('sox', ['-n', '-r', '8000', '-b', '16', '-e', 'signed', '-L', '-t', 'raw', f, 'synth', '0.12', 'sine', String(r), 'sine', String(c), 'remix', '-', 'pad', '0', '0.05']);
      assert.equal(made.status, 0, String(made.stderr));
      files.push(f);
      expected += digit;
    }
    const parts = files.map(readRaw);
    const all = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    assert.equal(detect(all).map((e) => e.digit).join(''), expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
