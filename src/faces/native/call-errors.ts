// Core's CallError → the HTTP error catalog. Another application's call, operation or leg is
// NOT_FOUND like a missing one (core already says CALL_NOT_FOUND, never FORBIDDEN); validation
// issues become the catalog's `details` unchanged, so core stays the one place that knows
// an operation's rules.
import { CallError, type CallErrorCode } from '../../core/index.ts';
import { httpError, type ErrorCode } from '../../http/index.ts';

const CODES: Record<CallErrorCode, ErrorCode> = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  CALL_NOT_FOUND: 'CALL_NOT_FOUND',
  OPERATION_NOT_FOUND: 'OPERATION_NOT_FOUND',
  // Only reachable through a bug in the route table (routes name operations in code).
  UNKNOWN_OPERATION: 'INTERNAL',
  LEG_NOT_FOUND: 'LEG_NOT_FOUND',
  INVALID_STATE: 'CALL_INVALID_STATE',
  DESTINATION_NOT_ALLOWED: 'DESTINATION_NOT_ALLOWED',
  CALL_LIMIT_EXCEEDED: 'CALL_LIMIT_EXCEEDED',
  RATE_LIMITED: 'RATE_LIMITED',
  NOT_CONFIGURED: 'NOT_CONFIGURED',
  // The call service is shutting down: the node is draining.
  CLOSED: 'NOT_READY',
};

/** A catalog error for a CallError; anything else is returned unchanged. */
export function callErrorToHttp(err: unknown): unknown {
  if (!(err instanceof CallError)) return err;
  const code = CODES[err.code];
  if (code === 'INTERNAL') return err;
  return err.issues ? httpError(code, err.message, err.issues) : httpError(code, err.message);
}
