// createOffer: our initial offer for one audio stream (RFC 3264 §5). The codec list comes from
// the caller (the media engine knows what it can do); this only writes it down properly.

import { WELL_KNOWN_CODECS } from './codecs.ts';
import type { DtlsSetup } from './media-view.ts';
import {
  codecAttributes, connectionFor, dtlsAttributes, iceAttributes, newSessionId, originFor,
  type DtlsParams, type IceParams,
} from './session-builder.ts';
import type { Attribute, Codec, Direction, MediaDescription, SessionDescription } from './types.ts';

export interface OfferOptions {
  /** Address we receive media on (also used in o=); IPv6 when it contains ':'. */
  address: string;
  /** RTP port we receive on. */
  port: number;
  /** Codecs in preference order, each with the payload type to offer it on. */
  codecs: readonly Codec[];
  /** `a=ptime` in ms. Default 20. */
  ptime?: number;
  /** Default 'sendrecv'. */
  direction?: Direction;
  /** Offer `a=rtcp-mux` (RFC 5761). Default false (true is implied by dtls for WebRTC peers, set it). */
  rtcpMux?: boolean;
  /** o= sess-id. Default: random. */
  sessionId?: string;
  /** o= sess-version. Default: equal to the sess-id, as many stacks do. */
  sessionVersion?: string;
  /** o= username. Default '-'. */
  username?: string;
  /** s= line. Default '-'. */
  sessionName?: string;
  /** Add telephone-event/8000 (RFC 4733) unless the codec list has one; false strips it. Default true. */
  telephoneEvent?: boolean;
  /** m= protocol. Default 'RTP/AVP', or 'UDP/TLS/RTP/SAVPF' when dtls is given. */
  protocol?: string;
  /** `a=mid` (RFC 5888). Default: none. */
  mid?: string;
  /** ICE attributes. Default: none. */
  ice?: IceParams;
  /** DTLS-SRTP fingerprint and role (setup defaults to 'actpass' in an offer, RFC 8842 §5.2). */
  dtls?: DtlsParams;
  /** Extra media-level attributes, appended verbatim. Default none. */
  attributes?: readonly Attribute[];
  /** Extra session-level attributes, verbatim. Default none. */
  sessionAttributes?: readonly Attribute[];
}

export function createOffer(opts: OfferOptions): SessionDescription {
  const sessId = opts.sessionId ?? newSessionId();
  let codecs = opts.codecs.slice();
  const isTe = (c: Codec) => c.name.toLowerCase() === 'telephone-event';
  if (opts.telephoneEvent === false) codecs = codecs.filter((c) => !isTe(c));
  else if (!codecs.some(isTe)) {
    const used = new Set(codecs.map((c) => c.payloadType));
    let pt: number = WELL_KNOWN_CODECS.telephoneEvent.payloadType;
    // A dynamic payload type the caller did not take: 101 if free, else the first free in 96-127.
    for (let p = 96; used.has(pt) && p <= 127; p++) pt = p;
    if (used.has(pt)) throw new RangeError('no free dynamic payload type left for telephone-event');
    codecs.push({ ...WELL_KNOWN_CODECS.telephoneEvent, payloadType: pt });
  }
  if (codecs.length === 0) throw new RangeError('createOffer needs at least one codec');

  const attributes: Attribute[] = codecAttributes(codecs);
  attributes.push({ name: 'ptime', value: String(opts.ptime ?? 20) });
  attributes.push({ name: opts.direction ?? 'sendrecv' });
  if (opts.rtcpMux) attributes.push({ name: 'rtcp-mux' });
  if (opts.mid !== undefined) attributes.push({ name: 'mid', value: opts.mid });
  attributes.push(...iceAttributes(opts.ice));
  attributes.push(...dtlsAttributes(opts.dtls, opts.dtls?.setup ?? ('actpass' satisfies DtlsSetup)));
  if (opts.attributes) attributes.push(...opts.attributes.map((a) => ({ ...a })));

  const audio: MediaDescription = {
    type: 'audio',
    port: opts.port,
    protocol: opts.protocol ?? (opts.dtls ? 'UDP/TLS/RTP/SAVPF' : 'RTP/AVP'),
    formats: codecs.map((c) => String(c.payloadType)),
    bandwidths: [],
    attributes,
  };
  return {
    version: 0,
    origin: originFor(opts.address, sessId, opts.sessionVersion ?? sessId, opts.username ?? '-'),
    sessionName: opts.sessionName ?? '-',
    emails: [],
    phones: [],
    connection: connectionFor(opts.address),
    bandwidths: [],
    timing: [{ start: 0, stop: 0, repeats: [] }],
    attributes: (opts.sessionAttributes ?? []).map((a) => ({ ...a })),
    media: [audio],
  };
}
