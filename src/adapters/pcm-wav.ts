// Reads back the WAV files the media engine's recorder writes (RIFF, PCM 16-bit, mono or
// stereo) as mono 16-bit samples — enough to hand a captured utterance to a Recognizer.
// (media/play has a fuller decoder, but it is not part of media's public face.)
//
//  RIFF <size> WAVE  { <chunk id:4> <size:u32le> <payload, padded to even> }*
//  fmt : u16 format(1=PCM) · u16 channels · u32 rate · u32 byteRate · u16 align · u16 bits
//  data: interleaved little-endian samples

/** Mono samples (stereo keeps the left channel: the peer) and rate; throws on anything else. */
export function decodePcmWav(b: Buffer): { rate: number; samples: Int16Array } {
  if (b.length < 12 || b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let off = 12;
  let rate = 0;
  let channels = 1;
  let bits = 16;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      if (b.readUInt16LE(off + 8) !== 1) throw new Error('not PCM');
      channels = b.readUInt16LE(off + 10);
      rate = b.readUInt32LE(off + 12);
      bits = b.readUInt16LE(off + 22);
    } else if (id === 'data') {
      if (bits !== 16 || rate === 0) throw new Error('only 16-bit PCM after a fmt chunk is supported');
      // A recorder killed mid-write may leave size 0 or too large: take what is there.
      const end = size === 0 || off + 8 + size > b.length ? b.length : off + 8 + size;
      const n = Math.floor((end - off - 8) / 2 / channels);
      const samples = new Int16Array(n);
      for (let i = 0; i < n; i++) samples[i] = b.readInt16LE(off + 8 + i * 2 * channels);
      return { rate, samples };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}
