// ACS's error shape (vendor-apis.md A.9): every failure of the ACS face is an AcsError, sent as
// {error: {code, message}} with its HTTP status. Core's CallErrors are mapped here too.
import { CallError, type CallErrorCode } from '../../core/index.ts';

export class AcsError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}

/** 400 BadRequest with this message. */
export const bad = (message: string): AcsError => new AcsError(400, 'BadRequest', message);

/** 404 NotFound with this message. */
export const notFound = (message: string): AcsError => new AcsError(404, 'NotFound', message);

/**
 * Core CallError code → ACS status and code. Typed over every CallErrorCode, so a code added to
 * core fails the typecheck here instead of reaching an ACS client as a 500.
 */
const ACS_CODES: Record<CallErrorCode, [number, string]> = {
  VALIDATION_FAILED: [400, 'BadRequest'], CALL_NOT_FOUND: [404, 'NotFound'], LEG_NOT_FOUND: [404, 'NotFound'],
  OPERATION_NOT_FOUND: [404, 'NotFound'], INVALID_STATE: [400, 'BadRequest'], DESTINATION_NOT_ALLOWED: [403, 'Forbidden'],
  CALL_LIMIT_EXCEEDED: [429, 'TooManyRequests'], RATE_LIMITED: [429, 'TooManyRequests'],
  NOT_CONFIGURED: [501, 'NotSupported'], CLOSED: [503, 'ServiceUnavailable'],
  // Only reachable through a bug in the route table (routes name operations in code).
  UNKNOWN_OPERATION: [500, 'InternalServerError'],
};

/** Core CallError → ACS status and code; anything else is returned unchanged. */
export function fromCallError(err: unknown): AcsError | unknown {
  if (!(err instanceof CallError)) return err;
  const [s, c] = ACS_CODES[err.code] ?? [500, 'InternalServerError'];
  return new AcsError(s, c, err.message);
}

/** `v`, or 503 while the server is still wiring it. */
export function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new AcsError(503, 'ServiceUnavailable', `The server is starting (${what} not ready).`);
  return v;
}
