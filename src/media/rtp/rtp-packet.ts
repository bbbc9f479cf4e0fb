/**
 * RTP fixed header parse and write (RFC 3550 §5.1), for the per-packet path.
 *
 * Parsing fills a caller-owned {@link RtpHeader} and never copies or allocates: the payload is
 * described by offset/length into the received buffer (`payloadView()` makes a subarray when a
 * view object is wanted). Writing goes into a caller-provided buffer. This module must never
 * hold on to the buffers it is given.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....  (CC × 32 bits)              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  defined by profile (X=1)     |           length (words)      |  RFC 3550 §5.3.1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        header extension                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   payload ...                 | padding | count |  P=1: last octet = count
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */

/** Why a buffer is not a valid RTP packet. */
export type RtpParseError =
  | 'truncated' // shorter than the 12-byte fixed header, or than its CSRC list / extension
  | 'bad-version' // V != 2
  | 'bad-padding'; // padding count 0 or longer than what follows the header

export const RTP_HEADER_SIZE = 12;
export const RTP_MAX_CSRC = 15;

/** A reusable parse result; one per stream is enough. Fields are valid after a successful parse. */
export class RtpHeader {
  version = 2;
  padding = false;
  extension = false;
  marker = false;
  payloadType = 0;
  sequenceNumber = 0;
  timestamp = 0;
  ssrc = 0;
  csrcCount = 0;
  /** Only the first `csrcCount` entries are meaningful. */
  readonly csrcs = new Uint32Array(RTP_MAX_CSRC);
  /** The 16-bit profile-defined value of the header extension (0 when X=0). */
  extensionProfile = 0;
  /** Offset of the extension data (after its 4-byte header) in the parsed buffer. */
  extensionOffset = 0;
  /** Extension data length in bytes (length field × 4). */
  extensionLength = 0;
  payloadOffset = 0;
  payloadLength = 0;
  /** Padding octets removed from the end, including the count octet itself. */
  paddingLength = 0;

  /** The payload as a view into `buf` (no copy; allocates only the view object). */
  payloadView(buf: Uint8Array): Uint8Array {
    return buf.subarray(this.payloadOffset, this.payloadOffset + this.payloadLength);
  }
}

/**
 * Parse the header of `buf[0..length)` into `out`. Returns undefined on success, else why the
 * packet is malformed (then `out` is partly overwritten and must not be used).
 */
export function parseRtpHeader(buf: Uint8Array, out: RtpHeader, length = buf.length): RtpParseError | undefined {
  if (length < RTP_HEADER_SIZE) return 'truncated';
  const b0 = buf[0];
  const b1 = buf[1];
  const version = b0 >>> 6;
  if (version !== 2) return 'bad-version';
  const cc = b0 & 0x0f;
  out.version = version;
  out.padding = (b0 & 0x20) !== 0;
  out.extension = (b0 & 0x10) !== 0;
  out.csrcCount = cc;
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = b1 & 0x7f;
  out.sequenceNumber = (buf[2] << 8) | buf[3];
  out.timestamp = ((buf[4] << 24) | (buf[5] << 16) | (buf[6] << 8) | buf[7]) >>> 0;
  out.ssrc = ((buf[8] << 24) | (buf[9] << 16) | (buf[10] << 8) | buf[11]) >>> 0;
  let off = RTP_HEADER_SIZE;
  if (off + cc * 4 > length) return 'truncated';
  for (let i = 0; i < cc; i++, off += 4) {
    out.csrcs[i] = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
  }
  // RFC 3550 §5.3.1: the extension length counts 32-bit words after its own 4-byte header.
  if (out.extension) {
    if (off + 4 > length) return 'truncated';
    out.extensionProfile = (buf[off] << 8) | buf[off + 1];
    const words = (buf[off + 2] << 8) | buf[off + 3];
    off += 4;
    if (off + words * 4 > length) return 'truncated';
    out.extensionOffset = off;
    out.extensionLength = words * 4;
    off += words * 4;
  } else {
    out.extensionProfile = 0;
    out.extensionOffset = 0;
    out.extensionLength = 0;
  }
  // RFC 3550 §5.1 (P): the last octet counts the padding octets, itself included.
  let end = length;
  if (out.padding) {
    const pad = buf[length - 1];
    if (pad === 0 || pad > length - off) return 'bad-padding';
    end -= pad;
    out.paddingLength = pad;
  } else {
    out.paddingLength = 0;
  }
  out.payloadOffset = off;
  out.payloadLength = end - off;
  return undefined;
}

/** Thrown by {@link parseRtp} (the convenience, allocating entry point). */
export class RtpParseFailure extends Error {
  constructor(readonly reason: RtpParseError) {
    super(`malformed RTP packet: ${reason}`);
    this.name = 'RtpParseFailure';
  }
}

/** Parse into a fresh header; for tests and cold paths. Throws {@link RtpParseFailure}. */
export function parseRtp(buf: Uint8Array): { header: RtpHeader; payload: Uint8Array } {
  const header = new RtpHeader();
  const err = parseRtpHeader(buf, header);
  if (err) throw new RtpParseFailure(err);
  return { header, payload: header.payloadView(buf) };
}

/** What the writer needs; an {@link RtpHeader} satisfies it. */
export interface RtpHeaderFields {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Default 0. */
  csrcCount?: number;
  /** Read when csrcCount > 0. */
  csrcs?: ArrayLike<number>;
}

/** Options for extension and padding when writing; all absent by default. */
export interface RtpWriteExtras {
  /** Profile-defined 16 bits of a header extension; with `extension` (length multiple of 4). */
  extensionProfile?: number;
  /** Header extension data, copied as is; length must be a multiple of 4. Default none. */
  extension?: Uint8Array;
  /** Padding octets to append (1–255), count octet included. Default 0 (none). */
  padding?: number;
}

/** Bytes the packet will take. */
export function rtpPacketSize(h: RtpHeaderFields, payloadLength: number, extras?: RtpWriteExtras): number {
  const ext = extras?.extension ? 4 + extras.extension.length : 0;
  return RTP_HEADER_SIZE + (h.csrcCount ?? 0) * 4 + ext + payloadLength + (extras?.padding ?? 0);
}

/**
 * Write header + payload into `dst` at `offset`. Returns the number of bytes written.
 * Throws RangeError if `dst` is too small or an argument is out of range (a programming error).
 */
export function writeRtp(
  h: RtpHeaderFields,
  payload: Uint8Array,
  dst: Uint8Array,
  offset = 0,
  extras?: RtpWriteExtras,
): number {
  const cc = h.csrcCount ?? 0;
  const ext = extras?.extension;
  const pad = extras?.padding ?? 0;
  if (cc > RTP_MAX_CSRC) throw new RangeError('at most 15 CSRCs');
  if (ext && ext.length % 4 !== 0) throw new RangeError('extension length must be a multiple of 4');
  if (pad < 0 || pad > 255) throw new RangeError('padding must be 0–255');
  const size = rtpPacketSize(h, payload.length, extras);
  if (offset + size > dst.length) throw new RangeError(`need ${size} bytes at offset ${offset}, have ${dst.length - offset}`);
  let o = offset;
  dst[o++] = 0x80 | (pad > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | cc;
  dst[o++] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  dst[o++] = (h.sequenceNumber >>> 8) & 0xff;
  dst[o++] = h.sequenceNumber & 0xff;
  o = writeU32(dst, o, h.timestamp);
  o = writeU32(dst, o, h.ssrc);
  for (let i = 0; i < cc; i++) o = writeU32(dst, o, h.csrcs![i]);
  if (ext) {
    const profile = extras!.extensionProfile ?? 0;
    dst[o++] = (profile >>> 8) & 0xff;
    dst[o++] = profile & 0xff;
    dst[o++] = (ext.length / 4) >>> 8;
    dst[o++] = (ext.length / 4) & 0xff;
    dst.set(ext, o);
    o += ext.length;
  }
  dst.set(payload, o);
  o += payload.length;
  if (pad > 0) {
    dst.fill(0, o, o + pad - 1);
    o += pad;
    dst[o - 1] = pad;
  }
  return o - offset;
}

function writeU32(dst: Uint8Array, o: number, v: number): number {
  dst[o] = (v >>> 24) & 0xff;
  dst[o + 1] = (v >>> 16) & 0xff;
  dst[o + 2] = (v >>> 8) & 0xff;
  dst[o + 3] = v & 0xff;
  return o + 4;
}
