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
