/**
 * Reads UDP datagrams out of a classic libpcap capture, so tests and benchmarks can feed real
 * captured RTP (e.g. SIPp's /usr/share/sip-tester/*.pcap) through the media code.
 * Not for the per-packet path: it allocates freely. pcapng is not supported (it says so).
 *
 * ```
 * global header (24 bytes)           record header (16 bytes), then incl_len bytes of frame
 * +--------+-----+-----+------+      +--------+---------+----------+----------+
 * | magic  |major|minor| ...  |      | ts_sec | ts_usec | incl_len | orig_len |
 * | 4      | 2   | 2   | 8+4  |      | 4      | 4       | 4        | 4        |
 * +--------+-----+-----+------+      +--------+---------+----------+----------+
 *   … snaplen (4) and linktype (4) end the global header; byte order follows the magic.
 * ```
 * Link types: 1 Ethernet (14 bytes, 802.1Q tags skipped), 113 Linux cooked SLL (16),
 * 276 SLL2 (20), 0 BSD loopback (4), 101/228 raw IPv4. Then IPv4 (IHL × 4 bytes) + UDP (8).
 */

export interface PcapUdpDatagram {
  /** Capture time in seconds (fractional). */
  time: number;
  srcAddress: string;
  dstAddress: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;
export const LINKTYPE_NULL = 0;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_IPV4 = 228;

/** The UDP-over-IPv4 datagrams in a pcap file's bytes, in capture order; other frames are skipped. */
export function readPcapUdp(file: Uint8Array): PcapUdpDatagram[] {
  if (file.length < 24) throw new Error('pcap: shorter than the 24-byte global header');
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magicLE = dv.getUint32(0, true);
  let le: boolean;
  let nanos = false;
  if (magicLE === 0xa1b2c3d4) le = true;
  else if (magicLE === 0xd4c3b2a1) le = false;
  else if (magicLE === 0xa1b23c4d) { le = true; nanos = true; }
  else if (magicLE === 0x4d3cb2a1) { le = false; nanos = true; }
  else if (magicLE === 0x0a0d0d0a) throw new Error('pcap: pcapng files are not supported');
  else throw new Error(`pcap: bad magic 0x${magicLE.toString(16)}`);
  const linktype = dv.getUint32(20, le) & 0x0fffffff;
  const out: PcapUdpDatagram[] = [];
  let off = 24;
  while (off + 16 <= file.length) {
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    off += 16;
    if (off + incl > file.length) throw new Error('pcap: truncated record');
    const frame = file.subarray(off, off + incl);
    off += incl;
    const ipOff = ipv4Offset(frame, linktype);
    if (ipOff < 0) continue;
    const d = udpOfIpv4(frame, ipOff);
    if (d) out.push({ time: sec + frac / (nanos ? 1e9 : 1e6), ...d });
  }
  return out;
}

/** Offset of the IPv4 header inside a frame, or -1 if the frame is not IPv4. */
function ipv4Offset(f: Uint8Array, linktype: number): number {
  switch (linktype) {
    case LINKTYPE_ETHERNET: {
      let o = 12;
      let type = (f[o] << 8) | f[o + 1];
      while (type === 0x8100 || type === 0x88a8) { o += 4; type = (f[o] << 8) | f[o + 1]; }
      return type === 0x0800 ? o + 2 : -1;
    }
    case LINKTYPE_LINUX_SLL:
      return ((f[14] << 8) | f[15]) === 0x0800 ? 16 : -1;
    case LINKTYPE_LINUX_SLL2:
      return ((f[0] << 8) | f[1]) === 0x0800 ? 20 : -1;
    case LINKTYPE_NULL:
      return 4;
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
      return 0;
    default:
      throw new Error(`pcap: unsupported link type ${linktype}`);
  }
}

function udpOfIpv4(f: Uint8Array, o: number): Omit<PcapUdpDatagram, 'time'> | undefined {
  if (o + 20 > f.length || f[o] >> 4 !== 4) return undefined;
  const ihl = (f[o] & 0x0f) * 4;
  const totalLen = (f[o + 2] << 8) | f[o + 3];
  const fragOff = ((f[o + 6] & 0x1f) << 8) | f[o + 7];
  if (f[o + 9] !== 17 || fragOff !== 0 || ihl < 20) return undefined;
  const u = o + ihl;
  if (u + 8 > f.length) return undefined;
  const udpLen = (f[u + 4] << 8) | f[u + 5];
  const end = Math.min(f.length, u + udpLen, o + totalLen);
  return {
    srcAddress: `${f[o + 12]}.${f[o + 13]}.${f[o + 14]}.${f[o + 15]}`,
    dstAddress: `${f[o + 16]}.${f[o + 17]}.${f[o + 18]}.${f[o + 19]}`,
    srcPort: (f[u] << 8) | f[u + 1],
    dstPort: (f[u + 2] << 8) | f[u + 3],
    payload: f.subarray(u + 8, end),
  };
}
