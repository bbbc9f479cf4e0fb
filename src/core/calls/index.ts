// The call model: calls, legs, their state machines, the CallService faces use, and errors.
export { CallService, type CallServiceOptions, type CallServiceEvents, type IncomingInfo, type ExecuteOptions, type CallView, type WebhookHealthSignal, type OpenConferenceOptions } from './call-service.ts';
export { ConferenceRegistry } from './conference-registry.ts';
export { MEETING_LOCATOR_PREFIX, type JoinConferenceInfo, type ConnectLeg, type JoinOutcome } from './conference-join.ts';
export { watchConferenceIdle, DEFAULT_CONFERENCE_IDLE_MS } from './conference-idle.ts';
export { CallLimiter, type Admission } from './call-limiter.ts';
export { resolveCallHandling, UNANSWERED_STATUSES, LIMIT_STATUSES, type ResolvedCallHandling } from './call-handling.ts';
export { Call, type CallEvents, type CallInit, type TtsUsage, type RunningOperation, type ParticipantView } from './call.ts';
export { CallMix, type CallMixMode } from './call-mix.ts';
export { Leg, type LegEvents, type LegRole, type LegTimes } from './leg.ts';
export { CallError, type CallErrorCode } from './call-error.ts';
export { canCallTransition, canLegTransition, isUnanswered, type CallState, type LegState } from './call-state.ts';
export { CallJournal, callEvent, type JournalEntry } from './call-journal.ts';
export { closeInterruptedCalls, NODE_RESTART_REASON, type CallRecoveryDeps, type CallRecoveryReport } from './call-recovery.ts';
