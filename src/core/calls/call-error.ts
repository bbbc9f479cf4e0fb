// Typed failures of the call service and its operations. Each carries a stable code that
// faces map onto their own error shapes; messages are for people. Another application's call
// is CALL_NOT_FOUND, never FORBIDDEN, so call ids of other tenants cannot be probed.
import type { FieldIssue } from '../tenancy/index.ts';

export type CallErrorCode =
  | 'VALIDATION_FAILED'
  | 'CALL_NOT_FOUND'
  | 'OPERATION_NOT_FOUND'
  | 'UNKNOWN_OPERATION'
  | 'LEG_NOT_FOUND'
  | 'INVALID_STATE'
  | 'DESTINATION_NOT_ALLOWED'
  /** The application's maxConcurrentCalls is reached. */
  | 'CALL_LIMIT_EXCEEDED'
  /** The application's callsPerSecond is spent for now. */
  | 'RATE_LIMITED'
  | 'NOT_CONFIGURED'
  | 'CLOSED';

export class CallError extends Error {
  readonly code: CallErrorCode;
  /** For VALIDATION_FAILED: every problem found. */
  readonly issues?: FieldIssue[];
  constructor(code: CallErrorCode, message: string, issues?: FieldIssue[]) {
    super(message);
    this.name = 'CallError';
    this.code = code;
    if (issues) this.issues = issues;
  }
}
