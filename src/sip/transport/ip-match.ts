// Matching an IP address against a list of addresses and CIDR blocks (IPv4 and IPv6), used
// for flood-protection exemptions. Called once per new source, never per packet.
import { isIP } from 'node:net';

interface Block {
  /** 16 bytes for IPv6; IPv4 is mapped into ::ffff:0:0/96 so one comparison serves both. */
  bytes: Uint8Array;
  prefix: number;
}

/** Parse an address into 16 bytes (IPv4 as IPv4-mapped IPv6), or undefined if invalid. */
export function ipBytes(addr: string): Uint8Array | undefined {
  const kind = isIP(addr);
  if (kind === 4) {
    const out = new Uint8Array(16);
    out[10] = 0xff;
    out[11] = 0xff;
    const parts = addr.split('.');
    for (let i = 0; i < 4; i++) out[12 + i] = Number(parts[i]);
    return out;
  }
  if (kind !== 6) return undefined;
  let s = addr;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const dot = s.lastIndexOf('.');
  if (dot >= 0) {
    const colon = s.lastIndexOf(':');
    const v4 = ipBytes(s.slice(colon + 1));
    if (!v4) return undefined;
    s = `${s.slice(0, colon + 1)}${((v4[12] << 8) | v4[13]).toString(16)}:${((v4[14] << 8) | v4[15]).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = Number.parseInt(groups[i], 16);
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  }
  return out;
}

function parseBlock(entry: string): Block {
  const slash = entry.indexOf('/');
  const addr = slash < 0 ? entry : entry.slice(0, slash);
  const bytes = ipBytes(addr.trim());
  if (!bytes) throw new Error(`not an IP address or CIDR block: ${entry}`);
  const v4 = isIP(addr.trim()) === 4;
  let prefix = 128;
  if (slash >= 0) {
    const p = Number(entry.slice(slash + 1));
    const max = v4 ? 32 : 128;
    if (!Number.isInteger(p) || p < 0 || p > max) throw new Error(`bad CIDR prefix: ${entry}`);
    prefix = v4 ? 96 + p : p;
  }
  return { bytes, prefix };
}

/** A compiled list of IPs / CIDR blocks. Throws on an invalid entry so config errors surface at start. */
export class IpMatcher {
  private readonly blocks: Block[];

  constructor(entries: readonly string[]) {
    this.blocks = entries.map(parseBlock);
  }

  get size(): number {
    return this.blocks.length;
  }

  matches(addr: string): boolean {
    if (this.blocks.length === 0) return false;
    const b = ipBytes(addr);
    if (!b) return false;
    outer: for (const blk of this.blocks) {
      const full = blk.prefix >> 3;
      for (let i = 0; i < full; i++) if (b[i] !== blk.bytes[i]) continue outer;
      const rest = blk.prefix & 7;
      if (rest) {
        const mask = (0xff << (8 - rest)) & 0xff;
        if ((b[full] & mask) !== (blk.bytes[full] & mask)) continue;
      }
      return true;
    }
    return false;
  }
}
