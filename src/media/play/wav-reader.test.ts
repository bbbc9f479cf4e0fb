// WAV decoding against real files made by sox: every encoding the players accept, at several
// rates, decoded and resampled to the media rate, checked as audio (Goertzel frequency, level,
// duration); plus hand-built edge cases (odd chunk padding, streaming sizes) and broken files.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { peakFrequency, toneAmplitude } from '../dsp/test-signals.ts';
import { PlayError } from './play-error.ts';
import { decodePrompt, loadFilePrompt } from './prompt-loader.ts';
import { WAVE_FORMAT, decodeWav } from './wav-reader.ts';

let dir: string;
function soxSynth(name: string, fmt: string[], synth: string[]): Uint8Array {
  const path = join(dir, name);
  execFileSync('sox', ['-n', ...fmt, path, 'synth', ...synth], { stdio: 'pipe' });
  return readFileSync(path);
}

function expectCode(fn: () => unknown, code: PlayError['code'], re?: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof PlayError && e.code === code && (!re || re.test(e.message)));
}

before(() => { dir = mkdtempSync(join(tmpdir(), 'sb-wav-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('decodeWav with sox-made files', () => {
  const cases: { name: string; fmt: string[]; tag: number; rate: number; bits: number; channels: number }[] = [
    { name: 'alaw8k.wav', fmt: ['-r', '8000', '-c', '1', '-e', 'a-law'], tag: WAVE_FORMAT.ALAW, rate: 8000, bits: 8, channels: 1 },
    { name: 'ulaw8k.wav', fmt: ['-r', '8000', '-c', '1', '-e', 'u-law'], tag: WAVE_FORMAT.MULAW, rate: 8000, bits: 8, channels: 1 },
    { name: 's16-16k.wav', fmt: ['-r', '16000', '-c', '1', '-b', '16'], tag: WAVE_FORMAT.PCM, rate: 16000, bits: 16, channels: 1 },
    { name: 'u8-8k.wav', fmt: ['-r', '8000', '-c', '1', '-b', '8', '-e', 'unsigned'], tag: WAVE_FORMAT.PCM, rate: 8000, bits: 8, channels: 1 },
    { name: 'stereo44k.wav', fmt: ['-r', '44100', '-c', '2', '-b', '16'], tag: WAVE_FORMAT.PCM, rate: 44100, bits: 16, channels: 2 },
    { name: 'float22k.wav', fmt: ['-r', '22050', '-c', '1', '-e', 'floating-point', '-b', '32'], tag: WAVE_FORMAT.IEEE_FLOAT, rate: 22050, bits: 32, channels: 1 },
    { name: 's24-48k.wav', fmt: ['-r', '48000', '-c', '1', '-b', '24'], tag: WAVE_FORMAT.PCM, rate: 48000, bits: 24, channels: 1 },
  ];
  for (const c of cases) {
    it(`${c.name}: 1 kHz for 1 s survives decoding and resampling to 8 and 16 kHz`, () => {
      const bytes = soxSynth(c.name, c.fmt, ['1', 'sine', '1000', 'vol', '0.5']);
      const wav = decodeWav(bytes);
      assert.deepEqual([wav.format, wav.rate, wav.bitsPerSample, wav.channels], [c.tag, c.rate, c.bits, c.channels]);
      assert.equal(wav.samples.length, c.rate);
      for (const rate of [8000, 16000]) {
        const pcm = decodePrompt(bytes, rate);
        assert.equal(pcm.length, rate, 'duration 1 s');
        const mid = pcm.subarray(rate / 10, rate - rate / 10);
        assert.equal(peakFrequency(mid, rate, 500, 3000, 5), 1000);
        const amp = toneAmplitude(mid, rate, 1000);
        // vol 0.5 → 16384; 8-bit and G.711 quantize, resampling passes 1 kHz at unity.
        assert.ok(Math.abs(amp - 16384) < 16384 * 0.05, `amplitude ${amp.toFixed(0)}`);
      }
    });
  }

  it('24-bit files written as WAVE_FORMAT_EXTENSIBLE are read through their sub-format', () => {
    const bytes = readFileSync(join(dir, 's24-48k.wav'));
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(view.getUint16(20, true), WAVE_FORMAT.EXTENSIBLE, 'sox writes 24-bit as extensible');
  });

  it('stereo is averaged to mono: a different tone per channel gives both at half level', () => {
    const bytes = soxSynth('lr.wav', ['-r', '16000', '-c', '2', '-b', '16'], ['0.5', 'sine', '600', 'sine', '1400', 'vol', '0.5']);
    const pcm = decodeWav(bytes).samples;
    const a600 = toneAmplitude(pcm, 16000, 600), a1400 = toneAmplitude(pcm, 16000, 1400);
    assert.ok(Math.abs(a600 - 8192) < 400 && Math.abs(a1400 - 8192) < 400, `${a600} ${a1400}`);
  });
});

/** A minimal 16-bit mono WAV with extra chunks, built byte by byte. */
function buildWav(samples: number[], opts: { rate?: number; extra?: { id: string; size: number }[]; dataSize?: number } = {}): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const u16 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff);
  const str = (s: string) => { for (const ch of s) parts.push(ch.charCodeAt(0)); };
  str('RIFF'); u32(0); str('WAVE');
  for (const x of opts.extra ?? []) { str(x.id); u32(x.size); for (let i = 0; i < x.size + (x.size & 1); i++) parts.push(0x41); }
  str('fmt '); u32(16); u16(1); u16(1); u32(opts.rate ?? 8000); u32((opts.rate ?? 8000) * 2); u16(2); u16(16);
  str('data'); u32(opts.dataSize ?? samples.length * 2); for (const s of samples) u16(s & 0xffff);
  return Uint8Array.from(parts);
}

describe('decodeWav edge cases', () => {
  it('skips unknown chunks, including odd-sized ones with their pad byte', () => {
    const wav = decodeWav(buildWav([1, -2, 300], { extra: [{ id: 'LIST', size: 5 }, { id: 'fact', size: 4 }] }));
    assert.deepEqual([...wav.samples], [1, -2, 300]);
  });
  it('takes what is there when the data size is 0 or past the end (streaming writers)', () => {
    assert.deepEqual([...decodeWav(buildWav([5, 6], { dataSize: 0 })).samples], [5, 6]);
    assert.deepEqual([...decodeWav(buildWav([5, 6, 7], { dataSize: 0xffffffff })).samples], [5, 6, 7]);
  });
  it('refuses garbage, truncation and unknown encodings with UNSUPPORTED_FORMAT and the reason', () => {
    const good = buildWav([1, 2, 3, 4]);
    expectCode(() => decodeWav(new TextEncoder().encode('hello, this is not a wav file at all')), 'UNSUPPORTED_FORMAT', /RIFF/);
    expectCode(() => decodeWav(good.subarray(0, 8)), 'UNSUPPORTED_FORMAT', /too short/);
    expectCode(() => decodeWav(good.subarray(0, 30)), 'UNSUPPORTED_FORMAT', /fmt/);
    expectCode(() => decodeWav(good.subarray(0, 36)), 'UNSUPPORTED_FORMAT', /data chunk/);
    expectCode(() => decodeWav(good.subarray(0, 45)), 'UNSUPPORTED_FORMAT', /no audio/);
    const adpcm = good.slice(); adpcm[20] = 2; // MS ADPCM
    expectCode(() => decodeWav(adpcm), 'UNSUPPORTED_FORMAT', /0x2/);
    const lying = buildWav([1], { extra: [{ id: 'JUNK', size: 4 }] });
    new DataView(lying.buffer).setUint32(16, 1e6, true); // JUNK size runs past the end
    expectCode(() => decodeWav(lying), 'UNSUPPORTED_FORMAT', /truncated/);
  });
  it('a sox file cut mid-header fails; cut mid-data plays what arrived', () => {
    const bytes = soxSynth('cut.wav', ['-r', '8000', '-c', '1', '-e', 'a-law'], ['0.5', 'sine', '1000']);
    expectCode(() => decodeWav(bytes.subarray(0, 20)), 'UNSUPPORTED_FORMAT');
    const half = decodeWav(bytes.subarray(0, bytes.length - 2000));
    assert.equal(half.samples.length, 4000 - 2000);
  });
  it('a missing file is NOT_FOUND, an oversize one TOO_LARGE, a garbage one UNSUPPORTED_FORMAT', async () => {
    await assert.rejects(loadFilePrompt(join(dir, 'nope.wav'), 8000, 1e6), (e: unknown) => e instanceof PlayError && e.code === 'NOT_FOUND');
    writeFileSync(join(dir, 'big.wav'), new Uint8Array(2000));
    await assert.rejects(loadFilePrompt(join(dir, 'big.wav'), 8000, 1000), (e: unknown) => e instanceof PlayError && e.code === 'TOO_LARGE');
    await assert.rejects(loadFilePrompt(join(dir, 'big.wav'), 8000, 1e6), (e: unknown) => e instanceof PlayError && e.code === 'UNSUPPORTED_FORMAT' && e.message.includes('big.wav'));
  });
});
