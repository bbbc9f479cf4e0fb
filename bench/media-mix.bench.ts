/**
 * Microbenchmarks of the record/mix side of the media engine at 8 kHz, 20 ms frames:
 * µs per mixer tick per participant (N = 3, 10, 50: every participant pushes and gets its
 * mix-minus), jitter buffer put+get per frame (with mild jitter), WAV recorder write per frame
 * (mono, to a temp file); and a ConferenceRoom tick (members' frames in, mix-minus out, at the
 * members' own rates) for 8 kHz-only vs mixed rates, where members off the mix rate pay two
 * polyphase resamplers each. Run: node --import tsx bench/media-mix.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { speechLike } from '../src/media/dsp/test-signals.ts';
import { Mixer } from '../src/media/mix/index.ts';
import { ConferenceRoom, type ConferenceMember } from '../src/media/engine/conference-room.ts';
import { JitterBuffer } from '../src/media/jitter/index.ts';
import { WavRecorder } from '../src/media/record/index.ts';

const F = 160;
const speech = speechLike(10, 7);
const frames: Int16Array[] = [];
for (let i = 0; i + F <= speech.length; i += F) frames.push(speech.subarray(i, i + F));
const out = new Int16Array(F);
let sink = 0;

function time(iterations: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(2000, iterations); i++) fn(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1e3 / iterations;
}

console.log(`record/mix microbenchmarks, 8 kHz 20 ms frames, node ${process.version}`);
for (const n of [3, 10, 50]) {
  const m = new Mixer(8000);
  const ids = Array.from({ length: n }, (_, i) => `p${i}`);
  for (const id of ids) m.add(id);
  const ticks = Math.round(400_000 / n);
  const us = time(ticks, (t) => {
    for (let k = 0; k < n; k++) m.pushFrame(ids[k], frames[(t + k) % frames.length]);
    for (let k = 0; k < n; k++) { m.mixFor(ids[k], out); sink += out[3]; }
    m.tick();
  });
  console.log(`mixer N=${String(n).padEnd(3)} ${us.toFixed(2).padStart(8)} µs/tick   ${(us / n).toFixed(3).padStart(7)} µs/tick/participant`);
}

{
  const jb = new JitterBuffer({ rate: 8000 });
  let seed = 1;
  const us = time(300_000, (i) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    jb.put(i & 0xffff, (i * F) >>> 0, frames[i % frames.length], i * 20 + (seed % 15));
    sink += jb.get(out) === 'audio' ? 1 : 0;
  });
  console.log(`jitter buffer put+get ${us.toFixed(3).padStart(8)} µs/frame   (delay ${jb.stats().delayMs} ms)`);
}

{
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
  const rec = WavRecorder.open(join(dir, 'b.wav'), { rate: 8000, channels: 1 });
  const usMono = time(200_000, (i) => rec.writeMono(frames[i % frames.length]));
  void rec.close();
  const st = WavRecorder.open(join(dir, 's.wav'), { rate: 8000, channels: 2 });
  const usStereo = time(200_000, (i) => st.writeStereo(frames[i % frames.length], frames[(i + 7) % frames.length]));
  void st.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`recorder write mono   ${usMono.toFixed(3).padStart(8)} µs/frame (incl. write(2) every 500 ms of audio)`);
  console.log(`recorder write stereo ${usStereo.toFixed(3).padStart(8)} µs/frame`);
}
/** ConferenceRoom ticks with N members at the given rates (speech-like audio at each rate's frame size). */
function roomBench(label: string, mixRate: number, rates: number[]): void {
  const room = new ConferenceRoom(1, mixRate);
  const members = rates.map((rate, i) => {
    const n = rate / 50;
    const src = speechLike(2, 11 + i);
    const m: ConferenceMember & { src: Int16Array; out: Int16Array; inHave: boolean } = {
      mediaRate: rate, inFrame: new Int16Array(n), inHave: true, conference: undefined, src, out: new Int16Array(n),
    };
    room.join(m, String(i), {});
    return m;
  });
  const ticks = Math.round(200_000 / rates.length);
  const us = time(ticks, (t) => {
    for (const m of members) {
      const n = m.inFrame.length;
      const off = ((t * n) % (m.src.length - n));
      m.inFrame.set(m.src.subarray(off, off + n));
    }
    room.pushInputs();
    for (const m of members) { room.mixFor(m.conference!.key, m.out); sink += m.out[3]; }
    room.endTick();
  });
  console.log(`room ${label.padEnd(40)} ${us.toFixed(2).padStart(8)} µs/tick   ${(us / rates.length).toFixed(3).padStart(7)} µs/tick/participant`);
}
roomBench('N=10 all 8 kHz, 8 kHz mix', 8000, Array(10).fill(8000));
roomBench('N=10 all 8 kHz, 16 kHz mix', 16000, Array(10).fill(8000));
roomBench('N=10 5×8 kHz + 5×16 kHz, 16 kHz mix', 16000, [...Array(5).fill(8000), ...Array(5).fill(16000)]);
roomBench('N=10 5×8 kHz + 5×48 kHz, 16 kHz mix', 16000, [...Array(5).fill(8000), ...Array(5).fill(48000)]);
roomBench('N=10 all 16 kHz, 16 kHz mix', 16000, Array(10).fill(16000));
console.log(`(sink ${sink & 1})`);
