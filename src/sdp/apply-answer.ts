// applyAnswer: the UAC side of RFC 3264 §6/§7 — read the answer to an offer WE made (one
// audio stream, as createOffer builds) and settle what to send where. Protocol violations in
// the answer (wrong m-line count, a codec we never offered) come back as errors, not throws.

import { codecLabel, codecsOf, isAuxiliaryCodec, sameCodec } from './codecs.ts';
import { mediaView } from './media-view.ts';
import { directionFrom, isLegacyHold, receives, rtcpPortOf, sends } from './session-builder.ts';
import type { NegotiatedMedia, NegotiationError, SessionDescription } from './types.ts';

/**
 * The negotiated audio stream, or why the answer cannot be used. The codec carries the
 * ANSWER's payload type: RFC 3264 §6.1 has the answerer reuse the offer's numbers, and when
 * it does not, the numbers it will receive on are its own.
 */
export function applyAnswer(offer: SessionDescription, answer: SessionDescription): NegotiatedMedia | { error: NegotiationError } {
  const fail = (reason: string) => ({ error: { status: 488 as const, reason } });
  // RFC 3264 §6: exactly one m-line in the answer per m-line in the offer, in order.
  if (answer.media.length !== offer.media.length) {
    return fail(`answer has ${answer.media.length} m-lines, the offer had ${offer.media.length}`);
  }
  const index = offer.media.findIndex((m) => m.type === 'audio' && m.port !== 0);
  if (index < 0) return fail('the offer has no active audio stream');
  const om = offer.media[index]!;
  const am = answer.media[index]!;
  if (am.type !== om.type) return fail(`answer m-line ${index + 1} is ${am.type}, the offer's is ${om.type}`);
  if (am.port === 0) return fail('the answer rejected the audio stream');

  const ov = mediaView(om, offer);
  const av = mediaView(am, answer);
  if (!av.connection) return fail('the answer has no c= line for audio');
  const offered = codecsOf(om, ov);
  const answered = codecsOf(am, av);
  const codec = answered.find((c) => !isAuxiliaryCodec(c) && offered.some((o) => sameCodec(o, c)));
  if (!codec) {
    return fail(`the answer has no codec from the offer (answered ${answered.map(codecLabel).join(', ') || 'none'})`);
  }
  const offeredTe = offered.some((c) => c.name.toLowerCase() === 'telephone-event');
  const tes = offeredTe ? answered.filter((c) => c.name.toLowerCase() === 'telephone-event') : [];
  const te = tes.find((c) => c.clockRate === codec.clockRate) ?? tes.find((c) => c.clockRate === 8000);

  const legacyHold = isLegacyHold(av.connection);
  const answerReceives = receives(av.direction) && !legacyHold;
  const weSend = sends(ov.direction) && answerReceives;
  const weReceive = receives(ov.direction) && sends(av.direction);
  const rtcpMux = ov.rtcpMux && av.rtcpMux;

  const out: NegotiatedMedia = {
    remoteAddress: av.connection.address,
    remotePort: am.port,
    remoteRtcpPort: rtcpPortOf(am.port, rtcpMux, av.rtcp?.port),
    codec,
    ptime: av.ptime ?? ov.ptime ?? 20,
    direction: directionFrom(weSend, weReceive),
    rtcpMux,
    // Held by the remote: we wanted to send and the answer will not take it.
    remoteHold: sends(ov.direction) && !answerReceives,
  };
  if (te) out.telephoneEvent = { payloadType: te.payloadType, clockRate: te.clockRate };
  return out;
}
