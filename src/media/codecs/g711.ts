/**
 * G.711 PCMU (µ-law) and PCMA (A-law) codecs (ITU-T G.711), table-driven for the per-packet path.
 *
 * Tables are built once at module load: 256-entry decode tables (code → Int16) and 64 KiB encode
 * tables indexed by the 16-bit sample's bit pattern. The `*Into` functions write into caller
 * arrays and allocate nothing. The segment arithmetic is the classic reference formulation
 * (Sun Microsystems' public-domain g711.c); µ-law clips at ±32635 before biasing.
 */

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

function ulawDecodeOne(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

function ulawEncodeOne(sample: number): number {
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (sign) s = -s;
  if (s > ULAW_CLIP) s = ULAW_CLIP;
  s += ULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

// A-law works on 13-bit magnitudes; even bits are inverted on the wire (XOR 0x55).
const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function alawDecodeOne(code: number): number {
  const a = code ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

function alawEncodeOne(sample: number): number {
  let v = sample >> 3;
  let mask: number;
  if (v >= 0) mask = 0xd5;
  else { mask = 0x55; v = -v - 1; }
  let seg = 0;
  while (seg < 8 && v > ALAW_SEG_END[seg]) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  let a = seg << 4;
  a |= seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return a ^ mask;
}

function buildDecode(f: (c: number) => number): Int16Array {
  const t = new Int16Array(256);
  for (let c = 0; c < 256; c++) t[c] = f(c);
  return t;
}

function buildEncode(f: (s: number) => number): Uint8Array {
  const t = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = f((i << 16) >> 16);
  return t;
}

/** µ-law code → linear sample. */
export const ULAW_DECODE: Readonly<Int16Array> = buildDecode(ulawDecodeOne);
/** Linear sample & 0xffff → µ-law code. */
export const ULAW_ENCODE: Readonly<Uint8Array> = buildEncode(ulawEncodeOne);
/** A-law code → linear sample. */
export const ALAW_DECODE: Readonly<Int16Array> = buildDecode(alawDecodeOne);
/** Linear sample & 0xffff → A-law code. */
export const ALAW_ENCODE: Readonly<Uint8Array> = buildEncode(alawEncodeOne);

/** Decode `n` µ-law bytes (default all of src) into dst; returns samples written. */
export function pcmuDecodeInto(src: Uint8Array, dst: Int16Array, n = src.length): number {
  const t = ULAW_DECODE;
  for (let i = 0; i < n; i++) dst[i] = t[src[i]];
  return n;
}

/** Encode `n` samples (default all of src) into µ-law bytes; returns bytes written. */
export function pcmuEncodeInto(src: Int16Array, dst: Uint8Array, n = src.length): number {
  const t = ULAW_ENCODE;
  for (let i = 0; i < n; i++) dst[i] = t[src[i] & 0xffff];
  return n;
}

/** Decode `n` A-law bytes (default all of src) into dst; returns samples written. */
export function pcmaDecodeInto(src: Uint8Array, dst: Int16Array, n = src.length): number {
  const t = ALAW_DECODE;
  for (let i = 0; i < n; i++) dst[i] = t[src[i]];
  return n;
}

/** Encode `n` samples (default all of src) into A-law bytes; returns bytes written. */
export function pcmaEncodeInto(src: Int16Array, dst: Uint8Array, n = src.length): number {
  const t = ALAW_ENCODE;
  for (let i = 0; i < n; i++) dst[i] = t[src[i] & 0xffff];
  return n;
}

/** A sample-domain codec over 1 byte per sample, as used by the worker's codec table. */
export interface G711Codec {
  readonly name: 'PCMU' | 'PCMA';
  /** RFC 3551 §6 static payload type: 0 for PCMU, 8 for PCMA. */
  readonly payloadType: number;
  decodeInto(src: Uint8Array, dst: Int16Array, n?: number): number;
  encodeInto(src: Int16Array, dst: Uint8Array, n?: number): number;
}

export const PCMU: G711Codec = { name: 'PCMU', payloadType: 0, decodeInto: pcmuDecodeInto, encodeInto: pcmuEncodeInto };
export const PCMA: G711Codec = { name: 'PCMA', payloadType: 8, decodeInto: pcmaDecodeInto, encodeInto: pcmaEncodeInto };
