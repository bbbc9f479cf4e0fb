// answer: accepts an incoming call (200 OK on the caller's leg); the call becomes established
// and call.answered is journaled with the state change.
import { CallError } from '../calls/call-error.ts';
import { isUnanswered } from '../calls/call-state.ts';
import type { OperationDefinition } from './operation.ts';
import { success } from './operation-result.ts';
import { Check } from './validate.ts';

export const answer: OperationDefinition<Record<string, never>> = {
  name: 'answer',
  eventPrefix: 'answer',
  events: 'failures',
  validate(params, call) {
    const c = new Check(params);
    c.only([]);
    c.done();
    if (call.direction !== 'inbound' || !isUnanswered(call.state)) throw new CallError('INVALID_STATE', `call ${call.id} is ${call.state}, not an unanswered inbound call`);
    return {};
  },
  async start(ctx) {
    const call = ctx.call;
    const leg = call.primaryLeg;
    if (!leg?.live) throw new CallError('INVALID_STATE', 'the caller is gone');
    await leg.channel.answer();
    call.legAnswered(leg);
    await call.transition('established', 'call.answered', { legId: leg.id, ...(ctx.operationContext !== null ? { operationContext: ctx.operationContext } : {}) });
    return success();
  },
};
