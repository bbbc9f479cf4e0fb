// addParticipant: invites another party into a live, answered call. A new outbound leg (role
// 'participant') is dialed near the call's first leg; when it answers, the call becomes (or
// stays) a conference — any two-party bridge is replaced by one mixer holding every live
// answered leg (CallMix, src/core/calls/call-mix.ts) — and participants.updated follows.
//
// ```
//   validate ──▶ dialing ──answer──▶ mixed ──▶ completed {participant, legId, invitationId}
//                  │ ──busy / reject / ringTimeoutMs (CANCEL)──▶ failed {participant, invitationId, result}
//                  └──cancelAddParticipant / call ends (CANCEL)──▶ cancelled {participant, invitationId}
// ```
// The invitation is known by invitationId (default the operation id) while it rings; the
// pending map on the call is what cancelAddParticipant looks in. Events: addParticipant.*.
import { CallError } from '../calls/call-error.ts';
import type { Participant } from '../ports/index.ts';
import { waitForAnswer } from './dial.ts';
import type { OperationDefinition } from './operation.ts';
import { SUBCODE, failure, success } from './operation-result.ts';
import { Check } from './validate.ts';

export interface AddParticipantParams {
  target: Participant;
  /** Caller ID shown to the invited party; default the adapter's (trunk rules). */
  callerId?: Participant;
  /** Invitation timeout: CANCEL after this long without an answer; default 60000 ms (1000..300000). */
  ringTimeoutMs: number;
  /** The handle cancelAddParticipant uses; default the operation id. */
  invitationId?: string;
}

const MAX_INVITATION_ID = 128;

export const addParticipant: OperationDefinition<AddParticipantParams> = {
  name: 'addParticipant',
  eventPrefix: 'addParticipant',
  events: 'all',
  eventData: (p, operationId) => ({ participant: p.target, invitationId: p.invitationId ?? operationId }),
  validate(params, call) {
    const c = new Check(params);
    c.only(['target', 'callerId', 'ringTimeoutMs', 'invitationId']);
    const target = c.participant('target', true);
    const callerId = c.participant('callerId', false);
    const ringTimeoutMs = c.int('ringTimeoutMs', 60_000, 1000, 300_000);
    const invitationId = c.str('invitationId', { max: MAX_INVITATION_ID });
    if (target?.kind === 'application') c.fail('target', 'an application cannot be dialed');
    if (invitationId !== undefined && invitationId.length === 0) c.fail('invitationId', 'must not be empty');
    if (invitationId !== undefined && call.invitations.has(invitationId)) c.fail('invitationId', 'an invitation with this id is already pending');
    c.done();
    if (call.state !== 'established') throw new CallError('INVALID_STATE', `call ${call.id} is ${call.state}: participants join an answered call`);
    if (!call.mix.canMix) throw new CallError('NOT_CONFIGURED', 'no mixer is configured: a call cannot have more than two parties');
    return { target: target!, ringTimeoutMs, ...(callerId ? { callerId } : {}), ...(invitationId !== undefined ? { invitationId } : {}) };
  },
  async start(ctx, p) {
    const call = ctx.call;
    const invitationId = p.invitationId ?? ctx.operationId;
    const data = { invitationId };
    if (call.invitations.has(invitationId)) return failure(400, SUBCODE.PEER_REJECTED, `invitation ${invitationId} is already pending`, data);
    call.invitations.set(invitationId, ctx.operationId);
    try {
      const leg = await ctx.env.dialLeg(call, p.target, { role: 'participant', ringTimeoutMs: p.ringTimeoutMs, ...(p.callerId ? { callerId: p.callerId } : {}) });
      // Cancelled while the INVITE was being sent: waitForAnswer would not see that abort.
      if (ctx.signal.aborted) {
        await leg.channel.hangup('cancelled').catch(() => {});
        return failure(499, SUBCODE.CANCELLED, 'cancelled', data);
      }
      const w = await waitForAnswer(leg, ctx.env.clock, p.ringTimeoutMs, ctx.signal);
      call.invitations.delete(invitationId);
      if (!w.answered) {
        const sub = w.hangup.reason === 'no-answer' ? SUBCODE.NO_ANSWER : w.hangup.reason === 'busy' || w.hangup.sipStatus === 486 ? SUBCODE.BUSY : SUBCODE.PEER_REJECTED;
        return failure(400, sub, `the participant did not answer: ${w.hangup.reason}`, { ...data, ...(w.hangup.sipStatus !== undefined ? { sipStatus: w.hangup.sipStatus } : {}) });
      }
      try {
        await call.mix.conference();
      } catch (err) {
        // A party nobody can hear is worse than no party: hang the new leg up.
        await leg.channel.hangup('error').catch(() => {});
        return failure(500, SUBCODE.MEDIA_FAILED, `the participant could not be mixed in: ${err instanceof Error ? err.message : String(err)}`, data);
      }
      return success({ ...data, legId: leg.id });
    } finally {
      call.invitations.delete(invitationId);
    }
  },
};
