// The error catalog for every HTTP surface of Switchboard. Each error has a stable code,
// an HTTP status and a default message, and a row in docs/errors.md; handlers throw
// `httpError(code)` and the app's error handler turns it into the one wire shape:
//   { "error": { "code": "NOT_FOUND", "message": "…" } }
// This module must never leak internals (stack traces, SQL, file paths) into messages.

/** Every error code the HTTP layer can return. Add rows here AND in docs/errors.md. */
export const ERROR_CATALOG = {
  BAD_REQUEST: { status: 400, message: 'The request could not be understood.' },
  VALIDATION_FAILED: { status: 400, message: 'The request did not pass validation.' },
  UNAUTHORIZED: { status: 401, message: 'A valid API key is required (Authorization: Bearer <key>).' },
  FORBIDDEN: { status: 403, message: 'This key may not perform this action.' },
  NOT_FOUND: { status: 404, message: 'No such resource.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This method is not allowed on this resource.' },
  CONFLICT: { status: 409, message: 'The request conflicts with the current state of the resource.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported Content-Type.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large (16 KB in all).' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; slow down.' },
  INTERNAL: { status: 500, message: 'Internal error.' },
  NOT_READY: { status: 503, message: 'The server is starting or draining.' },
  // Tenancy (native API): the same codes as core's TenancyError.
  APPLICATION_NOT_FOUND: { status: 404, message: 'No such application.' },
  APPLICATION_CONFLICT: { status: 409, message: 'An application with this name already exists.' },
  API_KEY_NOT_FOUND: { status: 404, message: 'No such API key for this application.' },
  ACS_KEY_NOT_FOUND: { status: 404, message: 'No such active ACS access key for this application.' },
  NUMBER_NOT_FOUND: { status: 404, message: 'No such number.' },
  NUMBER_CONFLICT: { status: 409, message: 'This number or SIP URI is already routed.' },
  TRUNK_NOT_FOUND: { status: 404, message: 'No such trunk.' },
  TRUNK_CONFLICT: { status: 409, message: 'A trunk with this name already exists.' },
  SIP_USER_NOT_FOUND: { status: 404, message: 'No such SIP user.' },
  SIP_USER_CONFLICT: { status: 409, message: 'A SIP user with this username already exists.' },
  // Request idempotency (src/http/idempotency, docs/idempotency.md).
  REPEATABILITY_HEADERS_INVALID: { status: 400, message: 'Repeatability-Request-ID must be a GUID and Repeatability-First-Sent an IMF-fixdate, sent together.' },
  IDEMPOTENCY_KEY_INVALID: { status: 400, message: 'Idempotency-Key must be 1–255 printable ASCII characters.' },
  IDEMPOTENCY_KEY_REUSED: { status: 400, message: 'This request id was already used for a different request.' },
  IDEMPOTENT_REQUEST_IN_PROGRESS: { status: 409, message: 'The first request with this id is still being processed; retry shortly.' },
  REPEATABILITY_EXPIRED: { status: 412, message: 'Repeatability-First-Sent is outside the 5-minute window.' },
  // Calls, operations, recordings, CDRs (native API over core's CallError; faces/native/call-errors.ts).
  CALL_NOT_FOUND: { status: 404, message: 'No such call.' },
  OPERATION_NOT_FOUND: { status: 404, message: 'No such operation.' },
  LEG_NOT_FOUND: { status: 404, message: 'No such leg on this call.' },
  RECORDING_NOT_FOUND: { status: 404, message: 'No such recording.' },
  CDR_NOT_FOUND: { status: 404, message: 'No such call detail record.' },
  CALL_INVALID_STATE: { status: 409, message: 'The call is not in a state that allows this.' },
  RECORDING_NOT_READY: { status: 409, message: 'The recording is not finished (or failed), so it has no content yet.' },
  DESTINATION_NOT_ALLOWED: { status: 403, message: 'This application may not call this destination.' },
  CALL_LIMIT_EXCEEDED: { status: 429, message: 'The application has as many calls up as its maxConcurrentCalls allows.' },
  NOT_CONFIGURED: { status: 501, message: 'This node is not configured for this (e.g. no outbound channel or speech engine).' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested byte range is outside the content.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** The body of every error response. `details` carries validation issues, never internals. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** An error that already knows its catalog entry; throw it from any route. */
export class HttpError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERROR_CATALOG[code].message);
    this.name = 'HttpError';
    this.code = code;
    this.statusCode = ERROR_CATALOG[code].status;
    this.details = details;
  }
}

/** Shorthand: `throw httpError('NOT_FOUND', 'No call with id c1')`. */
export function httpError(code: ErrorCode, message?: string, details?: unknown): HttpError {
  return new HttpError(code, message, details);
}

export function errorBody(code: ErrorCode, message?: string, details?: unknown): ErrorBody {
  const error: ErrorBody['error'] = { code, message: message ?? ERROR_CATALOG[code].message };
  if (details !== undefined) error.details = details;
  return { error };
}

/** The catalog code for a bare HTTP status (used for Fastify's own errors). */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400: return 'BAD_REQUEST';
    case 401: return 'UNAUTHORIZED';
    case 403: return 'FORBIDDEN';
    case 404: return 'NOT_FOUND';
    case 405: return 'METHOD_NOT_ALLOWED';
    case 409: return 'CONFLICT';
    case 413: return 'PAYLOAD_TOO_LARGE';
    case 415: return 'UNSUPPORTED_MEDIA_TYPE';
    case 408: return 'REQUEST_TIMEOUT';
    case 431: return 'HEADERS_TOO_LARGE';
    case 429: return 'RATE_LIMITED';
    case 503: return 'NOT_READY';
    default: return status >= 400 && status < 500 ? 'BAD_REQUEST' : 'INTERNAL';
  }
}
