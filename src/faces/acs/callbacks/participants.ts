// Core participant and hold events → ACS callbacks (vendor-apis.md A.4):
//   addParticipant.completed            → AddParticipantSucceeded   {participant, invitationId}
//   addParticipant.failed / .cancelled  → AddParticipantFailed      {participant, invitationId}
//   removeParticipant.completed/.failed → RemoveParticipantSucceeded/Failed {participant}
//   cancelAddParticipant.completed/.failed → CancelAddParticipantSucceeded/Failed {invitationId}
//   participants.updated                → ParticipantsUpdated       {sequenceNumber, participants: CallParticipant[]}
//   hold.failed                         → HoldFailed
// Not sent (ACS has no callback for them): mute/unmute results (ACS mute answers 200
// synchronously), hold.completed, unhold.completed and unhold.failed (ACS defines HoldFailed
// only; a failed unhold is visible as isOnHold=true in ParticipantsUpdated / GET participants).
// resultInformation comes from the shared table in ../callback-events.ts (cancelled → 400/8508,
// others core code + 9000 + core subcode); docs/faces/acs.md lists it.
import type { DomainEvent, Participant } from '../../../core/index.ts';
import type { AcsCallback, ResultOf } from '../callback-events.ts';
import { callParticipant, toIdentifier } from '../identifiers.ts';

interface UpdatedParticipant { participant: Participant; muted?: boolean; onHold?: boolean }

const who = (d: Record<string, unknown>): Record<string, unknown> =>
  (d.participant && typeof d.participant === 'object' ? { participant: toIdentifier(d.participant as Participant) } : {});
const invitation = (d: Record<string, unknown>): Record<string, unknown> =>
  (typeof d.invitationId === 'string' ? { invitationId: d.invitationId } : {});

export function participantCallbacks(e: DomainEvent, res: ResultOf): AcsCallback {
  const d = e.data as Record<string, unknown>;
  switch (e.type) {
    case 'addParticipant.completed': return { type: 'AddParticipantSucceeded', data: { ...res('The participant joined the call.'), ...who(d), ...invitation(d) } };
    case 'addParticipant.failed':
    case 'addParticipant.cancelled': return { type: 'AddParticipantFailed', data: { ...res(''), ...who(d), ...invitation(d) } };
    case 'removeParticipant.completed': return { type: 'RemoveParticipantSucceeded', data: { ...res('The participant was removed.'), ...who(d) } };
    case 'removeParticipant.failed': return { type: 'RemoveParticipantFailed', data: { ...res(''), ...who(d) } };
    case 'cancelAddParticipant.completed': return { type: 'CancelAddParticipantSucceeded', data: { ...res('The invitation was cancelled.'), ...invitation(d) } };
    case 'cancelAddParticipant.failed': return { type: 'CancelAddParticipantFailed', data: { ...res(''), ...invitation(d) } };
    case 'participants.updated': {
      const list = Array.isArray(d.participants) ? d.participants as UpdatedParticipant[] : [];
      return {
        type: 'ParticipantsUpdated',
        data: {
          ...res('Participants updated.'),
          ...(typeof d.sequence === 'number' ? { sequenceNumber: d.sequence } : {}),
          participants: list.filter((p) => p && typeof p.participant === 'object').map((p) => callParticipant(p.participant, p)),
        },
      };
    }
    case 'hold.failed': return { type: 'HoldFailed', data: res('') };
    default: return null;
  }
}
