import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DtmfDetectors } from './dtmf-detectors.ts';
import type { DtmfEventData } from './endpoint-types.ts';
import { dtmfSignal, speechLike, musicLike, whiteNoise } from '../dsp/test-signals.ts';

/** Feed `signal` in 20 ms frames (8 kHz) and return the digits and how many frames the detector saw. */
function run(signal: Int16Array, purityGate: boolean): { digits: string; fed: number; gated: number } {
  const got: DtmfEventData[] = [];
  const d = new DtmfDetectors((ev) => got.push(ev), 8000);
  d.configure({ rfc4733: false, inband: true, audioRate: 8000 });
  d.purityGate = purityGate;
  const frame = new Int16Array(160);
  let ts = 12345;
  for (let i = 0; i + 160 <= signal.length; i += 160) {
    frame.set(signal.subarray(i, i + 160));
    d.onAudio(frame, ts);
    ts += 160;
  }
  // Trailing silence so the last digit ends.
  frame.fill(0);
  for (let i = 0; i < 10; i++, ts += 160) d.onAudio(frame, ts);
  return { digits: got.map((e) => e.digit).join(''), fed: d.inbandFrames, gated: d.gatedFrames };
}

test('the purity gate loses no digit: 40 ms tones at every alignment, weak tones, twist, 20 dB SNR — same digits as without it', () => {
  const cases: Int16Array[] = [];
  for (let lead = 0; lead < 160; lead += 20) {
    cases.push(dtmfSignal('1234567890*#ABCD', { toneMs: 40, gapMs: 45, leadMs: 50 + lead / 8, snrDb: 20, seed: lead + 1 }));
  }
  cases.push(dtmfSignal('159#', { toneMs: 60, gapMs: 60, amp: 400, snrDb: 25 })); // near the minimum level
  cases.push(dtmfSignal('2580', { toneMs: 45, gapMs: 50, amp: 3000, snrDb: 15, seed: 9 }));
  for (const [i, sig] of cases.entries()) {
    const plain = run(sig, false);
    const gated = run(sig, true);
    assert.ok(plain.digits.length > 0, `case ${i}: the detector finds digits at all`);
    assert.equal(gated.digits, plain.digits, `case ${i}`);
  }
});

test('the purity gate keeps speech, music and noise away from the windowed detector (the CPU it saves)', () => {
  for (const [name, sig] of [['speech', speechLike(10, 5)], ['music', musicLike(10, 6)], ['noise', whiteNoise(10, 3000, 7)]] as const) {
    const plain = run(sig, false);
    const gated = run(sig, true);
    assert.equal(gated.digits, '', `${name}: no digits`);
    assert.equal(plain.digits, '', `${name}: no digits without the gate either`);
    assert.ok(gated.fed <= plain.fed * 0.1, `${name}: fed ${gated.fed} of ${plain.fed} loud frames`);
  }
});

test('wideband legs: DTMF at 16 kHz and 48 kHz is resampled to 8 kHz and detected with the right digits; speech gives none', async () => {
  const { tones } = await import('../dsp/test-signals.ts');
  const { Resampler } = await import('../dsp/index.ts');
  const F: Record<string, [number, number]> = { '1': [697, 1209], '5': [770, 1336], '9': [852, 1477], '#': [941, 1477], '0': [941, 1336] };
  for (const rate of [16000, 48000]) {
    const got: { digit: string }[] = [];
    const d = new DtmfDetectors((ev) => got.push(ev), 8000);
    d.configure({ rfc4733: false, inband: true, audioRate: rate });
    const parts: Int16Array[] = [new Int16Array(rate / 20)];
    for (const [i, k] of [...'15#90'].entries()) {
      const [r, c] = F[k];
      parts.push(Int16Array.from(tones(Math.round(rate * 0.06), rate, [{ f: r, a: 6000, phase: i }, { f: c, a: 6000, phase: 2 * i }]), (v) => Math.round(v)));
      parts.push(new Int16Array(rate / 20));
    }
    const all = new Int16Array(parts.reduce((s, p) => s + p.length, 0) + rate / 5);
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    const n = rate / 50;
    for (let f = 0; f + n <= all.length; f += n) d.onAudio(all.subarray(f, f + n), f);
    assert.equal(got.map((e) => e.digit).join(''), '15#90', `at ${rate} Hz`);

    // Speech-like audio at the same rate (8 kHz speech resampled up): no digit.
    const speech8 = speechLike(5, 3);
    const up = new Resampler(8000, rate);
    const sp = new Int16Array(up.maxOutput(speech8.length));
    const m = up.process(speech8, sp);
    const none: unknown[] = [];
    const q = new DtmfDetectors((ev) => none.push(ev), 8000);
    q.configure({ rfc4733: false, inband: true, audioRate: rate });
    for (let f = 0; f + n <= m; f += n) q.onAudio(sp.subarray(f, f + n), f);
    assert.equal(none.length, 0, `no false digits on speech at ${rate} Hz`);
  }
});

test('a re-negotiated telephone-event clock rate (setTeClockRate) is used for the next event\'s duration', async () => {
  const { planTelephoneEvent } = await import('../dtmf/index.ts');
  const got: DtmfEventData[] = [];
  const d = new DtmfDetectors((ev) => got.push(ev), 8000);
  d.configure({ rfc4733: true, inband: false, audioRate: 48000 });
  const feed = (digit: string, rate: number, ts: number) => {
    for (const p of planTelephoneEvent({ digit, durationMs: 100, startTimestamp: ts, clockRate: rate })) d.onTelephoneEvent(p.timestamp, p.marker, p.payload, 0);
  };
  feed('1', 8000, 1000);
  d.setTeClockRate(48000);
  feed('2', 48000, 900000);
  assert.deepEqual(got.map((e) => `${e.digit}/${e.durationMs}`), ['1/100', '2/100'], 'both 100 ms: the second counted at 48 kHz (600 ms if read at 8 kHz)');
});
