// Core participant and hold events → ACS callbacks (vendor-apis.md A.4):
//   addParticipant.completed            → AddParticipantSucceeded   {participant, invitationId}
//   addParticipant.failed / .cancelled  → AddParticipantFailed      {participant, invitationId}
//   removeParticipant.completed/.failed → RemoveParticipantSucceeded/Failed {participant}
//   cancelAddParticipant.completed/.failed → CancelAddParticipantSucceeded/Failed {invitationId}
//   moveParticipant.completed/.failed   → MoveParticipantSucceeded/Failed {participant, fromCall} (1.6.0)
//   participants.updated                → ParticipantsUpdated       {sequenceNumber, participants: CallParticipant[]}
//   hold.failed                         → HoldFailed
// Not sent (ACS has no callback for them): mute/unmute results (ACS mute answers 200
// synchronously), hold.completed, unhold.completed and unhold.failed (ACS defines HoldFailed
// only; a failed unhold is visible as isOnHold=true in ParticipantsUpdated / GET participants).
// resultInformation uses ACS's own codes and generic subcodes where one fits (ACS docs,
// "Troubleshooting … Call Automation SDK error codes", generic subcodes table): callee
// unavailable 480/8541, busy 486/8539, declined <sip status>/8538, cancelled 487/8508, not found
// 404/8522, hold media failed 500/8511; anything else falls back to the shared table in
// ../callback-events.ts. docs/faces/acs.md lists them.
import { SUBCODE, type DomainEvent, type Participant } from '../../../core/index.ts';
import type { AcsCallback, ResultOf } from '../callback-events.ts';
import { callParticipant, toIdentifier } from '../identifiers.ts';

interface UpdatedParticipant { participant: Participant; muted?: boolean; onHold?: boolean }

const who = (d: Record<string, unknown>): Record<string, unknown> =>
  (d.participant && typeof d.participant === 'object' ? { participant: toIdentifier(d.participant as Participant) } : {});
const invitation = (d: Record<string, unknown>): Record<string, unknown> =>
  (typeof d.invitationId === 'string' ? { invitationId: d.invitationId } : {});

interface CoreResult { code: number; subcode: number; message: string }

/** ACS {code, subCode} for a core participant/hold result, or undefined (use the shared table). */
export function participantResultCode(type: string, r: CoreResult | undefined, sipStatus: unknown): [number, number] | undefined {
  if (!r) return undefined;
  switch (r.subcode) {
    case SUBCODE.NO_ANSWER: return [480, 8541]; // Callee Unavailable
    case SUBCODE.BUSY: return [486, 8539]; // Callee Busy
    case SUBCODE.PEER_REJECTED: return [typeof sipStatus === 'number' && sipStatus >= 400 && sipStatus < 700 ? sipStatus : 603, 8538]; // Callee Declined
    case SUBCODE.CANCELLED: return type.startsWith('addParticipant.') ? [487, 8508] : undefined; // Canceled / Operation Canceled
    case SUBCODE.INVITATION_NOT_FOUND: return [404, 8522]; // Not Found
    case SUBCODE.MEDIA_FAILED: return type === 'hold.failed' ? [500, 8511] : undefined; // Play Prompt Failed (the hold music)
    default: return r.code === 404 ? [404, 8522] : undefined;
  }
}

export function participantCallbacks(e: DomainEvent, shared: ResultOf): AcsCallback {
  const d = e.data as Record<string, unknown>;
  const r = d.result as CoreResult | undefined;
  const mine = participantResultCode(e.type, r, d.sipStatus);
  const res: ResultOf = (msg) => (mine ? { resultInformation: { code: mine[0], subCode: mine[1], message: r?.message ?? msg } } : shared(msg));
  switch (e.type) {
    case 'addParticipant.completed': return { type: 'AddParticipantSucceeded', data: { ...res('The participant joined the call.'), ...who(d), ...invitation(d) } };
    case 'addParticipant.failed':
    case 'addParticipant.cancelled': return { type: 'AddParticipantFailed', data: { ...res(''), ...who(d), ...invitation(d) } };
    case 'removeParticipant.completed': return { type: 'RemoveParticipantSucceeded', data: { ...res('The participant was removed.'), ...who(d) } };
    case 'removeParticipant.failed': return { type: 'RemoveParticipantFailed', data: { ...res(''), ...who(d) } };
    case 'cancelAddParticipant.completed': return { type: 'CancelAddParticipantSucceeded', data: { ...res('The invitation was cancelled.'), ...invitation(d) } };
    case 'cancelAddParticipant.failed': return { type: 'CancelAddParticipantFailed', data: { ...res(''), ...invitation(d) } };
    case 'moveParticipant.completed':
    case 'moveParticipant.failed': return {
      type: e.type === 'moveParticipant.completed' ? 'MoveParticipantSucceeded' : 'MoveParticipantFailed',
      data: { ...res(e.type === 'moveParticipant.completed' ? 'The participant was moved into the call.' : ''), ...who(d), ...(typeof d.fromCallId === 'string' ? { fromCall: d.fromCallId } : {}) },
    };
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
