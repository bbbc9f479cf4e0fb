/** Minimal RIFF/WAVE writer for 16-bit mono PCM (the format pocketsphinx and sox read). */
export function encodeWav16(samples: Int16Array, rate: number): Buffer {
  const data = samples.byteLength;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data, 40);
  // WAV is little-endian, as is every platform Node runs on here.
  return Buffer.concat([h, Buffer.from(samples.buffer, samples.byteOffset, data)]);
}
