/**
 * Microbenchmarks of the record/mix side of the media engine at 8 kHz, 20 ms frames:
 * µs per mixer tick per participant (N = 3, 10, 50: every participant pushes and gets its
 * mix-minus), jitter buffer put+get per frame (with mild jitter), WAV recorder write per frame
 * (mono, to a temp file); one polyphase Resampler frame 8→16 and 16→8 kHz (where the cost of a
 * member off the mix rate comes from); and a ConferenceRoom tick (members' frames in, mix-minus
 * out, at the members' own rates). The room's mix rate is adaptive (engine/conference-room.ts:
 * the highest member rate, capped at the conference rate), so "cap 16 kHz, all 8 kHz" runs the
 * 8 kHz path; members off the mix rate pay two resamplers each. Each room row is sized to about
 * 1.5 s so the whole run stays under ~30 s on a shared machine.
 * Run: node --import tsx bench/media-mix.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resampler } from '../src/media/dsp/index.ts';
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

function time(iterations: number, fn: (i: number) => void, warmup = 2000): number {
  for (let i = 0; i < Math.min(warmup, iterations); i++) fn(i);
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
{
  // One member frame through each direction of the bridge a member off the mix rate gets.
  const sp16 = speechLike(4, 5) // 2 s at 16 kHz (its content is narrowband: cost does not depend on it);
  for (const [inRate, outRate] of [[8000, 16000], [16000, 8000], [48000, 16000], [16000, 48000]] as const) {
    const rs = new Resampler(inRate, outRate);
    const n = inRate / 50;
    const src = inRate === 8000 ? speech : sp16;
    const buf = new Int16Array(rs.maxOutput(n));
    const frame = new Int16Array(n);
    const us = time(20_000, (i) => {
      for (let k = 0; k < n; k++) frame[k] = src[(i * 37 + k) % src.length];
      sink += rs.process(frame, buf);
    }, 500);
    console.log(`resampler ${inRate / 1000}→${outRate / 1000} kHz, ${String(rs.taps).padStart(3)} taps/output ${us.toFixed(2).padStart(8)} µs/frame`);
  }
}
/** ConferenceRoom ticks with N members at the given rates (speech-like audio at each rate's frame size). */
function roomBench(label: string, confRate: number, rates: number[]): void {
  const room = new ConferenceRoom(1, confRate);
  const members = rates.map((rate, i) => {
    const n = rate / 50;
    const src = speechLike((2 * rate) / 8000, 11 + i) // 2 s at the member rate;
    const m: ConferenceMember & { src: Int16Array; out: Int16Array; inHave: boolean } = {
      mediaRate: rate, inFrame: new Int16Array(n), inHave: true, conference: undefined, src, out: new Int16Array(n),
    };
    room.join(m, String(i), {});
    return m;
  });
  const tick = (t: number): void => {
    for (const m of members) {
      const n = m.inFrame.length;
      const off = ((t * n) % (m.src.length - n));
      m.inFrame.set(m.src.subarray(off, off + n));
    }
    room.pushInputs();
    for (const m of members) { room.mixFor(m.conference!.key, m.out); sink += m.out[3]; }
    room.endTick();
  };
  // Calibrate: about 1.5 s of ticks per row.
  const probe = time(200, tick, 50);
  const us = time(Math.max(200, Math.round(1.5e6 / probe)), tick, 200);
  console.log(`room ${label.padEnd(44)} mix ${String(room.mixRate / 1000).padStart(2)} kHz ${us.toFixed(2).padStart(8)} µs/tick   ${(us / rates.length).toFixed(3).padStart(7)} µs/tick/participant`);
}
roomBench('N=10 all 8 kHz, conference 8 kHz', 8000, Array(10).fill(8000));
roomBench('N=10 all 8 kHz, conference cap 16 kHz', 16000, Array(10).fill(8000));
roomBench('N=10 9×8 kHz + 1×16 kHz, cap 16 kHz', 16000, [...Array(9).fill(8000), 16000]);
roomBench('N=10 5×8 kHz + 5×16 kHz, cap 16 kHz', 16000, [...Array(5).fill(8000), ...Array(5).fill(16000)]);
roomBench('N=10 5×8 kHz + 5×48 kHz, cap 16 kHz', 16000, [...Array(5).fill(8000), ...Array(5).fill(48000)]);
roomBench('N=10 all 16 kHz, cap 16 kHz', 16000, Array(10).fill(16000));
roomBench('N=10 9×8 kHz + 1×16 kHz, conference 8 kHz', 8000, [...Array(9).fill(8000), 16000]);
console.log(`(sink ${sink & 1})`);
