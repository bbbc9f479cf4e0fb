// hangup: the application hangs up. forEveryone (default true) ends the call for every leg;
// otherwise only one leg (legId, default the primary) is hung up and the call goes on while
// other legs remain (it ends with its last leg).
import type { OperationDefinition } from './operation.ts';
import { success } from './operation-result.ts';
import { targetLegs } from './media.ts';
import { Check } from './validate.ts';

export const hangup: OperationDefinition<{ forEveryone: boolean; legId?: string }> = {
  name: 'hangup',
  eventPrefix: 'hangup',
  events: 'failures',
  keepOnCallEnd: true,
  validate(params) {
    const c = new Check(params);
    c.only(['forEveryone', 'legId']);
    const forEveryone = c.bool('forEveryone', true);
    const legId = c.str('legId');
    c.done();
    return { forEveryone, ...(legId !== undefined ? { legId } : {}) };
  },
  async start(ctx, p) {
    const call = ctx.call;
    // A named leg must exist even when everyone is hung up: a typo'd legId is LEG_NOT_FOUND,
    // never "end the whole call" (api-hostile-input.test.ts found {legId:"12345"} ending it).
    if (p.legId !== undefined) targetLegs(ctx, p.legId, false);
    if (p.forEveryone || call.liveLegs().length <= 1) {
      await call.end({ by: 'local', reason: 'normal' });
      return success({ forEveryone: true });
    }
    const [leg] = targetLegs(ctx, p.legId, false);
    await leg.channel.hangup('normal');
    return success({ forEveryone: false, legId: leg.id });
  },
};
