// Migration 0004: `idempotency_keys`, one row per (caller, request id) seen by an idempotent
// route — the in-flight marker while the first request runs, then the response to replay.
// See IdempotencyKeysTable in ../idempotency/tables.ts for each column. Portable types only,
// as in 0001. Never edit a migration that has shipped: add a new one.
import type { Kysely, Migration } from 'kysely';

export const m0004Idempotency: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('idempotency_keys')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('token', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('response_headers', 'text')
      .addColumn('response_body', 'text')
      .addColumn('body_encoding', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      // The primary key is the claim: inserting it is the one atomic step that decides which
      // of two racing duplicates (on any node sharing the database) runs the handler.
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key'])
      .execute();
    await db.schema.createIndex('idempotency_keys_expires_idx').on('idempotency_keys').column('expires_at').execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('idempotency_keys').execute();
  },
};
