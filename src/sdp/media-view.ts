// Typed, read-only views of one media description's attributes: what offer/answer, the media
// engine and the WebRTC layer need to read, resolved against the session level where the RFCs
// let a session-level value apply to every media (direction, ICE credentials, DTLS fingerprint
// and setup, extmap). Computed in one pass over the attribute lists; never written back —
// edit `attributes` to change a description.

import { DIRECTIONS } from './attributes.ts';
import { parseCandidate, type IceCandidate } from './ice-candidate.ts';
import type { Attribute, Connection, Direction, MediaDescription, SessionDescription } from './types.ts';

/** `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]` (RFC 8866 §6.6). */
export interface RtpMap {
  payloadType: number;
  encoding: string;
  clockRate: number;
  /** Present only when written (audio channels). */
  channels?: number;
}

/** `a=rtcp:<port> [IN IP4 <addr>]` (RFC 3605). */
export interface RtcpAttribute {
  port: number;
  netType?: string;
  addrType?: string;
  address?: string;
}

/** `a=fingerprint:<hash-func> <value>` (RFC 8122 §5). */
export interface Fingerprint {
  /** Hash function as written, e.g. 'sha-256'. */
  algorithm: string;
  /** Colon-separated upper-case hex as written. */
  value: string;
}

/** `a=ssrc:<ssrc-id> <attribute>[:<value>]` (RFC 5576 §4.1). */
export interface SsrcLine {
  id: number;
  attribute: string;
  value?: string;
}

/** `a=ssrc-group:<semantics> <ssrc-id> …` (RFC 5576 §4.2). */
export interface SsrcGroup {
  semantics: string;
  ssrcs: number[];
}

/** `a=extmap:<id>[/<direction>] <uri> [<extension attributes>]` (RFC 8285 §8). */
export interface ExtMap {
  id: number;
  direction?: Direction;
  uri: string;
  attributes?: string;
}

/** `a=rtcp-fb:<pt|*> <type> [<subtype>]` (RFC 4585 §4.2). */
export interface RtcpFeedback {
  /** A payload type as written, or '*'. */
  payloadType: string;
  type: string;
  subtype?: string;
}

export type DtlsSetup = 'active' | 'passive' | 'actpass' | 'holdconn';

export interface MediaView {
  /** rtpmap lines by payload type. Static types without rtpmap are not here; see codecsOf(). */
  rtpmap: Map<number, RtpMap>;
  /** Raw fmtp parameters by payload type. */
  fmtp: Map<number, string>;
  /** `a=ptime` in ms (RFC 8866 §6.4). */
  ptime?: number;
  /** `a=maxptime` in ms (RFC 8866 §6.5). */
  maxptime?: number;
  /** Media-level direction, else session-level, else 'sendrecv' (RFC 8866 §6.7). */
  direction: Direction;
  /** The connection that applies: media-level c= else session-level c=. */
  connection?: Connection;
  rtcp?: RtcpAttribute;
  /** `a=rtcp-mux` (RFC 5761 §5.1.1). */
  rtcpMux: boolean;
  /** `a=rtcp-rsize` (RFC 5506). */
  rtcpRsize: boolean;
  /** `a=mid` (RFC 5888). */
  mid?: string;
  ice: {
    /** Media-level, else session-level (RFC 8839 §5.4). */
    ufrag?: string;
    pwd?: string;
    options?: string[];
    /** Session-level `a=ice-lite`. */
    lite: boolean;
    /** Parsed candidates; malformed ones are skipped (they stay in `attributes`). */
    candidates: IceCandidate[];
    endOfCandidates: boolean;
  };
  dtls: {
    /** Media-level fingerprints, else session-level ones (RFC 8122 §5). */
    fingerprints: Fingerprint[];
    /** `a=setup` (RFC 4145 §4), media-level else session-level. */
    setup?: DtlsSetup;
  };
  ssrcs: SsrcLine[];
  ssrcGroups: SsrcGroup[];
  /** Media-level extmaps, plus session-level ones (RFC 8285 §5). */
  extmaps: ExtMap[];
  rtcpFb: RtcpFeedback[];
}

/** Read the typed view of `m`, falling back to `sd` for session-level values. */
export function mediaView(m: MediaDescription, sd?: SessionDescription): MediaView {
  const v: MediaView = {
    rtpmap: new Map(), fmtp: new Map(), direction: 'sendrecv', rtcpMux: false, rtcpRsize: false,
    ice: { lite: false, candidates: [], endOfCandidates: false },
    dtls: { fingerprints: [] },
    ssrcs: [], ssrcGroups: [], extmaps: [], rtcpFb: [],
  };
  v.connection = m.connection ?? sd?.connection;
  let direction: Direction | undefined;
  for (const a of m.attributes) direction = readAttribute(v, a, direction);
  if (sd) {
    // Session-level values apply only where the media level said nothing.
    const media = { ufrag: v.ice.ufrag, pwd: v.ice.pwd, options: v.ice.options, fps: v.dtls.fingerprints.length, setup: v.dtls.setup };
    const s: MediaView = {
      rtpmap: new Map(), fmtp: new Map(), direction: 'sendrecv', rtcpMux: false, rtcpRsize: false,
      ice: { lite: false, candidates: [], endOfCandidates: false }, dtls: { fingerprints: [] },
      ssrcs: [], ssrcGroups: [], extmaps: [], rtcpFb: [],
    };
    let sessionDirection: Direction | undefined;
    for (const a of sd.attributes) {
      if (a.name === 'ice-lite') v.ice.lite = true;
      else sessionDirection = readAttribute(s, a, sessionDirection);
    }
    direction ??= sessionDirection;
    v.ice.ufrag = media.ufrag ?? s.ice.ufrag;
    v.ice.pwd = media.pwd ?? s.ice.pwd;
    v.ice.options = media.options ?? s.ice.options;
    if (media.fps === 0) v.dtls.fingerprints = s.dtls.fingerprints;
    v.dtls.setup = media.setup ?? s.dtls.setup;
    v.extmaps.push(...s.extmaps);
  }
  v.direction = direction ?? 'sendrecv';
  return v;
}

function toInt(s: string | undefined): number | undefined {
  if (s === undefined || s.length === 0) return undefined;
  const n = Number(s);
  return Number.isInteger(n) ? n : undefined;
}

/** Fold one attribute into the view; returns the direction seen so far (first one wins). */
function readAttribute(v: MediaView, a: Attribute, direction: Direction | undefined): Direction | undefined {
  const val = a.value;
  if (val === undefined) {
    switch (a.name) {
      case 'rtcp-mux': v.rtcpMux = true; break;
      case 'rtcp-rsize': v.rtcpRsize = true; break;
      case 'end-of-candidates': v.ice.endOfCandidates = true; break;
      default:
        if (direction === undefined && (DIRECTIONS as readonly string[]).includes(a.name)) return a.name as Direction;
    }
    return direction;
  }
  switch (a.name) {
    case 'rtpmap': {
      // RFC 8866 §6.6: <payload type> <encoding name>/<clock rate>[/<encoding parameters>]
      const sp = val.indexOf(' ');
      const pt = toInt(val.slice(0, sp));
      if (sp < 0 || pt === undefined) break;
      const enc = val.slice(sp + 1).trim().split('/');
      const clockRate = toInt(enc[1]);
      if (!enc[0] || clockRate === undefined) break;
      const r: RtpMap = { payloadType: pt, encoding: enc[0], clockRate };
      const ch = toInt(enc[2]);
      if (ch !== undefined) r.channels = ch;
      if (!v.rtpmap.has(pt)) v.rtpmap.set(pt, r);
      break;
    }
    case 'fmtp': {
      const sp = val.indexOf(' ');
      const pt = toInt(sp < 0 ? val : val.slice(0, sp));
      if (pt !== undefined && !v.fmtp.has(pt)) v.fmtp.set(pt, sp < 0 ? '' : val.slice(sp + 1).trim());
      break;
    }
    case 'ptime': v.ptime ??= positive(val); break;
    case 'maxptime': v.maxptime ??= positive(val); break;
    case 'rtcp': {
      const f = val.split(' ');
      const port = toInt(f[0]);
      if (port === undefined) break;
      v.rtcp = f.length >= 4 ? { port, netType: f[1], addrType: f[2], address: f[3] } : { port };
      break;
    }
    case 'mid': v.mid ??= val; break;
    case 'ice-ufrag': v.ice.ufrag ??= val; break;
    case 'ice-pwd': v.ice.pwd ??= val; break;
    case 'ice-options': v.ice.options ??= val.split(' ').filter(Boolean); break;
    case 'candidate': {
      const c = parseCandidate(val);
      if (c) v.ice.candidates.push(c);
      break;
    }
    case 'fingerprint': {
      const sp = val.indexOf(' ');
      if (sp > 0) v.dtls.fingerprints.push({ algorithm: val.slice(0, sp), value: val.slice(sp + 1).trim() });
      break;
    }
    case 'setup':
      if (val === 'active' || val === 'passive' || val === 'actpass' || val === 'holdconn') v.dtls.setup ??= val;
      break;
    case 'ssrc': {
      const sp = val.indexOf(' ');
      const id = toInt(sp < 0 ? val : val.slice(0, sp));
      if (id === undefined) break;
      const rest = sp < 0 ? '' : val.slice(sp + 1);
      const colon = rest.indexOf(':');
      v.ssrcs.push(colon < 0 ? { id, attribute: rest } : { id, attribute: rest.slice(0, colon), value: rest.slice(colon + 1) });
      break;
    }
    case 'ssrc-group': {
      const f = val.split(' ');
      v.ssrcGroups.push({ semantics: f[0]!, ssrcs: f.slice(1).map(Number).filter(Number.isInteger) });
      break;
    }
    case 'extmap': {
      const f = val.split(' ');
      if (f.length < 2) break;
      const [idText, dir] = f[0]!.split('/');
      const id = toInt(idText);
      if (id === undefined) break;
      const e: ExtMap = { id, uri: f[1]! };
      if (dir && (DIRECTIONS as readonly string[]).includes(dir)) e.direction = dir as Direction;
      if (f.length > 2) e.attributes = f.slice(2).join(' ');
      v.extmaps.push(e);
      break;
    }
    case 'rtcp-fb': {
      const f = val.split(' ');
      if (f.length < 2) break;
      const fb: RtcpFeedback = { payloadType: f[0]!, type: f[1]! };
      if (f.length > 2) fb.subtype = f.slice(2).join(' ');
      v.rtcpFb.push(fb);
      break;
    }
  }
  return direction;
}

function positive(s: string): number | undefined {
  const n = Number(s.trim());
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
