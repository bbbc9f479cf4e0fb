// Builds the CDR rows of an ending call from its in-memory state and its legs' media stats.
// Pure: no I/O, so the Call can write the rows in the same transaction as call.ended.
import type { CdrRecord } from '../../store/index.ts';
import type { MediaStats } from '../ports/index.ts';
import type { Call } from '../calls/call.ts';
import { mediaQuality, type CallCdr, type LegCdr } from './cdr.ts';

const opt = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> =>
  (v === undefined ? {} : { [k]: v }) as Partial<Record<K, V>>;

export function buildCdrs(call: Call, stats: ReadonlyMap<string, MediaStats | undefined>): CdrRecord[] {
  const endedAt = call.times.endedAt ?? call.times.createdAt;
  const info = call.endInfo ?? { by: 'system', reason: 'ended' };
  const sipStatus = call.primaryLeg?.hangup?.sipStatus ?? info.sipStatus;
  const callCdr: CallCdr = {
    kind: 'call', callId: call.id, applicationId: call.applicationId, direction: call.direction,
    from: call.from, to: call.to, startedAt: call.times.createdAt,
    ...opt('ringingAt', call.times.ringingAt), ...opt('answeredAt', call.times.answeredAt),
    endedAt, talkMs: call.times.answeredAt === undefined ? 0 : endedAt - call.times.answeredAt,
    endReason: info.reason, endedBy: info.by, ...opt('sipStatus', sipStatus),
    legIds: [...call.legs.keys()], recordingIds: [...call.recordingIds], tts: { ...call.ttsUsage },
  };
  const rows: CdrRecord[] = [{
    id: call.id, applicationId: call.applicationId, callId: call.id, legId: null, kind: 'call',
    startedAt: callCdr.startedAt, endedAt, record: { ...callCdr },
  }];
  for (const leg of call.legs.values()) {
    const end = leg.times.endedAt ?? endedAt;
    const s = stats.get(leg.id);
    const h = leg.hangup ?? { by: info.by, reason: info.reason };
    const legCdr: LegCdr = {
      kind: 'leg', legId: leg.id, callId: call.id, applicationId: call.applicationId,
      participant: leg.participant,
      ...(leg.previousParticipants.length > 0 ? { replacedParticipants: [...leg.previousParticipants] } : {}),
      role: leg.role, direction: leg.direction, startedAt: leg.times.createdAt,
      ...opt('ringingAt', leg.times.ringingAt), ...opt('answeredAt', leg.times.answeredAt), endedAt: end,
      talkMs: leg.times.answeredAt === undefined ? 0 : end - leg.times.answeredAt,
      endReason: h.reason, endedBy: h.by, ...opt('sipStatus', h.sipStatus), ...(s ? { quality: mediaQuality(s) } : {}),
    };
    rows.push({
      id: leg.id, applicationId: call.applicationId, callId: call.id, legId: leg.id, kind: 'leg',
      startedAt: legCdr.startedAt, endedAt: end, record: { ...legCdr },
    });
  }
  return rows;
}
