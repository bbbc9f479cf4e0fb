/**
 * The codec an RtpEndpoint carries, behind one packet-level interface: decode a payload
 * straight from the datagram into a frame, encode a frame into a payload buffer. G.711 and
 * L16 are sample-for-sample (tables, no state); Opus (RFC 7587) is a stateful libopus codec
 * whose packets have any length, so the interface speaks in payload bytes, not samples.
 *
 * Must never allocate per packet: G.711/L16 work in place; Opus copies through its own wasm
 * buffers (see codecs/opus.ts), and gets the payload as a subarray only because libopus needs
 * a contiguous view (one small view object per packet — the only per-packet allocation, and
 * only on Opus legs).
 */
import { ALAW_DECODE, ULAW_DECODE, OpusCodec, l16EncodeInto, pcmaEncodeInto, pcmuEncodeInto } from '../codecs/index.ts';
import type { CodecSpec } from './endpoint-types.ts';

export interface EndpointCodec {
  /** Decode the payload src[offset, offset+bytes) into dst; returns samples written (≤ dst.length). */
  decode(src: Uint8Array, offset: number, bytes: number, dst: Int16Array): number;
  /** Encode one full frame into dst; returns payload bytes (0 = nothing to send). */
  encode(frame: Int16Array, dst: Uint8Array): number;
  /** Largest payload one 20 ms frame can produce, bytes. */
  readonly maxPayload: number;
  close(): void;
}

function tableCodec(table: Readonly<Int16Array>, enc: (src: Int16Array, dst: Uint8Array, n: number) => number, frame: number): EndpointCodec {
  return {
    decode(src, offset, bytes, dst) {
      const n = Math.min(bytes, dst.length);
      for (let i = 0; i < n; i++) dst[i] = table[src[offset + i]];
      return n;
    },
    encode: (f, dst) => enc(f, dst, f.length),
    maxPayload: frame,
    close() {},
  };
}

/** RFC 3551 §4.5.11: L16 is big-endian. */
function l16Codec(frame: number): EndpointCodec {
  return {
    decode(src, offset, bytes, dst) {
      const n = Math.min(bytes >> 1, dst.length);
      for (let i = 0, j = offset; i < n; i++, j += 2) dst[i] = (src[j] << 8) | src[j + 1];
      return n;
    },
    encode: (f, dst) => l16EncodeInto(f, dst, f.length) * 2,
    maxPayload: frame * 2,
    close() {},
  };
}

/** RFC 7587: RTP clock 48 kHz, SDP opus/48000/2; we send mono (every decoder accepts it) and decode to mono. */
function opusCodec(): EndpointCodec {
  const c = new OpusCodec({ rate: 48000 });
  return {
    decode(src, offset, bytes, dst) {
      const n = c.decode(src.subarray(offset, offset + bytes), dst);
      return n < 0 ? 0 : n;
    },
    encode(f, dst) {
      const n = c.encode(f, dst);
      return n < 0 ? 0 : n;
    },
    maxPayload: 1276,
    close: () => c.close(),
  };
}

/** Validate a codec spec without building it (no wasm instantiation). Throws on what the engine cannot carry. */
export function checkCodec(spec: CodecSpec): void {
  const name = spec.name.toUpperCase();
  if (name === 'OPUS') {
    if (spec.clockRate !== 48000) throw new Error('Opus runs with a 48000 Hz RTP clock (RFC 7587 §4.1)');
    return;
  }
  if ((spec.channels ?? 1) !== 1) throw new Error(`only mono audio is supported (got ${spec.channels} channels)`);
  if (name === 'PCMU' || name === 'PCMA') {
    if (spec.clockRate !== 8000) throw new Error(`${name} runs at 8000 Hz`);
    return;
  }
  if (name === 'L16') {
    if (spec.clockRate % 50 !== 0) throw new Error(`L16 at ${spec.clockRate} Hz is not a whole number of samples per 20 ms`);
    return;
  }
  throw new Error(`codec ${spec.name} is not supported by the media engine`);
}

export function createEndpointCodec(spec: CodecSpec): EndpointCodec {
  checkCodec(spec);
  const frame = spec.clockRate / 50;
  const name = spec.name.toUpperCase();
  if (name === 'PCMU') return tableCodec(ULAW_DECODE, pcmuEncodeInto, frame);
  if (name === 'PCMA') return tableCodec(ALAW_DECODE, pcmaEncodeInto, frame);
  if (name === 'L16') return l16Codec(frame);
  return opusCodec();
}
