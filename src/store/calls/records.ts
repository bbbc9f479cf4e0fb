// What the call repositories store and return. The store may not import core, so party and
// CDR shapes are plain JSON objects here; core owns their meaning (src/core/calls, src/core/cdr).

export type JsonObject = Record<string, unknown>;

/** The end of a call or leg: when, why, by whom, and the final SIP status. */
export interface EndFields {
  endedAt: number | null;
  endReason: string | null;
  endedBy: string | null;
  sipStatus: number | null;
}

export interface CallRecord extends EndFields {
  id: string;
  applicationId: string;
  direction: string;
  state: string;
  from: JsonObject;
  to: JsonObject;
  callbackUrl: string | null;
  createdAt: number;
  ringingAt: number | null;
  answeredAt: number | null;
  updatedAt: number;
}

export interface LegRecord extends EndFields {
  id: string;
  callId: string;
  applicationId: string;
  participant: JsonObject;
  role: string;
  direction: string;
  state: string;
  createdAt: number;
  ringingAt: number | null;
  answeredAt: number | null;
  updatedAt: number;
  /** The others do not hear this leg (muteParticipant); false unless an operation set it. */
  muted: boolean;
  /** Out of the conversation, hearing music (hold); false unless an operation set it. */
  onHold: boolean;
}

/** A leg as first written: the participant flags may be left out (default false: a new leg is neither muted nor held). */
export type NewLegRecord = Omit<LegRecord, 'muted' | 'onHold'> & Partial<Pick<LegRecord, 'muted' | 'onHold'>>;

/** Fields an update may change; absent = unchanged. */
export type CallPatch = Partial<Pick<CallRecord, 'state' | 'ringingAt' | 'answeredAt' | 'endedAt' | 'endReason' | 'endedBy' | 'sipStatus'>> & { updatedAt: number };
/**
 * A leg's patch may also change its party (an INVITE with Replaces gave the leg a new peer) and
 * its participant flags (mute/unmute, hold/unhold).
 */
export type LegPatch = CallPatch & { participant?: JsonObject } & Partial<Pick<LegRecord, 'muted' | 'onHold'>>;

export interface OperationRecord {
  id: string;
  callId: string;
  applicationId: string;
  name: string;
  state: string;
  operationContext: string | null;
  params: JsonObject;
  result: JsonObject | null;
  createdAt: number;
  updatedAt: number;
}

export interface RecordingRecord {
  id: string;
  callId: string;
  applicationId: string;
  path: string;
  format: string;
  channels: number;
  durationMs: number | null;
  sizeBytes: number | null;
  state: string;
  accessTokenHash: string | null;
  createdAt: number;
  updatedAt: number;
}

export type RecordingPatch = Partial<Pick<RecordingRecord, 'state' | 'durationMs' | 'sizeBytes' | 'accessTokenHash'>> & { updatedAt: number };

export interface CdrRecord {
  id: string;
  applicationId: string;
  callId: string;
  legId: string | null;
  kind: 'call' | 'leg';
  startedAt: number;
  endedAt: number;
  record: JsonObject;
}

/** A page query over time: [since, until) by start time, oldest first, after a cursor id. */
export interface TimePageQuery {
  /** Only this application's rows; undefined = all (operator). */
  applicationId?: string;
  /** Inclusive lower bound, ms; default none. */
  since?: number;
  /** Exclusive upper bound, ms; default none. */
  until?: number;
  /** Continue after this row (the last id of the previous page). */
  afterId?: string;
  /** Page size; default 100, at most 1000. */
  limit?: number;
}
