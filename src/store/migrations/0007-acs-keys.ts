// Migration 0007: what the ACS Call Automation face (src/faces/acs) keeps per application —
// `acs_access_keys`, the HMAC access keys its SDK clients sign with (several per application,
// so one can be rotated while the other still works), and `acs_settings`, the Event Grid
// subscription URL that receives IncomingCall. Column types in ../tenancy/acs-tables.ts.
// The key is stored as issued (base64): HMAC verification needs the key itself, not a hash.
// Additive only; never edit a migration that has shipped.
import type { Kysely, Migration } from 'kysely';

export const m0007AcsKeys: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('acs_access_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id').onDelete('cascade'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('acs_access_keys_app_idx').on('acs_access_keys').column('application_id').execute();
    await db.schema
      .createTable('acs_settings')
      .addColumn('application_id', 'text', (c) => c.primaryKey().references('applications.id').onDelete('cascade'))
      .addColumn('incoming_call_url', 'text')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('acs_settings').execute();
    await db.schema.dropTable('acs_access_keys').execute();
  },
};
