// One leg's offer/answer state (RFC 3264) bound to its media endpoint: every description we
// agree to is applied to the worker-side endpoint at once, so the RTP path always follows the
// signaling. SipChannel owns one; it never sends SIP itself.
//
// It must never throw on a peer's bad SDP: a malformed or unusable offer comes back as the
// status to refuse it with (488), and the endpoint stays as it was.
import {
  applyAnswer, createOffer, holdOffer, negotiateAnswer, parseSdp, resumeOffer, serializeSdp, WELL_KNOWN_CODECS,
  type Codec, type NegotiatedMedia, type SessionDescription,
} from '../sdp/index.ts';
import type { EndpointUpdate, MediaEndpointHandle } from '../media/index.ts';

/** Codecs the media engine carries on its hot path, in our preference order. */
export const ENGINE_CODECS: readonly Codec[] = [WELL_KNOWN_CODECS.PCMU, WELL_KNOWN_CODECS.PCMA];

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

  constructor(
    readonly handle: MediaEndpointHandle,
    /** Address advertised in c= and o=. */
    private readonly address: string,
    private readonly codecs: readonly Codec[] = ENGINE_CODECS,
  ) {}

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
      address: this.address, port: this.handle.localPort, codecs: this.codecs, username: 'switchboard',
      ...(this.local ? { previous: this.local } : {}),
    });
    if ('error' in r) return { status: r.error.status, reason: r.error.reason };
    this.local = r.answer;
    await this.follow(r.media);
    return { sdp: serializeSdp(r.answer), media: r.media };
  }

  /** A fresh offer (outbound INVITE, or our 2xx to an offerless INVITE, RFC 3261 §13.2.1). */
  offer(): string {
    this.local = createOffer({ address: this.address, port: this.handle.localPort, codecs: this.codecs, username: 'switchboard' });
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
