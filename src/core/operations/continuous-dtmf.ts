// startContinuousDtmf / stopContinuousDtmf: subscribe to the digits a call's parties press, one
// event per digit, until stopped — as opposed to recognize, which collects a bounded string.
//
// A subscription is a row of Call.continuousDtmf: legId (or '*' = every leg of the call) → the
// digits to report ('' = all). While one matches, each digit a leg sends (RFC 4733
// telephone-event, SIP INFO or in-band — whatever the leg's detector hears) is journaled as
//   dtmf.received {legId, digit, source, sequence}
// with `sequence` counting per call from 1 (it does not restart after a stop/start, so a bot can
// order digits across subscriptions). A leg's own subscription wins over the call-wide one.
// Starting again for the same target replaces its tone filter. Stopping journals
//   continuousDtmf.stopped {legId?}
// (legId absent: every subscription of the call was stopped). Stopping when nothing was
// subscribed still succeeds — the bot's wish (no more digits) holds.
//
// Both complete at once (events: 'failures': only a failure has an operation event). Digits are
// reported while the call is not ending; a subscription dies with its call. There is no failure
// path per digit: a digit is heard or it is not, so no "tone failed" event exists.
import { CallError } from '../calls/call-error.ts';
import type { Call } from '../calls/call.ts';
import type { OperationDefinition } from './operation.ts';
import { success } from './operation-result.ts';
import { liveLegOf } from './remove-participant.ts';
import { Check, DTMF_RE } from './validate.ts';

/** Call.continuousDtmf key meaning "every leg of the call". */
export const ALL_LEGS = '*';

export interface StartContinuousDtmfParams {
  /** The leg to listen to; default every leg of the call (also legs that join later). */
  legId?: string;
  /** The digits to report, e.g. "0123456789"; default all (0-9 * # A-D). */
  tones?: string;
}

function assertLive(call: Call): void {
  if (call.state === 'ending' || call.state === 'ended') throw new CallError('INVALID_STATE', `call ${call.id} is ${call.state}`);
}

export const startContinuousDtmf: OperationDefinition<StartContinuousDtmfParams> = {
  name: 'startContinuousDtmf',
  eventPrefix: 'startContinuousDtmf',
  events: 'failures',
  validate(params, call) {
    const c = new Check(params);
    c.only(['legId', 'tones']);
    const legId = c.str('legId', { max: 100 });
    const tones = c.str('tones', { re: DTMF_RE, max: 16 });
    c.done();
    assertLive(call);
    if (legId !== undefined) liveLegOf(call, legId);
    return { ...(legId !== undefined ? { legId } : {}), ...(tones !== undefined ? { tones } : {}) };
  },
  async start(ctx, p) {
    const key = p.legId ?? ALL_LEGS;
    // The filter is normalised (sorted, no repeats) so a GET of the operation shows what is reported.
    const filter = p.tones ? [...new Set(p.tones)].sort().join('') : '';
    ctx.call.continuousDtmf.set(key, filter);
    return success({ ...(p.legId !== undefined ? { legId: p.legId } : {}), tones: filter || 'all' });
  },
};

export const stopContinuousDtmf: OperationDefinition<{ legId?: string }> = {
  name: 'stopContinuousDtmf',
  eventPrefix: 'stopContinuousDtmf',
  events: 'failures',
  validate(params, call) {
    const c = new Check(params);
    c.only(['legId']);
    const legId = c.str('legId', { max: 100 });
    c.done();
    assertLive(call);
    // A leg that has left can still be unsubscribed: no liveness check on legId.
    return legId !== undefined ? { legId } : {};
  },
  async start(ctx, p) {
    const subs = ctx.call.continuousDtmf;
    if (p.legId === undefined) {
      subs.clear();
    } else {
      // Only that leg's own subscription: a call-wide one ('*') goes on covering the others.
      subs.delete(p.legId);
    }
    await ctx.emit('continuousDtmf.stopped', p.legId !== undefined ? { legId: p.legId } : {});
    return success(p.legId !== undefined ? { legId: p.legId } : {});
  },
};
