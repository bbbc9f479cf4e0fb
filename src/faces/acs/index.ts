// The ACS Call Automation face (docs/faces/acs.md): routes, HMAC auth, callback formatter,
// callback JWTs, IncomingCall via Event Grid. The server mounts it (src/server/acs-wiring.ts).
export { registerAcsFace, type AcsFace, type AcsFaceOptions } from './acs-face.ts';
export { AcsKeyMatcher, type AcsAuthStats, type AcsKeyMatcherOptions, type ActiveAcsKey, type RequestOrigin } from './acs-key-matcher.ts';
export { acsFormatter, ACS_FORMAT, resultInformation, serverCallIdOf } from './callback-events.ts';
export { CallbackJwtSigner, generateCallbackKey, type CallbackJwtOptions } from './callback-jwt.ts';
export { IncomingCallContexts } from './incoming-call-context.ts';
export { incomingCallEvent, postEventGrid, validateSubscription, EventGridPublisher, type EventGridStatus } from './incoming-call.ts';
export { EVENT_GRID_FORMAT, EVENT_GRID_INCOMING_CALL, EVENT_GRID_RECORDING_FILE, incomingCallNotice, recordingFileNotice, isRecordingFinal, eventGridFormatter, eventGridHeaders, type FinalRecording, type EventGridFormatOptions } from './event-grid-events.ts';
export { EventGridValidations, type EventGridEndpointState } from './event-grid-validation.ts';
export { verifyHmac, parseSignedRequest, signedWith, computeHmacSignature, contentHash, type HmacFailure, type SignedParts } from './hmac-auth.ts';
export { toParticipant, toIdentifier, toneChar, toneName } from './identifiers.ts';
export { acsStreamFramer, parseAcsInbound, type AcsStreamFramerOptions } from './stream-framer.ts';
