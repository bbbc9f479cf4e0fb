// removeParticipant: hangs one leg up (BYE, or CANCEL while it rings; reason 'removed', by
// local). The call goes on while at least one other leg is live and answered — in a conference
// the mixer simply loses a member (CallMix rearranges on the hangup). Removing the last
// answered party ends the call (call.ended, reason 'removed'), except in a conference
// (CallService.openConference), which stays open until hangup or its idle timeout. Events:
// removeParticipant.completed {participant, legId}; participants.updated follows the hangup.
import type { Call } from '../calls/call.ts';
import { CallError } from '../calls/call-error.ts';
import type { Leg } from '../calls/leg.ts';
import type { OperationDefinition } from './operation.ts';
import { success } from './operation-result.ts';
import { Check } from './validate.ts';

export interface LegParams {
  legId: string;
}

/** The live leg `legId` of `call`, or LEG_NOT_FOUND (an ended leg is not found either). */
export function liveLegOf(call: Call, legId: string): Leg {
  const leg = call.legs.get(legId);
  if (!leg?.live) throw new CallError('LEG_NOT_FOUND', `no live leg ${legId} in call ${call.id}`);
  return leg;
}

/** Validates {legId} and that the leg is live (LEG_NOT_FOUND before anything runs). */
export function validateLegParams(params: Record<string, unknown>, call: Call): LegParams {
  const c = new Check(params);
  c.only(['legId']);
  const legId = c.str('legId', { required: true, max: 100 });
  c.done();
  liveLegOf(call, legId!);
  return { legId: legId! };
}

export const removeParticipant: OperationDefinition<LegParams> = {
  name: 'removeParticipant',
  eventPrefix: 'removeParticipant',
  events: 'all',
  eventData: (p) => ({ legId: p.legId }),
  validate: validateLegParams,
  async start(ctx, p) {
    const call = ctx.call;
    const leg = liveLegOf(call, p.legId);
    const others = call.liveLegs().filter((l) => l !== leg && l.state === 'answered');
    // From now on the roster is reported: the hangup below publishes participants.updated.
    call.trackParticipants();
    await leg.channel.hangup('removed');
    if (others.length === 0 && !call.conference && call.state !== 'ending' && call.state !== 'ended') {
      // Nobody left to talk to (a ringing invitation is not a party): the call is over. A
      // conference (openConference) stays open for its idle timeout instead.
      void call.end({ by: 'local', reason: 'removed' });
    }
    return success({ participant: leg.participant });
  },
};
