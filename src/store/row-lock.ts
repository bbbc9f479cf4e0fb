// Serializes writers of one logical key (e.g. one AOR) across connections and nodes, for the
// rest of the current transaction. Needed where a transaction replaces a key's rows with
// DELETE + INSERT: under PostgreSQL's READ COMMITTED, two such transactions racing on a key
// the other has just inserted would otherwise collide on the primary key instead of one
// simply replacing the other's work.
import { sql, type Kysely } from 'kysely';
import type { StoreDialect } from './dialect.ts';

/**
 * One lock space per table that uses lockKey, so equal keys of different tables don't
 * contend. Values are fixed forever (two-int advisory locks, distinct from Kysely's migration
 * lock, which uses the one-bigint form).
 */
export const LOCK_SPACE = {
  registrations: 0x5342_0001,
} as const;

/** Call inside a transaction; the lock is released at commit or rollback. */
export async function lockKey(
  trx: Kysely<any>,
  dialect: StoreDialect,
  space: (typeof LOCK_SPACE)[keyof typeof LOCK_SPACE],
  key: string,
): Promise<void> {
  // SQLite has one writer per database: the transaction's first write takes the file's write
  // lock (waiting up to busy_timeout), which already orders the whole replacement.
  if (dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(${space}::int4, hashtext(${key}))`.execute(trx);
}
