// Request idempotency for any face's routes: Repeatability-Request-ID/First-Sent (ACS) and
// Idempotency-Key, backed by a durable store port. See docs/idempotency.md.
export {
  createIdempotencyGuard, defaultIdempotencyScope, type IdempotencyGuard, type IdempotencyGuardOptions,
} from './idempotency-guard.ts';
export type { IdempotencyRecord, IdempotencyStore, StoredResponse } from './idempotency-store.ts';
export {
  readRequestIdHeaders, parseImfFixdate, MAX_IDEMPOTENCY_KEY_LENGTH, type RequestIdHeaders,
} from './request-id-headers.ts';
