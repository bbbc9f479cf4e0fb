// Call detail records: what happened on a call and on each leg, written once when the call
// ends, in the same transaction as its call.ended event (src/core/calls/call.ts). The CDR
// row ids are the call's and the legs' ids, so there can never be two records of one call.
import type { MediaStats, Participant } from '../ports/index.ts';
import type { TtsUsage } from '../calls/call.ts';

export interface MediaQuality {
  packetsReceived: number;
  packetsLost: number;
  /** packetsLost / (packetsReceived + packetsLost); 0 when nothing was expected. */
  lossRate: number;
  jitterMs: number;
  rttMs?: number;
}

export interface CallCdr {
  kind: 'call';
  callId: string;
  applicationId: string;
  direction: 'inbound' | 'outbound';
  from: Participant;
  to: Participant;
  startedAt: number;
  ringingAt?: number;
  answeredAt?: number;
  endedAt: number;
  /** Answer → end, ms; 0 when never answered. */
  talkMs: number;
  endReason: string;
  /** 'remote' (a party hung up), 'local' (the application), 'system' (timeout, shutdown). */
  endedBy: string;
  sipStatus?: number;
  legIds: string[];
  recordingIds: string[];
  tts: TtsUsage;
}

export interface LegCdr {
  kind: 'leg';
  legId: string;
  callId: string;
  applicationId: string;
  /** The party at the end (after any INVITE with Replaces). */
  participant: Participant;
  /** Parties this leg had before INVITE/Replaces gave it a new one, oldest first; absent when none. */
  replacedParticipants?: Participant[];
  role: string;
  direction: 'inbound' | 'outbound';
  startedAt: number;
  ringingAt?: number;
  answeredAt?: number;
  endedAt: number;
  talkMs: number;
  endReason: string;
  endedBy: string;
  sipStatus?: number;
  /** Absent when the endpoint could not report (closed before the end). */
  quality?: MediaQuality;
}

export function mediaQuality(s: MediaStats): MediaQuality {
  const expected = s.packetsReceived + s.packetsLost;
  return {
    packetsReceived: s.packetsReceived,
    packetsLost: s.packetsLost,
    lossRate: expected === 0 ? 0 : s.packetsLost / expected,
    jitterMs: s.jitterMs,
    ...(s.rttMs !== undefined ? { rttMs: s.rttMs } : {}),
  };
}
