// Shared by the operations that place outbound legs (createCall, addParticipant,
// transferBlind): the DialLeg signature the CallService implements, and waiting for a leg's
// answer with a ring timeout and cancellation.
import type { Clock } from '../../lib/index.ts';
import type { Call } from '../calls/call.ts';
import type { Leg, LegRole } from '../calls/leg.ts';
import type { HangupInfo, Participant } from '../ports/index.ts';

export interface DialLegOptions {
  role: LegRole;
  /** Caller ID to present; default the adapter's. */
  callerId?: Participant;
  /** Give up after this long; default 60000 ms. */
  ringTimeoutMs?: number;
}

/** Places an outbound leg and adds it to the call (state dialing). */
export type DialLeg = (call: Call, target: Participant, opts: DialLegOptions) => Promise<Leg>;

export type AnswerWait = { answered: true } | { answered: false; hangup: HangupInfo };

/**
 * Resolves when `leg` answers, ends, rings past `ringTimeoutMs` (then it is hung up: reason
 * 'no-answer', by 'system') or `signal` aborts (hung up: reason 'cancelled', by 'local').
 */
export function waitForAnswer(leg: Leg, clock: Clock, ringTimeoutMs: number, signal: AbortSignal): Promise<AnswerWait> {
  if (leg.state === 'answered') return Promise.resolve({ answered: true });
  if (!leg.live) return Promise.resolve({ answered: false, hangup: leg.hangup ?? { by: 'system', reason: 'ended' } });
  return new Promise((resolve) => {
    let done = false;
    const finish = (w: AnswerWait): void => {
      if (done) return;
      done = true;
      timer.cancel();
      leg.off('answered', onAnswered);
      leg.off('ended', onEnded);
      signal.removeEventListener('abort', onAbort);
      resolve(w);
    };
    const giveUp = (info: HangupInfo): void => {
      void leg.channel.hangup(info.reason).catch(() => {});
      finish({ answered: false, hangup: info });
    };
    const onAnswered = (): void => finish({ answered: true });
    const onEnded = (info: HangupInfo): void => finish({ answered: false, hangup: info });
    const onAbort = (): void => giveUp({ by: 'local', reason: 'cancelled' });
    const timer = clock.setTimeout(() => giveUp({ by: 'system', reason: 'no-answer' }), ringTimeoutMs);
    leg.on('answered', onAnswered);
    leg.on('ended', onEnded);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
