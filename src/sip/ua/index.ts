// Public face of the UA core: user agent, INVITE sessions, outbound registration, the stack facade.
export { UserAgent, DEFAULT_ALLOW, DEFAULT_SUPPORTED } from './user-agent.ts';
export type {
  AuthenticateResult, IncomingMessage, RegistrarLike, RequestOptions, UserAgentEvents, UserAgentOptions,
} from './user-agent.ts';
export { InviteSession } from './invite-session.ts';
export type { ReferOptions } from './invite-session.ts';
export { IncomingSession } from './incoming-session.ts';
export type { AnswerOptions, ProgressOptions } from './incoming-session.ts';
export { OutgoingSession } from './outgoing-session.ts';
export type { InviteOptions } from './outgoing-session.ts';
export { SessionRequestError } from './session-state.ts';
export type {
  IncomingRefer, InfoEvent, InviteSessionEvents, OfferReply, ReferNotify, SessionBody, SessionState, TerminationInfo,
} from './session-state.ts';
export { ReferSubscription } from './refer-subscription.ts';
export { DEFAULT_SESSION_TIMER } from './session-timer.ts';
export type { SessionTimerSettings } from './session-timer.ts';
export { destinationForUri } from './destination.ts';
export { OutboundRegistration } from './outbound-registration.ts';
export type { OutboundRegistrationEvents, OutboundRegistrationOptions, RegistrationState } from './outbound-registration.ts';
export { SipStack } from './sip-stack.ts';
export type { SipStackOptions, SipStackStats } from './sip-stack.ts';
