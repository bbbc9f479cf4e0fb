// Request-idempotency records (migration 0004): claim, complete, release, purge.
export { IdempotencyRepository } from './idempotency-repository.ts';
export type { IdempotencyKeysTable } from './tables.ts';
export type {
  ClaimRequest, ClaimResult, IdempotencyRecord, IdempotencyState, StoredResponse,
} from './idempotency-record.ts';
