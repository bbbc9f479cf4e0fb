// The sdp layer: SDP model, parser and serializer (RFC 8866) and offer/answer for one audio
// stream (RFC 3264). A reusable library: it knows nothing of SIP or calls and imports only lib.
export type {
  Attribute, Bandwidth, Codec, Connection, Direction, MediaDescription, NegotiatedMedia, NegotiationError,
  Origin, SessionDescription, Timing,
} from './types.ts';
export { SdpParseError } from './sdp-parse-error.ts';
export { parseSdp } from './parse-sdp.ts';
export { serializeSdp } from './serialize-sdp.ts';
export {
  DIRECTIONS, directionOf, getAttribute, getAttributes, hasAttribute, parseFmtpParams, removeAttributes, setDirection,
} from './attributes.ts';
export { formatCandidate, parseCandidate, type IceCandidate } from './ice-candidate.ts';
export {
  mediaView, type DtlsSetup, type ExtMap, type Fingerprint, type MediaView, type RtcpAttribute, type RtcpFeedback,
  type RtpMap, type SsrcGroup, type SsrcLine,
} from './media-view.ts';
export { codecLabel, codecsOf, isAuxiliaryCodec, sameCodec, STATIC_PAYLOAD_TYPES, WELL_KNOWN_CODECS } from './codecs.ts';
export type { DtlsParams, IceParams } from './session-builder.ts';
export { createOffer, type OfferOptions } from './create-offer.ts';
export { negotiateAnswer, type AnswerOptions, type AnswerResult } from './negotiate-answer.ts';
export { applyAnswer } from './apply-answer.ts';
export { bumpVersion, holdOffer, resumeOffer } from './re-offer.ts';
