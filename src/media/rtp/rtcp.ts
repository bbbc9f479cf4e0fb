/**
 * RTCP SR, RR, SDES and BYE parse/build and compound packets (RFC 3550 §6.4–§6.6), plus the
 * rtcp-mux demultiplexing rule (RFC 5761 §4). RTCP is sent every few seconds, so this module
 * favours clear objects over zero allocation; it never touches RTP packets.
 *
 * Common header, then per type (all big-endian):
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P| RC/SC   |      PT       |   length (32-bit words − 1)   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * SR (200): SSRC of sender, NTP ts msw, NTP ts lsw, RTP ts, packet count, octet count,
 *           then RC report blocks.                                          RFC 3550 §6.4.1
 * RR (201): SSRC of packet sender, then RC report blocks.                  RFC 3550 §6.4.2
 * report block (24 bytes):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 SSRC_n (source being reported)                |
 * | fraction lost |  cumulative number of packets lost (signed 24) |
 * |           extended highest sequence number received           |
 * |                      interarrival jitter                      |
 * |                         last SR (LSR)                         |
 * |                   delay since last SR (DLSR)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * SDES (202): SC chunks of { SSRC, items {type(8) len(8) text}…, 0 end, pad to 32 bits } §6.5
 * BYE (203):  SC SSRCs, then optional { len(8) reason } padded to 32 bits.      §6.6
 * ```
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const SDES_CNAME = 1;

export interface RtcpReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, as a fixed-point fraction × 256 (0–255). */
  fractionLost: number;
  /** Cumulative packets lost; signed 24-bit (negative when duplicates outnumber losses). */
  cumulativeLost: number;
  extendedHighestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the last SR's NTP timestamp; 0 if none received. */
  lsr: number;
  /** Delay since that SR in 1/65536 s; 0 if none received. */
  dlsr: number;
}

export interface RtcpSenderReport {
  type: 'sr';
  ssrc: number;
  ntpMsw: number;
  ntpLsw: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: RtcpReportBlock[];
}

export interface RtcpReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: RtcpReportBlock[];
}

export interface RtcpSdesItem {
  /** 1 CNAME, 2 NAME, … (RFC 3550 §6.5). */
  type: number;
  text: string;
}

export interface RtcpSdes {
  type: 'sdes';
  chunks: { ssrc: number; items: RtcpSdesItem[] }[];
}

export interface RtcpBye {
  type: 'bye';
  ssrcs: number[];
  reason?: string;
}

/** A packet type this module does not interpret (APP, RTPFB, PSFB, XR …), kept as bytes. */
export interface RtcpOther {
  type: 'other';
  packetType: number;
  /** The 5-bit count field. */
  count: number;
  /** Everything after the 4-byte common header, padding removed. */
  body: Uint8Array;
}

export type RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSdes | RtcpBye | RtcpOther;

/** Thrown for bytes that are not a valid (compound) RTCP packet. */
export class RtcpParseError extends Error {
  constructor(message: string) {
    super(`malformed RTCP: ${message}`);
    this.name = 'RtcpParseError';
  }
}

/**
 * RFC 5761 §4: on a multiplexed port, a packet whose second octet (marker bit + payload type,
 * read as RTCP's 8-bit PT) lies in 192–223 — i.e. payload type 64–95 — is RTCP.
 */
export function isRtcp(buf: Uint8Array): boolean {
  if (buf.length < 2) return false;
  const pt = buf[1] & 0x7f;
  return pt >= 64 && pt <= 95;
}

/**
 * Parse a compound RTCP packet. RFC 3550 §6.1 / Appendix A.2 checks: version 2 everywhere,
 * lengths add up exactly, padding only in the last packet; the first packet must be SR or RR
 * unless `requireReportFirst` is false (RFC 5506 reduced-size RTCP).
 */
export function parseRtcp(buf: Uint8Array, requireReportFirst = true): RtcpPacket[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: RtcpPacket[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 4 > buf.length) throw new RtcpParseError('truncated header');
    const b0 = buf[off];
    if (b0 >> 6 !== 2) throw new RtcpParseError('version is not 2');
    const count = b0 & 0x1f;
    const pt = buf[off + 1];
    const len = (dv.getUint16(off + 2) + 1) * 4;
    if (off + len > buf.length) throw new RtcpParseError('length beyond the datagram');
    let end = off + len;
    if (b0 & 0x20) {
      if (end !== buf.length) throw new RtcpParseError('padding in a packet that is not the last');
      const pad = buf[end - 1];
      if (pad === 0 || pad > len - 4) throw new RtcpParseError('bad padding');
      end -= pad;
    }
    if (out.length === 0 && requireReportFirst && pt !== RTCP_SR && pt !== RTCP_RR) {
      throw new RtcpParseError('compound packet does not start with SR or RR');
    }
    out.push(parseOne(dv, buf, off + 4, end, pt, count));
    off += len;
  }
  if (out.length === 0) throw new RtcpParseError('empty');
  return out;
}

function parseOne(dv: DataView, buf: Uint8Array, o: number, end: number, pt: number, count: number): RtcpPacket {
  const need = (n: number) => { if (o + n > end) throw new RtcpParseError(`packet type ${pt} too short`); };
  switch (pt) {
    case RTCP_SR: {
      need(24 + count * 24);
      const sr: RtcpSenderReport = {
        type: 'sr', ssrc: dv.getUint32(o), ntpMsw: dv.getUint32(o + 4), ntpLsw: dv.getUint32(o + 8),
        rtpTimestamp: dv.getUint32(o + 12), packetCount: dv.getUint32(o + 16), octetCount: dv.getUint32(o + 20),
        reports: parseBlocks(dv, o + 24, count),
      };
      return sr;
    }
    case RTCP_RR: {
      need(4 + count * 24);
      return { type: 'rr', ssrc: dv.getUint32(o), reports: parseBlocks(dv, o + 4, count) };
    }
    case RTCP_SDES: {
      const chunks: RtcpSdes['chunks'] = [];
      for (let i = 0; i < count; i++) {
        need(4);
        const ssrc = dv.getUint32(o);
        o += 4;
        const items: RtcpSdesItem[] = [];
        for (;;) {
          need(1);
          const type = buf[o];
          if (type === 0) break; // end of list; the chunk is then padded to 32 bits
          need(2);
          const l = buf[o + 1];
          need(2 + l);
          items.push({ type, text: Buffer.from(buf.buffer, buf.byteOffset + o + 2, l).toString('utf8') });
          o += 2 + l;
        }
        o = (o + 4) & ~3; // skip the null octet(s) up to the next 32-bit boundary
        chunks.push({ ssrc, items });
      }
      return { type: 'sdes', chunks };
    }
    case RTCP_BYE: {
      need(count * 4);
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(dv.getUint32(o + i * 4));
      o += count * 4;
      const bye: RtcpBye = { type: 'bye', ssrcs };
      if (o < end) {
        const l = buf[o];
        need(1 + l);
        bye.reason = Buffer.from(buf.buffer, buf.byteOffset + o + 1, l).toString('utf8');
      }
      return bye;
    }
    default:
      return { type: 'other', packetType: pt, count, body: buf.subarray(o, end) };
  }
}

function parseBlocks(dv: DataView, o: number, count: number): RtcpReportBlock[] {
  const blocks: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++, o += 24) {
    const word = dv.getUint32(o + 4);
    blocks.push({
      ssrc: dv.getUint32(o),
      fractionLost: word >>> 24,
      cumulativeLost: (word << 8) >> 8, // sign-extend the 24-bit field
      extendedHighestSeq: dv.getUint32(o + 8),
      jitter: dv.getUint32(o + 12),
      lsr: dv.getUint32(o + 16),
      dlsr: dv.getUint32(o + 20),
    });
  }
  return blocks;
}

/** Serialize packets back to back into one compound packet (no padding is added). */
export function buildRtcp(packets: readonly RtcpPacket[]): Buffer {
  const parts = packets.map(buildOne);
  return Buffer.concat(parts);
}

function header(buf: Buffer, count: number, pt: number): void {
  if (count > 31) throw new RangeError('RTCP count field holds at most 31');
  buf[0] = 0x80 | count;
  buf[1] = pt;
  buf.writeUInt16BE(buf.length / 4 - 1, 2);
}

function buildOne(p: RtcpPacket): Buffer {
  switch (p.type) {
    case 'sr': {
      const b = Buffer.alloc(28 + 24 * p.reports.length);
      header(b, p.reports.length, RTCP_SR);
      b.writeUInt32BE(p.ssrc >>> 0, 4);
      b.writeUInt32BE(p.ntpMsw >>> 0, 8);
      b.writeUInt32BE(p.ntpLsw >>> 0, 12);
      b.writeUInt32BE(p.rtpTimestamp >>> 0, 16);
      b.writeUInt32BE(p.packetCount >>> 0, 20);
      b.writeUInt32BE(p.octetCount >>> 0, 24);
      writeBlocks(b, 28, p.reports);
      return b;
    }
    case 'rr': {
      const b = Buffer.alloc(8 + 24 * p.reports.length);
      header(b, p.reports.length, RTCP_RR);
      b.writeUInt32BE(p.ssrc >>> 0, 4);
      writeBlocks(b, 8, p.reports);
      return b;
    }
    case 'sdes': {
      const chunks = p.chunks.map((c) => {
        const items = c.items.map((it) => {
          const t = Buffer.from(it.text, 'utf8');
          if (t.length > 255) throw new RangeError('SDES item longer than 255 octets');
          return Buffer.concat([Buffer.from([it.type, t.length]), t]);
        });
        const body = Buffer.concat([Buffer.alloc(4), ...items]);
        body.writeUInt32BE(c.ssrc >>> 0, 0);
        // At least one null octet ends the item list, then pad to 32 bits (RFC 3550 §6.5).
        const padded = Buffer.alloc((body.length + 4) & ~3);
        body.copy(padded);
        return padded;
      });
      const b = Buffer.concat([Buffer.alloc(4), ...chunks]);
      header(b, p.chunks.length, RTCP_SDES);
      return b;
    }
    case 'bye': {
      const reason = p.reason !== undefined ? Buffer.from(p.reason, 'utf8') : undefined;
      if (reason && reason.length > 255) throw new RangeError('BYE reason longer than 255 octets');
      const raw = 4 + 4 * p.ssrcs.length + (reason ? 1 + reason.length : 0);
      const b = Buffer.alloc((raw + 3) & ~3);
      header(b, p.ssrcs.length, RTCP_BYE);
      p.ssrcs.forEach((s, i) => b.writeUInt32BE(s >>> 0, 4 + 4 * i));
      if (reason) {
        b[4 + 4 * p.ssrcs.length] = reason.length;
        reason.copy(b, 5 + 4 * p.ssrcs.length);
      }
      return b;
    }
    case 'other': {
      if (p.body.length % 4 !== 0) throw new RangeError('RTCP body must be a multiple of 4 octets');
      const b = Buffer.alloc(4 + p.body.length);
      header(b, p.count, p.packetType);
      b.set(p.body, 4);
      return b;
    }
  }
}

function writeBlocks(b: Buffer, o: number, blocks: readonly RtcpReportBlock[]): void {
  for (const r of blocks) {
    b.writeUInt32BE(r.ssrc >>> 0, o);
    const lost = Math.max(-0x800000, Math.min(0x7fffff, r.cumulativeLost));
    b.writeUInt32BE((((r.fractionLost & 0xff) << 24) | (lost & 0xffffff)) >>> 0, o + 4);
    b.writeUInt32BE(r.extendedHighestSeq >>> 0, o + 8);
    b.writeUInt32BE(r.jitter >>> 0, o + 12);
    b.writeUInt32BE(r.lsr >>> 0, o + 16);
    b.writeUInt32BE(r.dlsr >>> 0, o + 20);
    o += 24;
  }
}
