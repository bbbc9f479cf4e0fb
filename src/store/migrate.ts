// Brings a database's schema up to the latest migration. Safe to run on every start and from
// several nodes at once: Kysely records applied migrations in MIGRATION_TABLE and takes a lock
// first (a transaction-scoped advisory lock on PostgreSQL; SQLite has one writer anyway).
// It refuses to run against a database that has applied a migration this build does not know
// (a newer Switchboard wrote it): running old code on a newer schema is how data gets lost.
import { Migrator, type Kysely, type Migration, type MigrationResult } from 'kysely';
import { nullLogger, type Logger } from '../lib/index.ts';
import { MIGRATIONS } from './migrations/index.ts';

/**
 * Kysely's default table names, pinned: changing them later would make every existing
 * database look unmigrated, so they must never follow a library default that moves.
 */
export const MIGRATION_TABLE = 'kysely_migration';
export const MIGRATION_LOCK_TABLE = 'kysely_migration_lock';

export interface MigrateOptions {
  /** Default: nullLogger. */
  logger?: Logger;
  /** The migrations to apply; default MIGRATIONS (tests pass others). */
  migrations?: Readonly<Record<string, Migration>>;
}

/** Plain code-point order, so the order never depends on the machine's locale. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Applies every pending migration in order; returns the names applied (empty when none). */
export async function migrateToLatest(
  db: Kysely<any>,
  opts: MigrateOptions = {},
): Promise<string[]> {
  const logger = opts.logger ?? nullLogger;
  const migrations = opts.migrations ?? MIGRATIONS;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    nameComparator: byName,
  });
  // Kysely's migrator reports failure in the result instead of throwing.
  const { error, results } = await migrator.migrateToLatest();
  const applied = (results ?? []).filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName);
  for (const name of applied) logger.info({ migration: name }, 'store migration applied');
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(failed ? `store migration ${failed} failed: ${why}` : `store migrations could not run: ${why}`, {
      cause: error,
    });
  }
  return applied;
}
