// redirect: answers an incoming call with 302 Moved Temporarily and these targets (RFC 3261
// §21.3.3); the caller's side dials them. The call ends by 'local' with reason 'redirected'.
import { CallError } from '../calls/call-error.ts';
import { isUnanswered } from '../calls/call-state.ts';
import type { OperationDefinition } from './operation.ts';
import { success } from './operation-result.ts';
import { Check } from './validate.ts';

const TARGET_RE = /^(sips?:[^\s@]+@[^\s]+|tel:\+?[0-9\-.()]+)$/;

export const redirect: OperationDefinition<{ targets: string[] }> = {
  name: 'redirect',
  eventPrefix: 'redirect',
  events: 'failures',
  keepOnCallEnd: true,
  validate(params, call) {
    const c = new Check(params);
    c.only(['targets']);
    const t = params.targets;
    if (!Array.isArray(t) || t.length === 0 || t.length > 10 || !t.every((x) => typeof x === 'string' && TARGET_RE.test(x))) {
      c.fail('targets', 'must be 1 to 10 sip:/sips:/tel: URIs');
    }
    c.done();
    if (call.direction !== 'inbound' || !isUnanswered(call.state)) throw new CallError('INVALID_STATE', `call ${call.id} is ${call.state}; only an unanswered inbound call can be redirected`);
    return { targets: t as string[] };
  },
  async start(ctx, p) {
    const leg = ctx.call.primaryLeg;
    if (!leg?.live) throw new CallError('INVALID_STATE', 'the caller is gone');
    await leg.channel.redirect(p.targets);
    await ctx.call.end({ by: 'local', reason: 'redirected', sipStatus: leg.hangup?.sipStatus ?? 302 });
    return success({ targets: p.targets });
  },
};
