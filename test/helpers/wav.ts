// Reading what a peer recorded (baresip's sndfile dumps, recordings): 16-bit PCM WAV, the
// first channel, as floats for Goertzel/FFT checks. Walks the chunks, so extra chunks are fine.
import { readFileSync } from 'node:fs';

/** Mono 16-bit PCM samples and rate of a WAV file (canonical or with extra chunks). */
export function readWav(path: string): { rate: number; samples: Float64Array } {
  const b = readFileSync(path);
  let off = 12;
  let rate = 8000;
  let channels = 1;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(off + 10);
      rate = b.readUInt32LE(off + 12);
    }
    if (id === 'data') {
      const end = Math.min(b.length, off + 8 + (size || b.length));
      const n = Math.floor((end - off - 8) / 2 / channels);
      const s = new Float64Array(n);
      for (let i = 0; i < n; i++) s[i] = b.readInt16LE(off + 8 + i * 2 * channels);
      return { rate, samples: s };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error(`no data chunk in ${path}`);
}
