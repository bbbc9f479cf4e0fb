// reject: refuses an incoming call before it is answered — busy (486), forbidden (403) or none
// (480); the adapter picks the SIP status, the call ends by 'local' with reason 'rejected'.
import type { RejectReason } from '../ports/index.ts';
import { CallError } from '../calls/call-error.ts';
import { isUnanswered } from '../calls/call-state.ts';
import type { OperationDefinition } from './operation.ts';
import { success } from './operation-result.ts';
import { Check } from './validate.ts';

export const reject: OperationDefinition<{ reason: RejectReason }> = {
  name: 'reject',
  eventPrefix: 'reject',
  events: 'failures',
  keepOnCallEnd: true,
  validate(params, call) {
    const c = new Check(params);
    c.only(['reason']);
    const reason = (c.str('reason', { oneOf: ['busy', 'forbidden', 'none'] }) ?? 'none') as RejectReason;
    c.done();
    if (call.direction !== 'inbound' || !isUnanswered(call.state)) throw new CallError('INVALID_STATE', `call ${call.id} is ${call.state}; only an unanswered inbound call can be rejected`);
    return { reason };
  },
  async start(ctx, p) {
    const leg = ctx.call.primaryLeg;
    if (!leg?.live) throw new CallError('INVALID_STATE', 'the caller is gone');
    await leg.channel.reject(p.reason);
    await ctx.call.end({ by: 'local', reason: 'rejected', ...(leg.hangup?.sipStatus !== undefined ? { sipStatus: leg.hangup.sipStatus } : {}) });
    return success({ reason: p.reason });
  },
};
