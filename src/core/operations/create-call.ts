// createCall: places an outbound call to a phone number (through a trunk), a SIP URI, a
// registered user or a WebRTC user, with a caller ID and a ringing timeout. Run by
// CallService.createCall (the call exists before this starts, in state dialing); the
// destination policy (src/core/tenancy/destination-policy.ts) was checked there.
// Completes when the callee answers (call.answered is journaled by the Call); fails with
// NO_ANSWER / BUSY / PEER_REJECTED otherwise, and the call ends.
import type { Participant } from '../ports/index.ts';
import { waitForAnswer } from './dial.ts';
import type { OperationDefinition } from './operation.ts';
import { SUBCODE, failure, success } from './operation-result.ts';
import { Check } from './validate.ts';

export interface CreateCallParams {
  target: Participant;
  callerId?: Participant;
  /** Default 60000 ms. */
  ringTimeoutMs: number;
  /** Per-call callback URL; default the application's. */
  callbackUrl?: string;
}

export const createCall: OperationDefinition<CreateCallParams> = {
  name: 'createCall',
  eventPrefix: 'createCall',
  events: 'failures',
  keepOnCallEnd: true,
  validate(params) {
    const c = new Check(params);
    c.only(['target', 'callerId', 'ringTimeoutMs', 'callbackUrl']);
    const target = c.participant('target', true);
    const callerId = c.participant('callerId', false);
    const ringTimeoutMs = c.int('ringTimeoutMs', 60_000, 1000, 300_000);
    const callbackUrl = c.str('callbackUrl', { re: /^https?:\/\//, max: 2048 });
    c.done();
    return { target: target!, ringTimeoutMs, ...(callerId ? { callerId } : {}), ...(callbackUrl ? { callbackUrl } : {}) };
  },
  async start(ctx, p) {
    const leg = await ctx.env.dialLeg(ctx.call, p.target, { role: 'callee', ringTimeoutMs: p.ringTimeoutMs, ...(p.callerId ? { callerId: p.callerId } : {}) });
    const w = await waitForAnswer(leg, ctx.env.clock, p.ringTimeoutMs, ctx.signal);
    if (w.answered) return success({ legId: leg.id });
    const h = w.hangup;
    const sub = h.reason === 'no-answer' ? SUBCODE.NO_ANSWER : h.reason === 'busy' ? SUBCODE.BUSY : h.reason === 'cancelled' ? SUBCODE.CANCELLED : SUBCODE.PEER_REJECTED;
    return failure(sub === SUBCODE.NO_ANSWER ? 408 : 400, sub, `not answered: ${h.reason}`, { legId: leg.id, reason: h.reason, ...(h.sipStatus !== undefined ? { sipStatus: h.sipStatus } : {}) });
  },
};
