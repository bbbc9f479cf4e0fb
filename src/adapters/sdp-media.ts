// One leg's offer/answer state (RFC 3264) bound to its media endpoint: every description we
// agree to is applied to the worker-side endpoint at once, so the RTP path always follows the
// signaling. SipChannel owns one; it never sends SIP itself.
//
// It must never throw on a peer's bad SDP: a malformed or unusable offer comes back as the
// status to refuse it with (488), and the endpoint stays as it was.
//
// Codec choice (docs/sip.md "Codecs"). We OFFER PCMU, PCMA (+ telephone-event/8000): every SIP
// peer has G.711, and an offer that also listed Opus would leave the endpoint's media rate open
// until the answer, which the engine cannot follow (an endpoint's rate is fixed at creation).
// We ANSWER with, in our preference order, PCMU, PCMA, then opus/48000/2 (RFC 7587): G.711 when
// the offer has it, so today's peers see no change; Opus when it is the only codec we carry in
// the offer. The rate is fixed by the first offer (endpointSpecFor picks the endpoint's codec
// before it exists); later offers (re-INVITE, UPDATE) are answered only with codecs at that rate.
import {
  applyAnswer, createOffer, holdOffer, isAuxiliaryCodec, negotiateAnswer, parseSdp, resumeOffer, serializeSdp, WELL_KNOWN_CODECS,
  type Codec, type NegotiatedMedia, type SessionDescription,
} from '../sdp/index.ts';
import type { EndpointUpdate, MediaEndpointHandle } from '../media/index.ts';

/** Codecs we put in our own offers (outbound INVITE, 2xx to an offerless INVITE), in our preference order. */
export const ENGINE_CODECS: readonly Codec[] = [WELL_KNOWN_CODECS.PCMU, WELL_KNOWN_CODECS.PCMA];

/**
 * Codecs we accept in answers, in our preference order (negotiateAnswer walks OUR list): G.711
 * first, so a peer offering Opus and PCMU keeps the 8 kHz path it has always had; Opus
 * (RFC 7587 opus/48000/2, we send mono) when the offer has no G.711.
 */
export const ANSWER_CODECS: readonly Codec[] = [WELL_KNOWN_CODECS.PCMU, WELL_KNOWN_CODECS.PCMA, WELL_KNOWN_CODECS.opus];

/**
 * The codecs of `codecs` an endpoint whose media rate is `mediaRate` can carry (its rate cannot
 * change after creation). Auxiliary entries (telephone-event) are kept: they are not audio.
 */
export function answerCodecsAt(mediaRate: number, codecs: readonly Codec[] = ANSWER_CODECS): Codec[] {
  return codecs.filter((c) => isAuxiliaryCodec(c) || c.clockRate === mediaRate);
}

/** What to create a leg's endpoint with (MediaEngine.createEndpoint options). */
export interface EndpointSpec {
  codec: { name: string; clockRate: number; payloadType: number };
  /** RFC 4733 events at the offered rate (baresip offers telephone-event/8000 beside opus/48000). */
  telephoneEvent?: { payloadType: number; clockRate: number };
}

const PCMU_SPEC: EndpointSpec = { codec: { name: 'PCMU', clockRate: 8000, payloadType: 0 } };

/**
 * The endpoint codec for a leg about to answer `offerBody`: the codec our answer will pick
 * (same rules as SdpMedia.answer with ANSWER_CODECS), so the endpoint starts at the right media
 * rate. PCMU/8000 when there is no offer (we will offer G.711) or it is unusable (the answer
 * will be a 488 anyway). Never throws.
 */
export function endpointSpecFor(offerBody: Buffer | string | undefined, codecs: readonly Codec[] = ANSWER_CODECS): EndpointSpec {
  if (offerBody === undefined || offerBody.length === 0) return PCMU_SPEC;
  try {
    // The port is a placeholder: only the codec choice is read from this dry run.
    const r = negotiateAnswer(parseSdp(offerBody), { address: '127.0.0.1', port: 9, codecs });
    if ('error' in r) return PCMU_SPEC;
    const { codec, telephoneEvent } = r.media;
    return {
      codec: { name: codec.name, clockRate: codec.clockRate, payloadType: codec.payloadType },
      ...(telephoneEvent ? { telephoneEvent: { payloadType: telephoneEvent.payloadType, clockRate: telephoneEvent.clockRate } } : {}),
    };
  } catch {
    return PCMU_SPEC;
  }
}

export interface SdpMediaOptions {
  /** Codecs of our own offers. Default ENGINE_CODECS (PCMU, PCMA). */
  offerCodecs?: readonly Codec[];
  /** Codecs our answers may pick, in preference order; only those at mediaRate are used. Default ANSWER_CODECS. */
  answerCodecs?: readonly Codec[];
  /** The endpoint's media rate, fixed when it was created (endpointSpecFor(...).codec.clockRate). Default 8000. */
  mediaRate?: number;
}

export type OfferVerdict = { sdp: string; media: NegotiatedMedia } | { status: number; reason: string };

/** The endpoint settings a negotiation result implies. */
export function endpointUpdate(m: NegotiatedMedia): EndpointUpdate {
  return {
    remote: { address: m.remoteAddress, port: m.remotePort, rtcpPort: m.remoteRtcpPort, rtcpMux: m.rtcpMux },
    codec: { name: m.codec.name, clockRate: m.codec.clockRate, payloadType: m.codec.payloadType },
    ...(m.telephoneEvent ? { telephoneEvent: m.telephoneEvent } : {}),
    direction: m.direction,
  };
}

export class SdpMedia {
  /** Our current description (the last offer or answer we sent). */
  private local: SessionDescription | undefined;
  /** The last thing negotiated: remote hold included. */
  negotiated: NegotiatedMedia | undefined;

  private readonly offerCodecs: readonly Codec[];
  private readonly answerCodecs: Codec[];

  constructor(
    readonly handle: MediaEndpointHandle,
    /** Address advertised in c= and o=. */
    private readonly address: string,
    opts: SdpMediaOptions = {},
  ) {
    const rate = opts.mediaRate ?? 8000;
    // Our offers must fit the endpoint too: at 48 kHz that is Opus, not G.711.
    this.offerCodecs = answerCodecsAt(rate, opts.offerCodecs ?? ENGINE_CODECS);
    if (!this.offerCodecs.some((c) => !isAuxiliaryCodec(c))) this.offerCodecs = answerCodecsAt(rate, opts.answerCodecs ?? ANSWER_CODECS);
    this.answerCodecs = answerCodecsAt(rate, opts.answerCodecs ?? ANSWER_CODECS);
  }

  private async follow(m: NegotiatedMedia): Promise<void> {
    this.negotiated = m;
    if (!this.handle.closed) await this.handle.update(endpointUpdate(m));
  }

  /** Our answer to the peer's offer (initial INVITE, re-INVITE, UPDATE), applied to the endpoint. */
  async answer(offerBody: Buffer | string): Promise<OfferVerdict> {
    let offer: SessionDescription;
    try {
      offer = parseSdp(offerBody);
    } catch {
      return { status: 488, reason: 'Malformed SDP' };
    }
    const r = negotiateAnswer(offer, {
      address: this.address, port: this.handle.localPort, codecs: this.answerCodecs, username: 'switchboard',
      ...(this.local ? { previous: this.local } : {}),
    });
    if ('error' in r) return { status: r.error.status, reason: r.error.reason };
    this.local = r.answer;
    await this.follow(r.media);
    return { sdp: serializeSdp(r.answer), media: r.media };
  }

  /** A fresh offer (outbound INVITE, or our 2xx to an offerless INVITE, RFC 3261 §13.2.1). */
  offer(): string {
    this.local = createOffer({ address: this.address, port: this.handle.localPort, codecs: this.offerCodecs, username: 'switchboard' });
    return serializeSdp(this.local);
  }

  /** The peer's answer to our last offer; false when it is unusable (the endpoint keeps latching). */
  async applyAnswer(answerBody: Buffer | string): Promise<boolean> {
    if (!this.local) return false;
    try {
      const m = applyAnswer(this.local, parseSdp(answerBody));
      if ('error' in m) return false;
      await this.follow(m);
      return true;
    } catch {
      return false;
    }
  }

  /** RFC 3264 §8.4 re-offer: sendonly (hold) or back to sendrecv (resume). */
  reoffer(hold: boolean): string {
    if (!this.local) throw new Error('no session description yet');
    this.local = hold ? holdOffer(this.local) : resumeOffer(this.local, 'sendrecv');
    return serializeSdp(this.local);
  }
}
