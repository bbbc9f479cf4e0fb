// ConferenceIdle: ends a conference (CallService.openConference) that has had no live leg for
// its idle timeout, so that a meeting everybody left — or one nobody ever joined — does not
// hold its mixer, its row in `established` and its application's concurrent-call slot forever.
//
// ```
//   idle (timer armed) ──a leg is added──▶ busy (timer cancelled)
//     ▲                                      │
//     └────────the last live leg ended───────┘
//   idle ──idleTimeoutMs──▶ call.end({by: 'system', reason: 'idle-timeout'})
//   any ──call ending──▶ stopped (timer cancelled, listeners removed)
// ```
// A ringing invitation counts as a leg: a conference waiting for its first party to answer is
// not idle. It follows the Call's `legs` event; the timer runs on the Call's Clock.
import type { Clock, TimerHandle } from '../../lib/index.ts';
import type { Call } from './call.ts';

/** Default idle timeout of a conference: 10 minutes without a live leg. */
export const DEFAULT_CONFERENCE_IDLE_MS = 600_000;

/** Watches `call` until it ends; returns a function that stops watching. */
export function watchConferenceIdle(call: Call, clock: Clock, idleTimeoutMs: number): () => void {
  let timer: TimerHandle | undefined;
  const check = (): void => {
    const idle = call.liveLegs().length === 0;
    if (idle && !timer) {
      timer = clock.setTimeout(() => {
        timer = undefined;
        if (call.state === 'established' && call.liveLegs().length === 0) void call.end({ by: 'system', reason: 'idle-timeout' });
      }, idleTimeoutMs);
    } else if (!idle && timer) {
      timer.cancel();
      timer = undefined;
    }
  };
  const stop = (): void => {
    timer?.cancel();
    timer = undefined;
    call.off('legs', check);
    call.off('state', onState);
  };
  const onState = ({ to }: { to: string }): void => {
    if (to === 'ending' || to === 'ended') stop();
  };
  call.on('legs', check);
  call.on('state', onState);
  check();
  return stop;
}
