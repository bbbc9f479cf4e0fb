// moveParticipant: takes a live answered leg out of another live call of the same application
// and puts it into this one, without hanging it up (ACS participants:moveHere, vendor-apis.md
// A.1). The party keeps its SIP dialog and RTP session; only who it hears changes.
//
// ```
//   validate ─▶ from call live, leg live + answered? ──no──▶ failed 404 (CALL_NOT_FOUND / LEG_NOT_FOUND)
//                 │
//                 ▼
//   from.mix.exclude(leg) ─▶ this.mix.adopt(media) ──refused (another media worker …)──▶
//                 │                                 from.mix.include(leg), failed 500 MEDIA_FAILED
//                 ▼                                 (the leg stays where it was)
//   from.releaseLeg(leg) ─▶ new leg (role 'participant') in this call, answered, mixed
//                 │        (the old call: participant.removed / participants.updated; it ends
//                 │         with reason 'moved' when that was its last party)
//                 ▼
//   completed {participant, fromCallId, legId (the new one), fromLegId}
// ```
// PARTIAL: both calls' legs must live in one media worker (a mixer joins endpoints of its own
// worker only); across workers the move fails cleanly as above. Media operations running on the
// leg in the old call (play, recognize, a stream or recording tap) are stopped, not carried over.
// Events: moveParticipant.completed / moveParticipant.failed {participant, fromCallId}.
import { CallError } from '../calls/call-error.ts';
import { Leg } from '../calls/leg.ts';
import type { OperationDefinition } from './operation.ts';
import { SUBCODE, failure, success } from './operation-result.ts';
import { Check } from './validate.ts';

export interface MoveParticipantParams {
  /** The call the participant leaves (same application, live). */
  fromCallId: string;
  /** The participant's leg in that call (live, answered). */
  legId: string;
}

export const moveParticipant: OperationDefinition<MoveParticipantParams> = {
  name: 'moveParticipant',
  eventPrefix: 'moveParticipant',
  events: 'all',
  eventData: (p) => ({ fromCallId: p.fromCallId, fromLegId: p.legId }),
  validate(params, call) {
    const c = new Check(params);
    c.only(['fromCallId', 'legId']);
    const fromCallId = c.str('fromCallId', { required: true, max: 100 });
    const legId = c.str('legId', { required: true, max: 100 });
    if (fromCallId !== undefined && fromCallId === call.id) c.fail('fromCallId', 'is this call: the participant is already here');
    c.done();
    if (call.state !== 'established') throw new CallError('INVALID_STATE', `call ${call.id} is ${call.state}: participants move into an answered call`);
    if (!call.mix.canMix) throw new CallError('NOT_CONFIGURED', 'no mixer is configured: a call cannot have more than two parties');
    return { fromCallId: fromCallId!, legId: legId! };
  },
  async start(ctx, p) {
    const call = ctx.call;
    const from = ctx.env.liveCall?.(p.fromCallId);
    if (!from || from.state === 'ending' || from.state === 'ended') return failure(404, SUBCODE.CALL_ENDED, `no live call ${p.fromCallId} of this application`);
    const old = from.legs.get(p.legId);
    if (!old?.live || old.state !== 'answered' || old.media.closed) return failure(404, SUBCODE.CALL_ENDED, `no live answered leg ${p.legId} in call ${p.fromCallId}`);
    const data = { participant: old.participant, fromCallId: from.id };
    // What ran on the leg belongs to the old call (its prompts, its recognizer): stop it.
    await old.media.stopAll().catch(() => {});
    await from.mix.exclude(old);
    try {
      await call.mix.adopt(old.media, false);
    } catch (err) {
      await from.mix.include(old).catch(() => {});
      return failure(500, SUBCODE.MEDIA_FAILED, `the participant could not join this call's mix: ${err instanceof Error ? err.message : String(err)}`, data);
    }
    if (!old.live || call.state !== 'established') {
      // It hung up (or this call ended) while its media moved: nothing left to move.
      return failure(410, SUBCODE.CALL_ENDED, 'the participant or this call ended during the move', data);
    }
    from.releaseLeg(old);
    const leg = new Leg(ctx.env.newId(), call.id, old.participant, 'participant', old.direction, old.channel, old.media, ctx.env.clock.now());
    call.trackParticipants();
    await call.addLeg(leg);
    call.legAnswered(leg);
    // Its media is in the mixer already (adopt); arrange() now knows it as this call's leg.
    await call.mix.conference().catch(() => {});
    await call.publishParticipants().catch(() => {});
    return success({ ...data, legId: leg.id });
  },
};
