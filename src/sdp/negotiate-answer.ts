// negotiateAnswer: the UAS side of RFC 3264 §6 for a voice endpoint that takes ONE audio
// stream. It accepts the first offered audio m-line it can serve, answers it with one codec
// (plus telephone-event when both do RFC 4733), and rejects every other m-line with port 0,
// keeping their order so the answer lines up with the offer (§6). It never throws on a
// peer's offer: what it cannot accept becomes a 488 with a reason.

import { codecLabel, codecsOf, isAuxiliaryCodec, sameCodec } from './codecs.ts';
import { getAttribute } from './attributes.ts';
import { mediaView, type DtlsSetup, type MediaView } from './media-view.ts';
import {
  codecAttributes, connectionFor, directionFrom, dtlsAttributes, iceAttributes, isLegacyHold,
  newSessionId, originFor, receives, rtcpPortOf, sends, type DtlsParams, type IceParams,
} from './session-builder.ts';
import type {
  Attribute, Codec, Direction, MediaDescription, NegotiatedMedia, NegotiationError, Origin, SessionDescription,
} from './types.ts';
import { serializeSdp } from './serialize-sdp.ts';

export interface AnswerOptions {
  /** Address we receive media on (also used in o=); IPv6 when it contains ':'. */
  address: string;
  /** RTP port we receive on. */
  port: number;
  /** Codecs we support, in our preference order (their payload types are ignored in answers). */
  codecs: readonly Codec[];
  /** What we want to do; the answer is this intersected with the offer (§6.1). Default 'sendrecv'. */
  direction?: Direction;
  /** Pick the offerer's most preferred common codec instead of ours. Default false. */
  preferOfferOrder?: boolean;
  /** ptime when the offer gives none we can mirror, in ms. Default 20. */
  ptime?: number;
  /** Accept `a=rtcp-mux` when offered (RFC 5761). Default true. */
  rtcpMux?: boolean;
  /** Accept telephone-event (RFC 4733) when offered (at the rates listed in `codecs`, if any). Default true. */
  telephoneEvent?: boolean;
  /** m= protocols we serve. Default ['RTP/AVP', 'RTP/AVPF'], plus 'UDP/TLS/RTP/SAVPF' when dtls is given. */
  protocols?: readonly string[];
  /** o= sess-id for a new session. Default random. Ignored when `previous` is given. */
  sessionId?: string;
  /** o= username. Default '-'. */
  username?: string;
  /** s= line. Default '-'. */
  sessionName?: string;
  /** Our last description in this dialog: its o= is kept, sess-version + 1 if anything changed (RFC 3264 §8). Default none. */
  previous?: SessionDescription;
  /** ICE attributes for our side. Default none. */
  ice?: IceParams;
  /** DTLS-SRTP fingerprint and role. Default none. */
  dtls?: DtlsParams;
  /** Extra media-level attributes for the accepted stream, verbatim. Default none. */
  attributes?: readonly Attribute[];
  /** Extra session-level attributes (e.g. ice-lite), verbatim. Default none. */
  sessionAttributes?: readonly Attribute[];
}

export type AnswerResult = { answer: SessionDescription; media: NegotiatedMedia } | { error: NegotiationError };

const NOT_ACCEPTABLE = 488;

export function negotiateAnswer(offer: SessionDescription, local: AnswerOptions): AnswerResult {
  const protocols = local.protocols ?? (local.dtls ? ['RTP/AVP', 'RTP/AVPF', 'UDP/TLS/RTP/SAVPF'] : ['RTP/AVP', 'RTP/AVPF']);
  const ours = local.codecs.filter((c) => !isAuxiliaryCodec(c));
  const weDoEvents = local.telephoneEvent !== false;
  // telephone-event entries in our list restrict the clock rates we take; none listed = any.
  const ourEventRates = local.codecs.filter(isEvents).map((c) => c.clockRate);
  let accepted: { index: number; m: MediaDescription; view: MediaView; codec: Codec; te?: Codec } | undefined;
  let why = 'no audio stream offered';

  for (let i = 0; i < offer.media.length && !accepted; i++) {
    const m = offer.media[i]!;
    if (m.type !== 'audio' || m.port === 0) continue;
    if (!protocols.includes(m.protocol)) {
      why = `audio transport ${m.protocol} not supported`;
      continue;
    }
    const view = mediaView(m, offer);
    const offered = codecsOf(m, view);
    const codec = pickCodec(offered.filter((c) => !isAuxiliaryCodec(c)), ours, local.preferOfferOrder === true);
    if (!codec) {
      why = `no common audio codec (offered ${offered.map(codecLabel).join(', ') || 'none'}; ` +
        `supported ${ours.map(codecLabel).join(', ') || 'none'})`;
      continue;
    }
    if (!view.connection) {
      why = 'audio stream has no c= line';
      continue;
    }
    // RFC 4733 §7.1: events at the clock rate of the chosen codec, else the usual 8000.
    const tes = weDoEvents ? offered.filter((c) => isEvents(c) && (ourEventRates.length === 0 || ourEventRates.includes(c.clockRate))) : [];
    const te = tes.find((c) => c.clockRate === codec.clockRate) ?? tes.find((c) => c.clockRate === 8000);
    accepted = { index: i, m, view, codec, te };
  }
  if (!accepted) return { error: { status: NOT_ACCEPTABLE, reason: why } };

  const { index, m, view, codec, te } = accepted;
  const connection = view.connection!;
  const legacyHold = isLegacyHold(connection);

  // RFC 3264 §6.1: the answer's direction mirrors the offer's, narrowed by what we want.
  // A c=0.0.0.0 offer (RFC 3264 §8.4, legacy hold) means the offerer will not receive.
  const offerSends = sends(view.direction);
  const offerReceives = receives(view.direction) && !legacyHold;
  const want = local.direction ?? 'sendrecv';
  const direction = directionFrom(offerReceives && sends(want), offerSends && receives(want));

  const rtcpMux = view.rtcpMux && local.rtcpMux !== false;
  const ptime = choosePtime(view, local.ptime ?? 20);

  // Our fmtp says how WE want to receive (RFC 8866 §6.15); without one, mirror the offer's.
  const ourFmtp = local.codecs.find((c) => sameCodec(c, codec))?.fmtp;
  const answerCodecs = [ourFmtp === undefined ? codec : { ...codec, fmtp: ourFmtp }];
  if (te) answerCodecs.push(te);
  const attributes = codecAttributes(answerCodecs);
  attributes.push({ name: 'ptime', value: String(ptime) });
  attributes.push({ name: direction });
  if (rtcpMux) attributes.push({ name: 'rtcp-mux' });
  if (view.mid !== undefined) attributes.push({ name: 'mid', value: view.mid });
  attributes.push(...iceAttributes(local.ice));
  attributes.push(...dtlsAttributes(local.dtls, answerSetup(view.dtls.setup, local.dtls?.setup)));
  if (local.attributes) attributes.push(...local.attributes.map((a) => ({ ...a })));

  const media: MediaDescription[] = offer.media.map((om, i) =>
    i === index
      ? { type: m.type, port: local.port, protocol: m.protocol, formats: answerCodecs.map((c) => String(c.payloadType)), bandwidths: [], attributes }
      : rejected(om));

  const sessionAttributes: Attribute[] = [];
  // RFC 8843 §7.3: answer a BUNDLE group with only the mids we accepted.
  const group = getAttribute(offer.attributes, 'group');
  if (group?.startsWith('BUNDLE ') && view.mid !== undefined && group.split(' ').includes(view.mid)) {
    sessionAttributes.push({ name: 'group', value: `BUNDLE ${view.mid}` });
  }
  if (local.sessionAttributes) sessionAttributes.push(...local.sessionAttributes.map((a) => ({ ...a })));

  let origin: Origin;
  if (local.previous) origin = { ...local.previous.origin };
  else {
    const id = local.sessionId ?? newSessionId();
    origin = originFor(local.address, id, id, local.username ?? '-');
  }

  const answer: SessionDescription = {
    version: 0,
    origin,
    sessionName: local.sessionName ?? '-',
    emails: [],
    phones: [],
    connection: connectionFor(local.address),
    bandwidths: [],
    timing: [{ start: 0, stop: 0, repeats: [] }],
    attributes: sessionAttributes,
    media,
  };
  // RFC 3264 §8: same o= as before; sess-version + 1 only if the description changed.
  if (local.previous && serializeSdp(answer) !== serializeSdp(local.previous)) {
    origin.sessVersion = (BigInt(origin.sessVersion) + 1n).toString();
  }

  const negotiated: NegotiatedMedia = {
    remoteAddress: connection.address,
    remotePort: m.port,
    remoteRtcpPort: rtcpPortOf(m.port, rtcpMux, view.rtcp?.port),
    codec: { ...codec },
    ptime,
    direction,
    rtcpMux,
    remoteHold: !offerReceives,
  };
  if (te) negotiated.telephoneEvent = { payloadType: te.payloadType, clockRate: te.clockRate };
  return { answer, media: negotiated };
}

function isEvents(c: Codec): boolean {
  return c.name.toLowerCase() === 'telephone-event';
}

/** First common codec, walking our list (default) or the offer's; the OFFER's payload type is kept. */
function pickCodec(offered: Codec[], ours: readonly Codec[], offerOrder: boolean): Codec | undefined {
  if (offerOrder) {
    for (const o of offered) if (ours.some((c) => sameCodec(c, o))) return o;
    return undefined;
  }
  for (const c of ours) {
    const o = offered.find((x) => sameCodec(c, x));
    if (o) return o;
  }
  return undefined;
}

/**
 * Mirror the offerer's ptime when it is one our 10 ms-aligned media clock can honour
 * (10–60 ms, a multiple of 10); otherwise use ours, never above the offer's maxptime.
 */
function choosePtime(view: MediaView, ours: number): number {
  const sensible = (p: number | undefined): p is number => p !== undefined && Number.isInteger(p) && p >= 10 && p <= 60 && p % 10 === 0;
  if (sensible(view.ptime)) return view.ptime;
  if (sensible(view.maxptime) && ours > view.maxptime) return view.maxptime;
  return ours;
}

/** RFC 8842 §5.3: answer actpass with our choice (default active), active with passive, passive with active. */
function answerSetup(offered: DtlsSetup | undefined, ours: DtlsSetup | undefined): DtlsSetup {
  if (offered === 'active') return 'passive';
  if (offered === 'passive') return 'active';
  return ours === 'passive' ? 'passive' : 'active';
}

/** RFC 3264 §6: a rejected stream keeps its place with port 0; we keep its formats and mid. */
function rejected(om: MediaDescription): MediaDescription {
  const mid = om.attributes.find((a) => a.name === 'mid');
  return {
    type: om.type, port: 0, protocol: om.protocol, formats: om.formats.slice(), bandwidths: [],
    attributes: mid ? [{ ...mid }] : [],
  };
}
