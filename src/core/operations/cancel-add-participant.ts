// cancelAddParticipant: withdraws a ringing addParticipant invitation by its invitationId. The
// addParticipant operation is cancelled (its leg gets a CANCEL, addParticipant.cancelled
// follows), then this one completes. An invitation that was answered, failed or never existed
// is a 404-like failure (subcode INVITATION_NOT_FOUND): the application learns it was too late.
// Events: cancelAddParticipant.completed | .failed, with invitationId.
import type { OperationDefinition } from './operation.ts';
import { SUBCODE, failure, success } from './operation-result.ts';
import { Check } from './validate.ts';

export interface CancelAddParticipantParams {
  invitationId: string;
}

export const cancelAddParticipant: OperationDefinition<CancelAddParticipantParams> = {
  name: 'cancelAddParticipant',
  eventPrefix: 'cancelAddParticipant',
  events: 'all',
  eventData: (p) => ({ invitationId: p.invitationId }),
  validate(params) {
    const c = new Check(params);
    c.only(['invitationId']);
    const invitationId = c.str('invitationId', { required: true, max: 128 });
    c.done();
    return { invitationId: invitationId! };
  },
  async start(ctx, p) {
    const opId = ctx.call.invitations.get(p.invitationId);
    const op = opId === undefined ? undefined : [...ctx.call.operations].find((o) => o.id === opId);
    if (!op) return failure(404, SUBCODE.INVITATION_NOT_FOUND, `no pending invitation ${p.invitationId}`);
    await op.cancel('cancelled');
    return success();
  },
};
