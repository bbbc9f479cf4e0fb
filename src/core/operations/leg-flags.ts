// Makes a leg's participant flags durable: muteParticipant / unmuteParticipant and hold /
// unhold change `leg.muted` / `leg.onHold` in memory (the truth for a live call, applied by
// CallMix) and then call persistLegFlags, which writes both flags to the leg's row (legs.muted,
// legs.on_hold — store migration 0009) through the call's journal. So GET /v1/calls/{id}, the
// ACS face's participant list of a call this node does not hold in memory, and whoever reads
// the store after a restart see what the call's parties saw.
//
// The row follows memory: the write reads the flags when the journal runs it (the journal runs a
// call's writes one at a time, in order), so a later change queued behind it can never be
// overwritten by an older value. It is its own transaction, queued before participants.updated
// (Call.publishParticipants), not in the same one: a crash between the two leaves the row right
// and only the event missing.
import type { Call } from '../calls/call.ts';
import type { Leg } from '../calls/leg.ts';
import type { Clock } from '../../lib/index.ts';

/**
 * Writes `leg.muted` and `leg.onHold` (as they are when the write runs) to the leg's row.
 * Resolves when committed. Never rejects: a failed write is logged and counted by the journal
 * (CallJournal.failures), and the operation's effect on the media stands regardless.
 */
export async function persistLegFlags(call: Call, leg: Leg, clock: Clock): Promise<void> {
  await call.journal.record({
    write: async (tx) => {
      await tx.calls.calls.updateLeg(leg.id, { muted: leg.muted, onHold: leg.onHold, updatedAt: clock.now() });
    },
    events: [],
  }).catch(() => {});
}
