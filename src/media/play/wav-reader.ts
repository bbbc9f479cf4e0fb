/**
 * RIFF/WAVE decoder for prompts: whatever the file holds (PCM 8/16/24/32-bit, IEEE float,
 * A-law, µ-law, WAVE_FORMAT_EXTENSIBLE around PCM/float, any rate, any channel count) comes out
 * as one Int16Array, mono, at the file's own rate. Resampling to the media rate is a separate
 * step (resample-once.ts), done once at load.
 *
 * Layout walked (Microsoft RIFF, "Multimedia Programming Interface and Data Specifications 1.0"):
 *
 *   "RIFF" size:u32le "WAVE" { chunkId:4 chunkSize:u32le data[chunkSize] pad[chunkSize & 1] }*
 *
 * Chunks other than `fmt ` and `data` (LIST, fact, cue, bext …) are skipped; odd-sized chunks
 * carry one pad byte. A `data` chunk whose size runs past the end of the file is accepted up to
 * the last whole sample frame (streaming writers leave 0 or 0xFFFFFFFF there), but a file with no
 * samples at all, or with the header itself cut short, is refused. Never reads out of bounds:
 * every failure is a PlayError UNSUPPORTED_FORMAT that names the reason.
 */
import { ALAW_DECODE, ULAW_DECODE } from '../codecs/index.ts';
import { PlayError } from './play-error.ts';

/** WAVE format tags (RFC 2361 Appendix A; mmreg.h). */
export const WAVE_FORMAT = {
  PCM: 0x0001,
  IEEE_FLOAT: 0x0003,
  ALAW: 0x0006,
  MULAW: 0x0007,
  EXTENSIBLE: 0xfffe,
} as const;

export interface WavInfo {
  /** Effective format tag (the sub-format for WAVE_FORMAT_EXTENSIBLE). */
  format: number;
  rate: number;
  channels: number;
  bitsPerSample: number;
}

export interface DecodedWav extends WavInfo {
  /** Mono (channels averaged), signed 16-bit, at `rate`. */
  samples: Int16Array;
}

function bad(reason: string): PlayError {
  return new PlayError('UNSUPPORTED_FORMAT', `not a playable WAV file: ${reason}`);
}

function tag(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

/** Decode a whole WAV file held in memory. Throws PlayError UNSUPPORTED_FORMAT. */
export function decodeWav(bytes: Uint8Array): DecodedWav {
  if (bytes.length < 12) throw bad(`file too short (${bytes.length} bytes)`);
  if (tag(bytes, 0) !== 'RIFF' || tag(bytes, 8) !== 'WAVE') {
    throw bad(tag(bytes, 0) === 'RIFX' ? 'big-endian RIFX is not supported' : 'no RIFF/WAVE header');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let info: WavInfo | undefined;
  let blockAlign = 0;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = tag(bytes, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + size > bytes.length) throw bad('truncated fmt chunk');
      let format = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const rate = view.getUint32(body + 4, true);
      blockAlign = view.getUint16(body + 12, true);
      const bitsPerSample = view.getUint16(body + 14, true);
      if (format === WAVE_FORMAT.EXTENSIBLE) {
        // WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) SubFormat GUID(16);
        // the GUID's first two bytes are the classic format tag.
        if (size < 40) throw bad('truncated WAVE_FORMAT_EXTENSIBLE fmt chunk');
        format = view.getUint16(body + 24, true);
      }
      info = { format, rate, channels, bitsPerSample };
      validate(info, blockAlign);
    } else if (id === 'data') {
      if (!info) throw bad('data chunk before fmt chunk');
      const available = bytes.length - body;
      // Streaming writers leave 0 or a huge size; take what is really there.
      const len = size === 0 || size > available ? available : size;
      const frames = Math.floor(len / blockAlign);
      if (frames === 0) throw bad('no audio samples in data chunk');
      return { ...info, samples: toMono(bytes.subarray(body, body + frames * blockAlign), info, blockAlign, frames) };
    }
    if (size > bytes.length - body) throw bad(`truncated ${JSON.stringify(id)} chunk`);
    pos = body + size + (size & 1);
  }
  throw bad(info ? 'no data chunk' : 'no fmt chunk');
}

/** Parse only the header (for diagnostics and tests). */
export function readWavInfo(bytes: Uint8Array): WavInfo {
  const { samples: _s, ...info } = decodeWav(bytes);
  return info;
}

function validate(f: WavInfo, blockAlign: number): void {
  if (f.channels < 1 || f.channels > 8) throw bad(`${f.channels} channels`);
  if (f.rate < 1000 || f.rate > 192000) throw bad(`sample rate ${f.rate} Hz`);
  const ok =
    (f.format === WAVE_FORMAT.PCM && [8, 16, 24, 32].includes(f.bitsPerSample)) ||
    (f.format === WAVE_FORMAT.IEEE_FLOAT && (f.bitsPerSample === 32 || f.bitsPerSample === 64)) ||
    ((f.format === WAVE_FORMAT.ALAW || f.format === WAVE_FORMAT.MULAW) && f.bitsPerSample === 8);
  if (!ok) throw bad(`format tag 0x${f.format.toString(16)} with ${f.bitsPerSample} bits per sample is not supported`);
  if (blockAlign !== (f.bitsPerSample / 8) * f.channels) throw bad(`block align ${blockAlign} does not match ${f.channels}×${f.bitsPerSample} bits`);
}

function toMono(data: Uint8Array, f: WavInfo, blockAlign: number, frames: number): Int16Array {
  const out = new Int16Array(frames);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const ch = f.channels;
  const bps = f.bitsPerSample / 8;
  // Sample reader returning a float in Int16 units; the switch is per file, not per sample.
  let read: (at: number) => number;
  switch (f.format) {
    case WAVE_FORMAT.ALAW: read = (at) => ALAW_DECODE[data[at]]; break;
    case WAVE_FORMAT.MULAW: read = (at) => ULAW_DECODE[data[at]]; break;
    case WAVE_FORMAT.IEEE_FLOAT:
      read = bps === 4 ? (at) => view.getFloat32(at, true) * 32768 : (at) => view.getFloat64(at, true) * 32768;
      break;
    default:
      if (bps === 1) read = (at) => (data[at] - 128) << 8; // 8-bit PCM is unsigned
      else if (bps === 2) read = (at) => view.getInt16(at, true);
      else if (bps === 3) read = (at) => ((data[at + 2] << 24) | (data[at + 1] << 16) | (data[at] << 8)) / 65536;
      else read = (at) => view.getInt32(at, true) / 65536;
  }
  for (let i = 0, at = 0; i < frames; i++, at += blockAlign) {
    let s = 0;
    for (let c = 0; c < ch; c++) s += read(at + c * bps);
    s = Math.round(s / ch);
    out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
  }
  return out;
}
