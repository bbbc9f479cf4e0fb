// The adapters layer's public face: core's ports implemented with the protocol stacks —
// Channel over SIP (SipChannel), ChannelFactory over the user agent (SipChannelFactory),
// MediaEndpoint over the media workers (EngineMediaEndpoint) — plus inbound routing of SIP
// calls to applications. server/ wires these into one CallService.
export { SipChannel, ChannelClosedError, REJECT_STATUS, hangupInfo, type SipChannelOptions } from './sip-channel.ts';
export { EngineMediaEndpoint, NotSupportedError, toPlaySpecs, type EngineMediaEndpointOptions } from './engine-media-endpoint.ts';
export { EngineMixer, EngineMixerFactory } from './engine-mixer.ts';
export {
  SipChannelFactory, DialError, applyCallerIdRules,
  type CallerIdRule, type SipChannelFactoryOptions, type TrunkDirectory, type TrunkInfo,
} from './sip-channel-factory.ts';
export { SdpMedia, ENGINE_CODECS, ANSWER_CODECS, answerCodecsAt, endpointSpecFor, endpointUpdate, type EndpointSpec, type OfferVerdict, type SdpMediaOptions } from './sdp-media.ts';
export {
  InboundRouter, callerParticipant, normaliseE164,
  type InboundRoute, type InboundRouterOptions, type NumberDirectory, type NumberEntry,
} from './inbound-router.ts';
export { takeInboundCall, joinMeetingCall, type InboundCallDeps, type InboundCallInfo, type MeetingCallInfo } from './inbound-call.ts';
export { TrunkSources, type TrunkSourceList } from './trunk-sources.ts';
export { parseDtmfRelay } from './dtmf-relay.ts';
export { decodePcmWav } from './pcm-wav.ts';
