// The store layer: durable state in SQLite (default) or PostgreSQL through Kysely, one set of
// migrations for both. It imports only lib/; core and the server reach it through this file.
export { openDatabase, type OpenDatabaseOptions } from './database.ts';
export type { Repositories, Store, StoreDialect, TransactionScope } from './store.ts';
export { migrateToLatest, MIGRATION_TABLE, MIGRATION_LOCK_TABLE, type MigrateOptions } from './migrate.ts';
export { MIGRATIONS } from './migrations/index.ts';
export type { Schema, RegistrationsTable } from './schema.ts';
export { SQLITE_FILE } from './sqlite.ts';
export { RegistrationRepository, type RegistrationRepositoryOptions } from './registration-repository.ts';
export type { RegistrationRecord, RegistrationSource } from './registration-record.ts';
export {
  ApplicationRepository, ApiKeyRepository, NumberRepository, TrunkRepository, SipUserRepository,
  UniqueViolationError, isUniqueViolation, tenancyRepositories, TrunkRegistrationRepository,
  type TrunkRegistrationRecord, type TrunkRegistrationState, type TrunkRegistrationsTable,
  type TenancyRepositories, type ApplicationPatch, type NumberPatch, type TrunkPatch, type SipUserPatch,
  type ApplicationsTable, type ApiKeysTable, type NumbersTable, type TrunksTable, type SipUsersTable,
  type ApplicationLimits, type ApplicationCallHandling, type WebhookFallback, type ApplicationRecord, type ApiKeyRecord, type ApiKeySource, type NumberKind,
  type NumberTargetType, type NumberRecord, type TrunkTransport, type CallerIdRule, type TrunkRecord,
  type SipUserRecord, type OwnerFilter,
} from './tenancy/index.ts';
export {
  OutboxRepository, type AppendItem, type ClaimOptions, type CommittedListener, type DeliveryQuery, type EventQuery,
  type OutboxRepositoryOptions, type RedeliverQuery, type EventsTable, type DeliveriesTable, type ClaimedDelivery,
  type DeliveryRecord, type DeliveryState, type DeliveryTarget, type OutboxEvent, type StoredEvent,
} from './outbox/index.ts';
export {
  IdempotencyRepository, type ClaimRequest, type ClaimResult, type IdempotencyRecord, type IdempotencyState,
  type IdempotencyKeysTable, type StoredResponse,
} from './idempotency/index.ts';
export {
  CallRepository, OperationRepository, RecordingRepository, CdrRepository, callRepositories,
  type CallRepositories, type CallListQuery, type CdrQuery, type CallsTable, type LegsTable, type OperationsTable,
  type RecordingsTable, type CdrsTable, type CallRecord, type LegRecord, type CallPatch, type LegPatch,
  type OperationRecord, type RecordingRecord, type RecordingPatch, type CdrRecord, type TimePageQuery, type JsonObject,
  type EndFields,
} from './calls/index.ts';
