/**
 * A call opened without a first leg (a conference opened with answeredEvent 'firstAnswer') is
 * announced as answered when the first of its legs — present now or added later — answers.
 */
import type { Call } from './call.ts';
import type { Leg } from './leg.ts';

/** Journals `call.answered` once, when the first of the call's legs (present or added later) answers. */
export function announceOnFirstAnswer(call: Call, data: Record<string, unknown>): void {
  const watched = new Set<Leg>();
  let done = false;
  const announce = (): void => {
    if (done || call.state !== 'established') return;
    done = true;
    call.off('legs', watch);
    call.journal.record({ events: [call.event('call.answered', data)] }).catch(() => {});
  };
  const watch = (): void => {
    for (const l of call.legs.values()) {
      if (watched.has(l)) continue;
      watched.add(l);
      if (l.state === 'answered') announce();
      else l.once('answered', announce);
    }
  };
  call.on('legs', watch);
  call.once('ended', () => call.off('legs', watch));
  watch();
}
