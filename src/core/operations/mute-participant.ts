// muteParticipant / unmuteParticipant: the others stop / start hearing one leg (it still hears
// them). The flag lives on the Leg (memory is the truth for a live call; reported in the events)
// and CallMix applies it: the mixer's per-member mute in a conference, MediaEndpoint.mute()
// otherwise. Once applied it is written to the leg's row (legs.muted, ./leg-flags.ts) before
// the operation completes, so GET /v1/calls/{id} right after reads it. Muting a muted leg
// completes without a change (and without a write).
// Events: muteParticipant.completed / unmuteParticipant.completed {legId, participant};
// participants.updated when the flag changed.
import type { OperationDefinition } from './operation.ts';
import { SUBCODE, failure, success } from './operation-result.ts';
import { persistLegFlags } from './leg-flags.ts';
import { liveLegOf, validateLegParams, type LegParams } from './remove-participant.ts';

function muteOperation(name: 'muteParticipant' | 'unmuteParticipant', muted: boolean): OperationDefinition<LegParams> {
  return {
    name,
    eventPrefix: name,
    events: 'all',
    eventData: (p) => ({ legId: p.legId }),
    validate: validateLegParams,
    async start(ctx, p) {
      const leg = liveLegOf(ctx.call, p.legId);
      const data = { participant: leg.participant, muted };
      if (leg.muted === muted) return success(data, muted ? 'already muted' : 'not muted');
      leg.muted = muted;
      try {
        await ctx.call.mix.applyMute(leg);
      } catch (err) {
        leg.muted = !muted;
        return failure(500, SUBCODE.MEDIA_FAILED, `could not ${muted ? 'mute' : 'unmute'}: ${err instanceof Error ? err.message : String(err)}`, data);
      }
      // Only a change that took effect reaches the row (a failed mute was rolled back above).
      await persistLegFlags(ctx.call, leg, ctx.env.clock);
      await ctx.call.publishParticipants().catch(() => {});
      return success(data);
    },
  };
}

export const muteParticipant = muteOperation('muteParticipant', true);
export const unmuteParticipant = muteOperation('unmuteParticipant', false);
