// Migration 0001: the registrar's bindings (see RegistrationsTable in ../schema.ts for what
// each column means). Written against Kysely<any> and portable column types only
// (text, integer, bigint, double precision) so it runs unchanged on SQLite and PostgreSQL.
// Never edit a migration that has shipped: add a new one.
import type { Kysely, Migration } from 'kysely';

// Kysely<any>: a migration must not depend on today's Schema, which later migrations change.
export const m0001Registrations: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('registrations')
      .addColumn('aor', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('contact', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('call_id', 'text', (c) => c.notNull())
      // RFC 3261 §8.1.1.5 keeps CSeq below 2^31, but PostgreSQL's integer is signed: bigint.
      .addColumn('cseq', 'bigint', (c) => c.notNull())
      .addColumn('q', 'double precision')
      .addColumn('instance', 'text')
      .addColumn('reg_id', 'bigint')
      .addColumn('path', 'text')
      .addColumn('params', 'text')
      .addColumn('source', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('registrations_pkey', ['aor', 'position'])
      .execute();
    // purgeExpired() deletes by expiry across every AOR.
    await db.schema.createIndex('registrations_expires_at_idx').on('registrations').column('expires_at').execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('registrations').execute();
  },
};
