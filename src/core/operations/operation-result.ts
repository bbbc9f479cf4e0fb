// The result every operation ends with: code (HTTP-like class), subcode (a stable number that
// says exactly why) and a message for people. Faces map these onto their own result shapes
// (e.g. ACS resultInformation {code, subCode, message}).

export interface OperationResult {
  /** 200 done; 400 failed; 403 not allowed; 408 timed out; 410 call gone; 499 cancelled; 500 internal/media error. */
  code: number;
  subcode: number;
  message: string;
}

/** Stable subcodes; never renumber. */
export const SUBCODE = {
  OK: 0,
  CANCELLED: 1,
  CALL_ENDED: 2,
  INITIAL_SILENCE_TIMEOUT: 3,
  INTER_DIGIT_TIMEOUT: 4,
  MAX_TONES: 5,
  STOP_TONE: 6,
  NO_MATCH: 7,
  MEDIA_FAILED: 8,
  PEER_REJECTED: 9,
  NO_ANSWER: 10,
  BUSY: 11,
  DESTINATION_NOT_ALLOWED: 12,
  SPEECH_RECOGNIZED: 13,
  MAX_DURATION: 14,
  SILENCE: 15,
  INTERNAL: 16,
  NOT_SUPPORTED: 17,
  BARGE_IN: 18,
  /** cancelAddParticipant: no pending invitation with that id (answered, failed, or never). */
  INVITATION_NOT_FOUND: 19,
} as const;

export const ok = (message = 'done', subcode: number = SUBCODE.OK): OperationResult => ({ code: 200, subcode, message });

/** What an operation's start() returns: its result and any event fields (tones, recordingId …). */
export interface OperationOutcome {
  result: OperationResult;
  data?: Record<string, unknown>;
}

export const success = (data?: Record<string, unknown>, message = 'done', subcode: number = SUBCODE.OK): OperationOutcome =>
  ({ result: ok(message, subcode), ...(data ? { data } : {}) });

export const failure = (code: number, subcode: number, message: string, data?: Record<string, unknown>): OperationOutcome =>
  ({ result: { code, subcode, message }, ...(data ? { data } : {}) });

export const isSuccess = (r: OperationResult): boolean => r.code >= 200 && r.code < 300;
