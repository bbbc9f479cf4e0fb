/**
 * Microbenchmark of the players and the Opus codec, per 20 ms frame: a WAV playlist source
 * (A-law 8 kHz prompt looped, read at 8 kHz), a ringback tone source (8 and 48 kHz), and Opus
 * encode / decode of one 48 kHz mono frame at 32 kbit/s, complexity 5. Also the one-time cost of
 * loading a 44.1 kHz stereo prompt to 8 kHz (decode + two-stage resample), per second of audio.
 * Run: node --import tsx bench/media-play.bench.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpusCodec } from '../src/media/codecs/index.ts';
import { ToneSource, decodePrompt, openPlaylist, resampleOnce } from '../src/media/play/index.ts';
import { speechLike } from '../src/media/dsp/test-signals.ts';


const dir = mkdtempSync(join(tmpdir(), 'sb-bench-play-'));
execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', join(dir, 'p.wav'), 'synth', '5', 'sine', '1000']);
execFileSync('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', join(dir, 'hi.wav'), 'synth', '5', 'sine', '1000']);

function measure(name: string, frames: number, fn: (i: number) => void): void {
  for (let i = 0; i < Math.min(frames, 5000); i++) fn(i); // warm-up
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < frames; i++) fn(i);
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / frames;
  const grew = (process.memoryUsage().heapUsed - heap0) / 1024;
  console.log(`${name.padEnd(34)} ${us.toFixed(3).padStart(8)} µs/frame   heap ${grew >= 0 ? '+' : ''}${grew.toFixed(0)} KiB`);
}

console.log(`players and Opus, per 20 ms frame, node ${process.version}`);
const playlist = await openPlaylist([{ kind: 'file', path: join(dir, 'p.wav') }, { kind: 'silence', ms: 500 }], 8000, { loop: 0 });
const f8 = new Int16Array(160);
measure('WAV playlist read, 8 kHz', 500_000, () => { playlist.read(f8); });
const pl48 = await openPlaylist([{ kind: 'file', path: join(dir, 'p.wav') }], 48000, { loop: 0 });
const f48 = new Int16Array(960);
measure('WAV playlist read, 48 kHz', 200_000, () => { pl48.read(f48); });
const ring8 = new ToneSource('ringback', 8000);
measure('ringback tone read, 8 kHz', 500_000, () => { ring8.read(f8); });
const ring48 = new ToneSource('ringback', 48000);
measure('ringback tone read, 48 kHz', 200_000, () => { ring48.read(f48); });

const speech48 = resampleOnce(speechLike(10, 3), 8000, 48000);
const codec = new OpusCodec();
const pkt = new Uint8Array(1500);
const pcmOut = new Int16Array(5760);
const packets: Uint8Array[] = [];
for (let i = 0; i + 960 <= speech48.length; i += 960) packets.push(pkt.slice(0, codec.encode(speech48.subarray(i, i + 960), pkt)));
const frames48 = packets.length;
measure('Opus encode (speech-like, 48k)', 5000, (i) => { codec.encode(speech48.subarray((i % frames48) * 960, (i % frames48) * 960 + 960), pkt); });
const dec = new OpusCodec();
measure('Opus decode (speech-like, 48k)', 10_000, (i) => { dec.decode(packets[i % frames48], pcmOut); });
measure('Opus PLC decode(null)', 2000, () => { dec.decode(null, pcmOut); });

const hi = readFileSync(join(dir, 'hi.wav'));
const t0 = process.hrtime.bigint();
for (let i = 0; i < 10; i++) decodePrompt(hi, 8000);
console.log(`load 44.1k stereo → 8k (decode+resample) ${(Number(process.hrtime.bigint() - t0) / 1e6 / 10 / 5).toFixed(2).padStart(8)} ms per second of audio`);
rmSync(dir, { recursive: true, force: true });
