/**
 * Test support: a strict minimal parser for the canonical 44-byte PCM WAV files the recorder
 * writes, so tests check the header fields and the samples as numbers. Not exported from the
 * record index; not for production reads (the players' WAV reader handles real-world files).
 */
import { readFileSync } from 'node:fs';

export interface ParsedWav {
  channels: number;
  rate: number;
  bits: number;
  riffSize: number;
  dataSize: number;
  /** Where the samples start (44 for a canonical header). */
  dataOffset: number;
  fileSize: number;
  /** Per channel, de-interleaved, exactly dataSize bytes' worth. */
  channelsData: Int16Array[];
}

export function parseWav(path: string): ParsedWav {
  const b = readFileSync(path);
  if (b.length < 44) throw new Error(`short file: ${b.length} bytes`);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not RIFF/WAVE');
  // Walk the chunks (sox-made inputs may carry extra ones); the recorder's own are canonical.
  let off = 12;
  let fmt = -1;
  let data = -1;
  let dataSize = 0;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') fmt = off + 8;
    if (id === 'data') { data = off + 8; dataSize = size; break; }
    off += 8 + size + (size & 1);
  }
  if (fmt < 0 || data < 0) throw new Error('fmt or data chunk missing');
  const channels = b.readUInt16LE(fmt + 2);
  const rate = b.readUInt32LE(fmt + 4);
  const bits = b.readUInt16LE(fmt + 14);
  const riffSize = b.readUInt32LE(4);
  if (data + dataSize > b.length) throw new Error(`data size ${dataSize} beyond file end ${b.length}`);
  const frames = Math.floor(dataSize / (2 * channels));
  const channelsData = Array.from({ length: channels }, () => new Int16Array(frames));
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) channelsData[c][i] = b.readInt16LE(data + (i * channels + c) * 2);
  }
  return { channels, rate, bits, riffSize, dataSize, dataOffset: data, fileSize: b.length, channelsData };
}

/** Normalized cross-correlation at zero lag over the common length. */
export function ncc(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}
