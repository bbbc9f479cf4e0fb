// Pieces shared by createOffer, negotiateAnswer and the re-offer helpers: building the lines of
// our own descriptions and reasoning about directions. Internal to src/sdp (index.ts re-exports
// only the option types that appear in public signatures).

import { randomInt } from 'node:crypto';
import { formatCandidate, type IceCandidate } from './ice-candidate.ts';
import type { DtlsSetup, Fingerprint } from './media-view.ts';
import type { Attribute, Codec, Connection, Direction, Origin } from './types.ts';

/** ICE attributes to write into our media section (RFC 8839 §5). */
export interface IceParams {
  ufrag: string;
  pwd: string;
  /** `a=ice-options` tokens, e.g. ['trickle']. Default: none. */
  options?: string[];
  /** Candidates to list; default none (trickle). */
  candidates?: (IceCandidate | string)[];
  /** Write `a=end-of-candidates`. Default false. */
  endOfCandidates?: boolean;
}

/** DTLS-SRTP attributes to write into our media section (RFC 5763, RFC 8842). */
export interface DtlsParams {
  fingerprint: Fingerprint;
  /** Our role. Default: 'actpass' in offers; in answers the role the offer leaves us (RFC 8842 §5.3). */
  setup?: DtlsSetup;
}

/** A random sess-id: NTP-ish magnitude like most stacks, safe below 2^53. */
export function newSessionId(): string {
  return String(randomInt(1_000_000_000, 2 ** 47));
}

export function connectionFor(address: string): Connection {
  return { netType: 'IN', addrType: address.includes(':') ? 'IP6' : 'IP4', address };
}

export function originFor(address: string, sessId: string, sessVersion: string, username: string): Origin {
  const c = connectionFor(address);
  return { username, sessId, sessVersion, netType: c.netType, addrType: c.addrType, address };
}

/** rtpmap (+ fmtp) lines for each codec in order (RFC 8866 §6.6; rtpmap also for static types). */
export function codecAttributes(codecs: readonly Codec[]): Attribute[] {
  const out: Attribute[] = [];
  for (const c of codecs) {
    const ch = c.channels ?? 1;
    // RFC 3551 §4.1: a channel count is written only when it is not 1, except opus which always says /2 (RFC 7587 §7).
    const enc = ch !== 1 || c.name.toLowerCase() === 'opus' ? `${c.name}/${c.clockRate}/${ch}` : `${c.name}/${c.clockRate}`;
    out.push({ name: 'rtpmap', value: `${c.payloadType} ${enc}` });
    if (c.fmtp !== undefined && c.fmtp !== '') out.push({ name: 'fmtp', value: `${c.payloadType} ${c.fmtp}` });
  }
  return out;
}

export function iceAttributes(ice: IceParams | undefined): Attribute[] {
  if (!ice) return [];
  const out: Attribute[] = [{ name: 'ice-ufrag', value: ice.ufrag }, { name: 'ice-pwd', value: ice.pwd }];
  if (ice.options?.length) out.push({ name: 'ice-options', value: ice.options.join(' ') });
  for (const c of ice.candidates ?? []) out.push({ name: 'candidate', value: typeof c === 'string' ? c : formatCandidate(c) });
  if (ice.endOfCandidates) out.push({ name: 'end-of-candidates' });
  return out;
}

export function dtlsAttributes(dtls: DtlsParams | undefined, setup: DtlsSetup): Attribute[] {
  if (!dtls) return [];
  return [
    { name: 'fingerprint', value: `${dtls.fingerprint.algorithm} ${dtls.fingerprint.value}` },
    { name: 'setup', value: setup },
  ];
}

export function sends(d: Direction): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

export function receives(d: Direction): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}

export function directionFrom(send: boolean, recv: boolean): Direction {
  return send ? (recv ? 'sendrecv' : 'sendonly') : recv ? 'recvonly' : 'inactive';
}

/**
 * RFC 3264 §8.4 (and RFC 2543 before it): a connection address of 0.0.0.0 means "do not send
 * to me" — the old way to put a call on hold. Some IPv6 stacks do the same with '::'.
 */
export function isLegacyHold(c: Connection | undefined): boolean {
  return c !== undefined && (c.address === '0.0.0.0' || c.address === '::');
}

/** RFC 3605: a=rtcp port, else RTP port + 1; with rtcp-mux the RTP port itself (RFC 5761). */
export function rtcpPortOf(rtpPort: number, rtcpMux: boolean, rtcpAttrPort: number | undefined): number {
  if (rtcpMux) return rtpPort;
  return rtcpAttrPort ?? rtpPort + 1;
}
