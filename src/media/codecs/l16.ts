/**
 * L16: 16-bit linear PCM in network byte order (RFC 3551 §4.5.11), i.e. big-endian on the wire
 * while Int16Array is host (little-endian) order. Writes into caller arrays; allocates nothing.
 */

/** Decode `n` samples (default: all whole samples in src) of big-endian bytes; returns samples written. */
export function l16DecodeInto(src: Uint8Array, dst: Int16Array, n = src.length >> 1): number {
  for (let i = 0, o = 0; i < n; i++, o += 2) dst[i] = ((src[o] << 24) | (src[o + 1] << 16)) >> 16;
  return n;
}

/** Encode `n` samples (default all of src) as big-endian bytes; returns bytes written. */
export function l16EncodeInto(src: Int16Array, dst: Uint8Array, n = src.length): number {
  for (let i = 0, o = 0; i < n; i++, o += 2) {
    const s = src[i];
    dst[o] = (s >> 8) & 0xff;
    dst[o + 1] = s & 0xff;
  }
  return n * 2;
}
