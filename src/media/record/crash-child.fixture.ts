/**
 * Test fixture for wav-recorder.test.ts (not a test itself): records a 1 kHz tone into argv[2]
 * at 8 kHz mono, one 20 ms frame per 20 ms of wall-clock time, and prints the frames written so
 * far after each frame, until the parent kills it (kill -9). Exits by itself after 10 s.
 */
import { WavRecorder } from './wav-recorder.ts';

const rec = WavRecorder.open(process.argv[2], { rate: 8000, channels: 1 });
const frame = new Int16Array(160);
let n = 0;
const t0 = performance.now();
function next(): void {
  for (let i = 0; i < 160; i++) frame[i] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * (n * 160 + i)) / 8000));
  rec.writeMono(frame);
  n++;
  process.stdout.write(`${n}\n`);
  if (n >= 500) process.exit(0);
  setTimeout(next, Math.max(0, t0 + n * 20 - performance.now()));
}
next();
