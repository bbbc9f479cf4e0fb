// Kysely shapes of the call-model tables (migration 0005). Timestamps are ms since the epoch;
// JSON values live in text columns (see ../schema.ts for the portability rules).

export interface CallsTable {
  id: string;
  application_id: string;
  /** 'inbound' | 'outbound'. */
  direction: string;
  /** Core's CallState (src/core/calls/call-state.ts). */
  state: string;
  /** JSON Participant. */
  from_party: string;
  to_party: string;
  /** Per-call callback override; null = the application's. */
  callback_url: string | null;
  created_at: number;
  ringing_at: number | null;
  answered_at: number | null;
  ended_at: number | null;
  end_reason: string | null;
  /** 'remote' | 'local' | 'system'. */
  ended_by: string | null;
  sip_status: number | null;
  updated_at: number;
}

export interface LegsTable {
  id: string;
  call_id: string;
  application_id: string;
  /** JSON Participant. */
  participant: string;
  /** 'caller' | 'callee' | 'participant' | 'transfer-target'. */
  role: string;
  direction: string;
  /** Core's LegState. */
  state: string;
  created_at: number;
  ringing_at: number | null;
  answered_at: number | null;
  ended_at: number | null;
  end_reason: string | null;
  ended_by: string | null;
  sip_status: number | null;
  updated_at: number;
  /** 1 = the others do not hear this leg (muteParticipant); 0 = not muted. Migration 0009, default 0. */
  muted: number;
  /** 1 = out of the conversation, hearing music (hold); 0 = not held. Migration 0009, default 0. */
  on_hold: number;
}

export interface OperationsTable {
  id: string;
  call_id: string;
  application_id: string;
  name: string;
  /** 'running' | 'completed' | 'failed' | 'cancelled'. */
  state: string;
  operation_context: string | null;
  /** JSON of the validated parameters. */
  params: string;
  /** JSON {code, subcode, message, ...}; null while running. */
  result: string | null;
  created_at: number;
  updated_at: number;
}

export interface RecordingsTable {
  id: string;
  call_id: string;
  application_id: string;
  /** Where the audio is (relative to the data directory, or a bucket key). */
  path: string;
  format: string;
  channels: number;
  duration_ms: number | null;
  size_bytes: number | null;
  /** 'recording' | 'paused' | 'completed' | 'failed' | 'deleted'. */
  state: string;
  /** SHA-256 hex of the download token; null = downloadable only with a key. */
  access_token_hash: string | null;
  created_at: number;
  updated_at: number;
}

export interface CdrsTable {
  id: string;
  application_id: string;
  call_id: string;
  /** null for the call-level record. */
  leg_id: string | null;
  /** 'call' | 'leg'. */
  kind: string;
  started_at: number;
  ended_at: number;
  /** JSON of the whole record (core's CallCdr / LegCdr). */
  record: string;
}
