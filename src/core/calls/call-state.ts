// The call and leg state machines. Transitions are checked here and nowhere else; Call and Leg
// call assertTransition() before changing state.
//
// Call:
// ```
//   inbound:   incoming ──ring──▶ ringing ──answer──▶ established ──▶ ending ──▶ ended
//   outbound:  dialing ──180/183──▶ ringing ──200──▶ established
//                 │                    │                 (any state but ended ──▶ ending)
//                 └── rejected, cancelled, no answer, busy ──▶ ending ──▶ ended
// ```
// `ending` means legs are being hung up and the CDR assembled; `ended` is final and durable.
// An inbound call may also be answered straight from `incoming` (no 180 sent), and an
// outbound one from `dialing` (a 200 without a provisional response).
//
// Leg:
// ```
//   incoming ──▶ ringing ──▶ answered ──▶ ended
//   dialing  ──▶ ringing ──▶ answered ──▶ ended       (ended from any state)
// ```

export type CallState = 'incoming' | 'dialing' | 'ringing' | 'established' | 'ending' | 'ended';
export type LegState = 'incoming' | 'dialing' | 'ringing' | 'answered' | 'ended';

const CALL_TRANSITIONS: Readonly<Record<CallState, readonly CallState[]>> = {
  incoming: ['ringing', 'established', 'ending'],
  dialing: ['ringing', 'established', 'ending'],
  ringing: ['established', 'ending'],
  established: ['ending'],
  ending: ['ended'],
  ended: [],
};

const LEG_TRANSITIONS: Readonly<Record<LegState, readonly LegState[]>> = {
  incoming: ['ringing', 'answered', 'ended'],
  dialing: ['ringing', 'answered', 'ended'],
  ringing: ['answered', 'ended'],
  answered: ['ended'],
  ended: [],
};

export function canCallTransition(from: CallState, to: CallState): boolean {
  return CALL_TRANSITIONS[from].includes(to);
}

export function canLegTransition(from: LegState, to: LegState): boolean {
  return LEG_TRANSITIONS[from].includes(to);
}

/** States in which the call has not been answered yet. */
export function isUnanswered(s: CallState): boolean {
  return s === 'incoming' || s === 'dialing' || s === 'ringing';
}
