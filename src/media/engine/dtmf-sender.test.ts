// DtmfSender: a re-negotiated telephone-event clock rate (a re-INVITE putting telephone-event/48000
// beside opus) is used for the next digit's durations (RFC 4733 §2.5.1.3: duration in the event's
// clock units).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DtmfSender } from './dtmf-sender.ts';

/** Run one 100 ms digit through the sender; returns the duration field of its last (end) packet. */
function endDuration(s: DtmfSender): number {
  let done = false;
  s.enqueue({ digits: '5', durationMs: 100, gapMs: 0, done: () => { done = true; } });
  let last: Uint8Array | undefined;
  for (let t = 0; t < 40 && !done; t++) {
    for (const p of s.next(t * 20, 1000) ?? []) last = p.payload;
  }
  assert.ok(done && last, 'the digit was sent');
  return (last![2] << 8) | last![3];
}

test('durations follow the telephone-event clock rate, also after setClockRate', () => {
  const s = new DtmfSender(8000);
  assert.equal(endDuration(s), 800, '100 ms at 8 kHz');
  s.setClockRate(48000);
  assert.equal(endDuration(s), 4800, '100 ms at 48 kHz');
});
